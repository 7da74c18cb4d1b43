"""Split a long bot message into chunks a messaging platform accepts, at natural boundaries."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

# Boundaries from most to least natural. Group 1 is the whitespace the cut replaces: a
# chunk ends before it and the next chunk starts after it, so only whitespace is dropped.
_BOUNDARIES = (
    re.compile(r"(\n[^\S\n]*\n)"),  # paragraph: an empty line
    re.compile(r"(\n)"),  # line break
    re.compile(r"[.!?…][\"'”’)\]»]*(\s)"),  # sentence end, maybe after a closing quote
    re.compile(r"(\s)"),  # word
)
# Characters that belong to the character before them (accents, emoji joiners, skin
# tones): a hard cut must not separate them from it.
_JOINERS = frozenset("\u200d\ufe0e\ufe0f")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the way Telegram (and JavaScript) count characters."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Split text into non-empty chunks of at most `limit` (by `measure`), dropping only whitespace.

    Cuts at the last paragraph break that fits, else line break, sentence end, word
    boundary, and only as a last resort in the middle of a word. `measure` must count
    every character as at least 1 (len, or utf16_len for Telegram). Whitespace-only
    text gives no chunks.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    chunks: list[str] = []
    pos = _skip_space(text, 0)
    while pos < len(text):
        rest = text[pos:].rstrip()
        if measure(rest) <= limit:
            chunks.append(rest)
            break
        end = _longest_fit(text, pos, limit, measure)
        cut = _boundary(text, pos, end)
        chunks.append(text[pos:cut].rstrip())
        pos = _skip_space(text, cut)
    return chunks


def split_tail(text: str, limit: int, measure: Callable[[str], int] = len) -> tuple[str, str]:
    """(head, tail) of the stripped text, tail ≤ limit: the shortest natural last part.

    The tail is the whole text if it fits, else its last paragraph if that fits, else its
    last line, sentence or word, and only as a last resort the last chunk of split_text.
    Used to keep a closing question together with the buttons that answer it.
    """
    text = text.strip()
    if measure(text) <= limit:
        return "", text
    for pattern in _BOUNDARIES:
        cuts = [match.end(1) for match in pattern.finditer(text)]
        if cuts:
            tail = text[cuts[-1]:].strip()
            if tail and measure(tail) <= limit:
                return text[:cuts[-1]].rstrip(), tail
    last = split_text(text, limit, measure)[-1]
    return text[: len(text) - len(last)].rstrip(), last


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _longest_fit(text: str, pos: int, limit: int, measure: Callable[[str], int]) -> int:
    """The largest end with measure(text[pos:end]) <= limit (at least pos + 1)."""
    low, high = pos + 1, min(len(text), pos + limit)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(text[pos:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def _boundary(text: str, pos: int, end: int) -> int:
    """Where to cut text[pos:end]: the last boundary of the most natural kind, else a hard cut."""
    for pattern in _BOUNDARIES:
        # A boundary's whitespace may start exactly at `end` (the chunk then fills the limit).
        cuts = [m.start(1) for m in pattern.finditer(text, pos, min(len(text), end + 1))]
        cuts = [cut for cut in cuts if pos < cut <= end]
        if cuts:
            return cuts[-1]
    cut = end
    while cut - 1 > pos and (_joins(text[cut]) or text[cut - 1] == "\u200d"):
        cut -= 1
    return cut


def _joins(char: str) -> bool:
    return (
        unicodedata.combining(char) != 0
        or char in _JOINERS
        or 0x1F3FB <= ord(char) <= 0x1F3FF  # emoji skin tone modifiers
    )
