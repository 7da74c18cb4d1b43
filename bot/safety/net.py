"""Match curated crisis patterns (safety/patterns.yml) against a message.

Both the text and the patterns are normalised the same way, so spelling games do not hide
a crisis: lower case, accents dropped, emoji and punctuation become spaces, repeated
letters collapse ("doooood" → "dod", and the pattern "dood" → "dod" too), and a space in a
pattern also matches no space ("ikwildood"). Idioms ("dood van het lachen") are removed
from the text first, so they never raise an alarm.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

SUICIDE_SELFHARM = "suicide_selfharm"
UNSAFE = "unsafe"
KINDS = (SUICIDE_SELFHARM, UNSAFE)

_NOT_WORD = re.compile(r"[^a-z0-9]+")
_REPEATS = re.compile(r"([a-z])\1+")
# In a pattern, repeated letters collapse too, but not an escape like \b followed by b.
_PATTERN_REPEATS = re.compile(r"(?<!\\)([a-z])\1+")
# "A few words" in a pattern: `( \w+){0,3}` or `(\w+ ){0,3}`. With the space made optional
# these become `(\s*\w+){0,3}`, which can cut one run of letters into pieces in countless
# ways: a message of a few hundred letters without a space held the bot for minutes. They
# are rewritten to the same language without the ambiguity — at most n words with real gaps
# between them (pieces glued without a gap are one word, so nothing else changes).
_WORD_RUNS = re.compile(r"\( \\w\+\)\{(\d*),(\d+)\}|\(\\w\+ \)\{(\d*),(\d+)\}")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "@": "a", "$": "s", "€": "e"})


class PatternError(ValueError):
    """The patterns file is malformed; the message names the entry."""


def normalise(text: str) -> str:
    """The comparable form of a message (see the module docstring)."""
    lowered = unicodedata.normalize("NFKD", text.lower())
    stripped = "".join(c for c in lowered if not unicodedata.combining(c))
    # Digits inside words are letters in disguise (z3lfm00rd); stand-alone numbers stay.
    words = [w.translate(_LEET) if re.search(r"[a-z]", w) else w for w in stripped.split()]
    spaced = _NOT_WORD.sub(" ", " ".join(words))
    return " ".join(_REPEATS.sub(r"\1", spaced).split())


def _unambiguous_word_run(run: re.Match[str]) -> str:
    """A pattern's `( \\w+){m,n}` or `(\\w+ ){m,n}` (m ≤ 1) as an unambiguous regex of the
    same language, written after the space rewrite (see _WORD_RUNS)."""
    leading_space = run[2] is not None
    low, high = (run[1], run[2]) if leading_space else (run[3], run[4])
    if int(low or 0) > 1:
        return run[0]  # pieces could glue into fewer words than the minimum: leave as written
    words = rf"\w+(?:\s+\w+){{0,{int(high) - 1}}}"
    body = rf"\s*{words}" if leading_space else rf"{words}\s*"
    return f"(?:{body})" if int(low or 0) == 1 else f"(?:{body})?"


def compile_pattern(source: str) -> re.Pattern[str]:
    """Compile a pattern in the normalised alphabet; a space also matches no space."""
    collapsed = _PATTERN_REPEATS.sub(r"\1", source.lower())
    return re.compile(_WORD_RUNS.sub(_unambiguous_word_run, collapsed).replace(" ", r"\s*"))


@dataclass(frozen=True)
class Pattern:
    """One curated crisis pattern with the examples that prove it."""

    id: str
    kind: str
    regex: re.Pattern[str]
    positive: tuple[str, ...]
    negative: tuple[str, ...]


@dataclass(frozen=True)
class Exclusion:
    """An idiom that sounds like a crisis but is not one."""

    id: str
    regex: re.Pattern[str]
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Detection:
    """The safety net fired: which kind of danger, on which pattern."""

    kind: str
    pattern_id: str


class SafetyNet:
    """The loaded patterns and exclusions."""

    def __init__(self, patterns: list[Pattern], exclusions: list[Exclusion]) -> None:
        self.patterns = patterns
        self.exclusions = exclusions

    @classmethod
    def from_file(cls, path: Path) -> SafetyNet:
        """Load and check safety/patterns.yml; raises PatternError naming a bad entry."""
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        patterns = [_pattern(entry) for entry in data.get("patterns") or []]
        exclusions = [_exclusion(entry) for entry in data.get("exclusions") or []]
        ids = [p.id for p in patterns] + [e.id for e in exclusions]
        duplicates = {i for i in ids if ids.count(i) > 1}
        if duplicates:
            raise PatternError(f"duplicate ids in {path.name}: {sorted(duplicates)}")
        return cls(patterns, exclusions)

    def without_idioms(self, text: str) -> tuple[str, bool]:
        """The normalised text with idioms cut out (marked '|'), and whether any were."""
        normal = original = normalise(text)
        for exclusion in self.exclusions:
            normal = exclusion.regex.sub(" | ", normal)
        return normal, normal != original

    def check(self, text: str) -> Detection | None:
        """The first pattern that fires on the text once idioms are taken out, or None."""
        normal, _ = self.without_idioms(text)
        for pattern in self.patterns:
            if pattern.regex.search(normal):
                return Detection(pattern.kind, pattern.id)
        return None


def _strings(entry: dict[str, object], key: str) -> tuple[str, ...]:
    values = entry.get(key) or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise PatternError(f"'{entry.get('id')}': '{key}' must be a list of texts")
    return tuple(values)


def _regex(entry: dict[str, object]) -> re.Pattern[str]:
    source = entry.get("regex")
    if not isinstance(source, str) or not source.strip():
        raise PatternError(f"'{entry.get('id')}': 'regex' is missing")
    try:
        return compile_pattern(source)
    except re.error as error:
        raise PatternError(f"'{entry.get('id')}': bad regex ({error})") from error


def _pattern(entry: dict[str, object]) -> Pattern:
    if not isinstance(entry.get("id"), str):
        raise PatternError(f"a pattern without an id: {entry}")
    if entry.get("kind") not in KINDS:
        raise PatternError(f"'{entry['id']}': 'kind' must be one of {KINDS}")
    positive = _strings(entry, "positive")
    if not positive:
        raise PatternError(f"'{entry['id']}': give at least one positive example")
    return Pattern(str(entry["id"]), str(entry["kind"]), _regex(entry), positive,
                   _strings(entry, "negative"))


def _exclusion(entry: dict[str, object]) -> Exclusion:
    if not isinstance(entry.get("id"), str):
        raise PatternError(f"an exclusion without an id: {entry}")
    examples = _strings(entry, "examples")
    if not examples:
        raise PatternError(f"'{entry['id']}': give at least one example")
    return Exclusion(str(entry["id"]), _regex(entry), examples)
