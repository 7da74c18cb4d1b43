"""Inbound text: cleaning, limits, and no force-parsed intents from free text (safety.md)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.conversations.text import (
    InvalidText,
    choose_rasa_text,
    clean_text,
    neutralise_commands,
    validate_text,
)

OFFERED = [{"title": "Ja", "payload": "/affirm"}, {"title": "Nee", "payload": "/deny"}]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/restart", "restart"),
        ('/request_human{"x": 1}', 'request_human{"x": 1}'),
        ("  //greet", "greet"),
        ("/", "..."),
        ("hoi /greet", "hoi /greet"),
        ("hoi", "hoi"),
    ],
)
def test_free_text_commands_are_neutralised(text: str, expected: str) -> None:
    assert neutralise_commands(text) == expected


@given(st.text())
def test_neutralised_text_never_starts_with_a_slash(text: str) -> None:
    assert not neutralise_commands(text).lstrip().startswith("/")


def test_only_offered_button_payloads_bypass_nlu() -> None:
    assert choose_rasa_text("Ja", "/affirm", OFFERED) == "/affirm"
    assert choose_rasa_text("/deny", None, OFFERED) == "/deny"
    assert choose_rasa_text("nee", None, OFFERED) == "/deny"  # typed the button's title
    assert choose_rasa_text("x", "/crisis_unsafe", OFFERED) == "x"  # never offered
    assert choose_rasa_text("/restart", None, OFFERED) == "restart"
    assert choose_rasa_text("/affirm", None, None) == "affirm"


def test_clean_text_keeps_emoji_accents_and_rtl_but_drops_control_characters() -> None:
    assert clean_text(" hé 👋 مرحبا\x00\x07 ") == "hé 👋 مرحبا"
    assert clean_text("regel 1\nregel 2") == "regel 1\nregel 2"


def test_validate_text_limits() -> None:
    assert validate_text("hoi", 10) == "hoi"
    with pytest.raises(InvalidText, match="empty"):
        validate_text(" \x00 ", 10)
    with pytest.raises(InvalidText, match="too long"):
        validate_text("x" * 11, 10)
