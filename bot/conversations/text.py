"""Pure helpers for inbound text: cleaning, validation and neutralising intent commands."""

from __future__ import annotations

import re
from collections.abc import Sequence

# C0/C1 control characters except tab and newline: they break databases (NUL in
# PostgreSQL) and terminals, and carry no meaning in a chat.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class InvalidText(ValueError):
    """The message cannot be accepted; the text is a clear reason for the sender."""


def clean_text(text: str) -> str:
    """Drop control characters and surrounding whitespace; keep emoji, accents and RTL text."""
    return _CONTROL.sub("", text).strip()


def validate_text(text: str, max_chars: int) -> str:
    """Clean the text and check it is non-empty and not too long; raises InvalidText."""
    cleaned = clean_text(text)
    if not cleaned:
        raise InvalidText("message is empty")
    if len(cleaned) > max_chars:
        raise InvalidText(f"message is too long ({len(cleaned)} characters, at most {max_chars})")
    return cleaned


def neutralise_commands(text: str) -> str:
    """Stop Rasa from force-parsing free text like '/restart' or '/greet{...}' as an intent.

    Rasa treats any text starting with '/' as an intent command. Only the payloads of
    buttons the bot itself sent may do that (see choose_rasa_text); free text loses its
    leading slashes and goes through NLU like any other message.
    """
    stripped = text.lstrip()
    if not stripped.startswith("/"):
        return text
    rest = stripped.lstrip("/").lstrip()
    return rest or "..."


def choose_rasa_text(
    text: str, payload: str | None, offered_buttons: Sequence[dict[str, str]] | None
) -> str:
    """What to send to Rasa: an offered button's payload, or the neutralised free text.

    A pressed button counts only if the bot offered exactly that payload in its last
    message; a typed text equal to an offered button's title (e.g. 'ja') counts as that
    button, which is what WhatsApp and Telegram users do.
    """
    offered = list(offered_buttons or [])
    if payload is not None and any(b.get("payload") == payload for b in offered):
        return payload
    # Rasa-style clients send a pressed button's payload as the message text.
    if any(b.get("payload") == text.strip() for b in offered):
        return text.strip()
    folded = text.strip().casefold()
    for button in offered:
        if folded and button.get("title", "").strip().casefold() == folded:
            return button.get("payload", "") or neutralise_commands(text)
    return neutralise_commands(text or (payload or ""))
