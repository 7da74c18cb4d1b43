"""The worker inbox: accounts, login sessions, the worker JSON API and live updates."""
