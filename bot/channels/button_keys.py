"""Short keys that stand for long button payloads on platforms with id limits."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence

KEY_PREFIX = "k:"


def hashed_key(payload: str) -> str:
    """A stable 18-character key for a payload too long to send as a button id."""
    return KEY_PREFIX + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def payload_for_key(key: str, offered_buttons: Sequence[Mapping[str, str]],
                    key_of: Callable[[str], str]) -> str | None:
    """The payload of the offered button whose platform key is `key`, or None."""
    for button in offered_buttons:
        payload = button.get("payload")
        if isinstance(payload, str) and payload and key_of(payload) == key:
            return payload
    return None


def usable_buttons(buttons: Sequence[Mapping[str, str]], most: int) -> list[tuple[str, str]]:
    """(title, payload) of the buttons worth sending: a non-blank payload, first of its kind.

    The title is returned as given ('' when missing); each platform shapes it to its limits.
    """
    seen: set[str] = set()
    options: list[tuple[str, str]] = []
    for button in buttons:
        payload = button.get("payload")
        if not isinstance(payload, str) or not payload.strip() or payload in seen:
            continue
        seen.add(payload)
        title = button.get("title")
        options.append((title if isinstance(title, str) else "", payload))
    return options[:most]
