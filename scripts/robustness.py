"""A deterministic robustness set: the test split rewritten the way young people really type.

Pure: no Rasa, no I/O. Every example gets every perturbation once; the evaluation reports the
drop in macro-F1 per perturbation. Each item has its own random generator, seeded from the
seed, the perturbation and the text (string seeds go through SHA-512, not hash()), so an item
does not change when other examples are added, removed or reordered, nor with PYTHONHASHSEED.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

PERTURBATIONS: tuple[str, ...] = ("typos", "no_spaces", "repeated_letters", "emoji", "english")

EMOJI: tuple[str, ...] = ("😭", "😂", "🙏", "💀", "😩", "🥺", "❤️", "👀", "😅", "🤷")

# Words young Dutch people swap for English mid-sentence. No entry maps to itself ("sorry",
# "school"), so a replacement always changes the text. Multi-word keys match across any run of
# whitespace; longer keys win ("dank je wel" before "dank je").
DUTCH_TO_ENGLISH: Mapping[str, str] = {
    "ik weet het niet": "idk",
    "weet ik niet": "idk",
    "dank je wel": "thanks",
    "dankjewel": "thanks",
    "dank je": "thanks",
    "bedankt": "thanks",
    "alsjeblieft": "pls",
    "alstublieft": "please",
    "echt waar": "for real",
    "echt": "really",
    "serieus": "seriously",
    "eigenlijk": "actually",
    "trouwens": "btw",
    "sowieso": "anyway",
    "gewoon": "just",
    "gwn": "just",
    "misschien": "maybe",
    "heel erg": "so",
    "heel": "super",
    "hallo": "hello",
    "hoi": "hi",
    "doei": "bye",
    "ja": "yeah",
    "nee": "no",
    "oké": "okay",
    "oke": "okay",
    "wat": "what",
    "waarom": "why",
    "nu": "now",
    "vandaag": "today",
    "morgen": "tomorrow",
    "altijd": "always",
    "nooit": "never",
    "iedereen": "everyone",
    "niemand": "nobody",
    "mensen": "people",
    "vriend": "friend",
    "vrienden": "friends",
    "ouders": "parents",
    "broer": "brother",
    "zus": "sister",
    "huiswerk": "homework",
    "geld": "money",
    "hulp": "help",
    "bang": "scared",
    "moe": "tired",
    "boos": "mad",
    "verdrietig": "sad",
    "eenzaam": "lonely",
    "gestrest": "stressed",
    "moeilijk": "hard",
    "raar": "weird",
    "eng": "creepy",
    "leuk": "nice",
    "jammer": "too bad",
}

# Appended when no word of the text is in the dictionary, so every example is changed.
ENGLISH_FILLERS: tuple[str, ...] = ("pls", "fr", "tbh", "idk", "lol")

_DUTCH_KEYS: tuple[str, ...] = tuple(sorted(DUTCH_TO_ENGLISH, key=len, reverse=True))
# One group per key, so the matched key is known from the group number without case-folding
# the match (str.lower() can change a string's length, e.g. "İ").
_DUTCH_WORDS = re.compile(
    r"(?<!\w)(?:"
    + "|".join("(" + r"\s+".join(map(re.escape, key.split())) + ")" for key in _DUTCH_KEYS)
    + r")(?!\w)",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"\S+")
_VOWELS = frozenset("aeiouy")
_ZWJ = "\u200d"


@dataclass(frozen=True)
class PerturbedExample:
    """One test example rewritten by one perturbation, with its unchanged intent label."""

    text: str
    intent: str
    perturbation: str
    original: str


def perturb(text: str, perturbation: str, rng: random.Random) -> str:
    """Rewrite text by one of PERTURBATIONS; blank text, having nothing to perturb, is kept."""
    try:
        rewrite = _REWRITES[perturbation]
    except KeyError:
        raise ValueError(
            f"unknown perturbation {perturbation!r}; expected one of {PERTURBATIONS}"
        ) from None
    if not text.strip():
        return text
    return rewrite(text, rng)


def robustness_set(examples: Sequence[tuple[str, str]], seed: int = 42) -> list[PerturbedExample]:
    """Every (text, intent) example under every perturbation, grouped by perturbation.

    Only no_spaces can leave an item unchanged (a one-word text); those items have
    text == original, so a caller can leave them out of the scores.
    """
    return [
        PerturbedExample(
            text=perturb(text, perturbation, random.Random(f"{seed}:{perturbation}:{text}")),
            intent=intent,
            perturbation=perturbation,
            original=text,
        )
        for perturbation in PERTURBATIONS
        for text, intent in examples
    ]


# --------------------------------------------------------------------------------------------
# the perturbations (text is never blank here)


def _typos(text: str, rng: random.Random) -> str:
    """One swap of two adjacent letters or one dropped letter per ~8 letters, in words of 3+."""
    runs = _letter_runs(text)
    if not runs:
        # No letters (only emoji, digits or punctuation): a typo cannot be made, and a new emoji
        # or English filler could change the meaning (😭 after 👍), so the last symbol is typed
        # twice, like a key held too long.
        return _repeat_last_symbol(text, 1)
    long_runs = [(start, end) for start, end in runs if end - start >= 3]
    if not long_runs:
        # Only short words ("ok", "yo yo"): a letter typed twice, still one edit.
        start, end = rng.choice(runs)
        position = rng.randrange(start, end)
        return text[: position + 1] + text[position:]

    wanted = max(1, sum(character.isalpha() for character in text) // 8)
    # Spread over the words, a second edit in a word only once every word has one, so words
    # stay recognisable ("doen" does not become "de").
    rng.shuffle(long_runs)
    # (position, width): width 1 drops the letter, width 2 swaps it with the next one. Equal
    # neighbours are never swapped, and chosen edits never overlap, so the text always changes
    # and the edit distance (with transpositions) stays at most `wanted`.
    chosen: list[tuple[int, int]] = []
    touched: set[int] = set()
    for attempt in range(wanted):
        start, end = long_runs[attempt % len(long_runs)]
        candidates = [
            (position, width)
            for position in range(start, end)
            for width in (1, 2)
            if touched.isdisjoint(range(position, position + width))
            and (width == 1 or (position + 1 < end and text[position] != text[position + 1]))
        ]
        if candidates:
            position, width = rng.choice(candidates)
            chosen.append((position, width))
            touched.update(range(position, position + width))
    for position, width in sorted(chosen, reverse=True):
        if width == 1:
            text = text[:position] + text[position + 1 :]
        else:
            text = text[:position] + text[position + 1] + text[position] + text[position + 2 :]
    return text


def _no_spaces(text: str, rng: random.Random) -> str:
    """All whitespace removed; a one-word text stays as it is, there is nothing to remove."""
    return "".join(text.split())


def _repeated_letters(text: str, rng: random.Random) -> str:
    """In 1–2 words one letter repeated 2–4 extra times: "hoi" → "hoiii", "help" → "helppp"."""
    runs = _letter_runs(text)
    if not runs:
        # No letters: the last symbol repeated instead ("👍" → "👍👍👍"), same reason as typos.
        return _repeat_last_symbol(text, rng.randint(2, 4))
    words = [(start, end) for start, end in runs if end - start >= 2] or runs
    chosen = rng.sample(words, min(len(words), rng.randint(1, 2)))
    for start, end in sorted(chosen, reverse=True):
        position = end - 1
        if not _is_vowel(text[position]) and rng.random() < 0.5:
            # Stretch the last vowel instead ("help" → "heeelp"), as often as the last letter.
            vowels = [index for index in range(start, end) if _is_vowel(text[index])]
            if vowels:
                position = vowels[-1]
        extra = text[position] * rng.randint(2, 4)
        text = text[: position + 1] + extra + text[position + 1 :]
    return text


def _emoji(text: str, rng: random.Random) -> str:
    """1–2 emoji from EMOJI, mostly at the end, sometimes between words."""
    token_ends = [match.end() for match in _TOKEN.finditer(text)]
    insertions: list[tuple[int, str]] = []
    for _ in range(rng.randint(1, 2)):
        emoji = rng.choice(EMOJI)
        if len(token_ends) > 1 and rng.random() < 0.3:
            insertions.append((rng.choice(token_ends[:-1]), " " + emoji))
        else:
            insertions.append((token_ends[-1], rng.choice(("", " ")) + emoji))
    for position, piece in sorted(insertions, key=lambda insertion: insertion[0], reverse=True):
        text = text[:position] + piece + text[position:]
    return text


def _english(text: str, rng: random.Random) -> str:
    """1–2 Dutch words replaced by their English from DUTCH_TO_ENGLISH, else a filler added."""
    matches = list(_DUTCH_WORDS.finditer(text))
    if not matches:
        end = len(text.rstrip())
        return text[:end] + " " + rng.choice(ENGLISH_FILLERS) + text[end:]
    chosen = rng.sample(matches, min(len(matches), rng.randint(1, 2)))
    for match in sorted(chosen, key=lambda match: match.start(), reverse=True):
        assert match.lastindex is not None
        english = _match_case(match.group(0), DUTCH_TO_ENGLISH[_DUTCH_KEYS[match.lastindex - 1]])
        text = text[: match.start()] + english + text[match.end() :]
    return text


_REWRITES: Mapping[str, Callable[[str, random.Random], str]] = {
    "typos": _typos,
    "no_spaces": _no_spaces,
    "repeated_letters": _repeated_letters,
    "emoji": _emoji,
    "english": _english,
}
assert tuple(_REWRITES) == PERTURBATIONS


# --------------------------------------------------------------------------------------------
# helpers


def _letter_runs(text: str) -> list[tuple[int, int]]:
    """(start, end) of every maximal run of letters; digits, emoji and marks split runs."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for index, character in enumerate(text):
        if character.isalpha():
            if start is None:
                start = index
        elif start is not None:
            runs.append((start, index))
            start = None
    if start is not None:
        runs.append((start, len(text)))
    return runs


def _is_vowel(character: str) -> bool:
    """Whether a letter is a vowel, accents ignored ("é" is one)."""
    decomposed = unicodedata.normalize("NFD", character)
    return bool(decomposed) and decomposed[0].lower() in _VOWELS


def _repeat_last_symbol(text: str, times: int) -> str:
    """The last visible symbol typed `times` more times; an emoji stays whole ("❤️", "👨‍👩‍👧")."""
    end = len(text.rstrip())
    start = end - 1
    while start > 0 and (
        _is_modifier(text[start]) or text[start] == _ZWJ or text[start - 1] == _ZWJ
    ):
        start -= 1
    if (
        start > 0
        and _is_regional_indicator(text[start])
        and _is_regional_indicator(text[start - 1])
    ):
        start -= 1  # a flag is two regional indicators
    return text[:end] + text[start:end] * times + text[end:]


def _is_modifier(character: str) -> bool:
    """Whether a character only modifies the one before it (variation selector, skin tone...)."""
    code = ord(character)
    return (
        0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or code == 0x20E3
        or unicodedata.combining(character) != 0
    )


def _is_regional_indicator(character: str) -> bool:
    """Whether a character is half of a flag emoji."""
    return 0x1F1E6 <= ord(character) <= 0x1F1FF


def _match_case(original: str, replacement: str) -> str:
    """The replacement in the original's case: "ECHT" → "REALLY", "Echt" → "Really"."""
    if len(original) > 1 and original.isupper():
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement
