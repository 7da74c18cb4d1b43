"""Turning labelled messages into training examples: what may go in, and Rasa's YAML."""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_EXAMPLE_CHARS = 300
# What must not become training data: it identifies a young person, and a model learns it
# (training data is shared with everyone who works on the bot).
PERSONAL_DETAILS = (
    ("an e-mail address", re.compile(r"\S+@\S+\.\w{2,}")),
    ("a phone number", re.compile(r"(?:\+|00)?\d(?:[ -]?\d){8,}")),
    ("a web address", re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)),
    # Capitals only: "in 2024 is" is a year, "1012 AB" a postcode.
    ("a postcode", re.compile(r"\b[1-9]\d{3} ?[A-Z]{2}\b")),
)


class ExampleRefused(ValueError):
    """The text cannot become a training example; the message says why (for the admin)."""


def clean_example(text: str) -> str:
    """The text as one training example: one line, single spaces. Raises ExampleRefused
    when it is empty, too long, or holds personal details."""
    example = " ".join(text.split())
    if not example:
        raise ExampleRefused("the example is empty")
    if len(example) > MAX_EXAMPLE_CHARS:
        raise ExampleRefused(f"the example is longer than {MAX_EXAMPLE_CHARS} characters")
    for what, pattern in PERSONAL_DETAILS:
        if pattern.search(example):
            raise ExampleRefused(f"the example holds {what}: take it out first")
    return example


def to_rasa_yaml(labelled: Iterable[tuple[str, str]]) -> str:
    """Rasa 3 NLU training data of (intent, example) pairs, oldest first.

    The same text labelled twice keeps its latest intent (an admin corrected it), so the
    file never teaches two answers to one message. Square brackets become round ones:
    in Rasa's format "[x](y)" would mark an entity."""
    latest: dict[str, str] = {}
    for intent, text in labelled:
        example = " ".join(text.split()).replace("[", "(").replace("]", ")")
        latest.pop(example, None)  # re-inserted: the latest label decides the order too
        latest[example] = intent
    by_intent: dict[str, list[str]] = {}
    for example, intent in latest.items():
        by_intent.setdefault(intent, []).append(example)
    lines = ['version: "3.1"', "", "# Labelled by admins in the NLU inbox (make nlu-export).",
             "nlu:"]
    for intent in sorted(by_intent):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {example}" for example in by_intent[intent]]
    if not by_intent:
        lines[-1] = "nlu: []"
    return "\n".join(lines) + "\n"
