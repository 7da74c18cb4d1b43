"""The action server's view of broekzak's configuration (read once, at first use)."""

from __future__ import annotations

from functools import lru_cache

from bot.config import Settings, load_settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment and .env; cached for the life of the action server."""
    return load_settings()
