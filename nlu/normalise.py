"""Text normal forms shared by broekzak's NLU components.

Young people stretch words for emphasis ("hoiiii", "helpppp", "neeeee"). Collapsing a run of
three or more equal letters to two keeps "heel" and "zee" intact while mapping all stretched
spellings of a word onto one form, so one training example covers them all.
"""

from __future__ import annotations

import re

_STRETCHED = re.compile(r"(\w)\1{2,}", re.UNICODE)


def collapse_repeats(text: str) -> str:
    """Collapse runs of three or more equal word characters to two ("hoiiii" → "hoii")."""
    return _STRETCHED.sub(r"\1\1", text)


def normalise(text: str) -> str:
    """The form the classifiers see: lower case, stretched letters collapsed, spaces tidied."""
    return " ".join(collapse_repeats(text.lower()).split())


# Laughter: "haha", "hihihi", "hehe", "lol", "looool", "lmao", "xd", and the emoji young people
# laugh with (😂 🤣 😹 😆, and 💀 for "dying of laughter"). Matched on a lower-cased token.
_LAUGHTER = re.compile(
    r"a?(?:h[aei]+){2,}h?|lo+l+z?|lmf?a+o+|rofl|x+d+|[😂🤣😹😆💀]", re.UNICODE
)


def is_laughter(token: str) -> bool:
    """Whether a lower-cased token is only laughter ("hahaha", "lol", "xd", "😂")."""
    return _LAUGHTER.fullmatch(token) is not None
