"""Channels: verify, parse, de-duplicate, persist and acknowledge; deliver replies."""
