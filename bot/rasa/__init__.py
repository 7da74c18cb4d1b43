"""Talking to the Rasa server."""
