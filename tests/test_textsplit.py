"""Splitting long bot messages: natural boundaries first, limits always, nothing lost."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.textsplit import split_tail, split_text, utf16_len


def non_space(text: str) -> str:
    """The text without any whitespace: what splitting must preserve."""
    return "".join(text.split())


def test_short_text_is_one_stripped_chunk() -> None:
    assert split_text("  Hoi, hoe gaat het?\n", 100) == ["Hoi, hoe gaat het?"]


def test_whitespace_only_gives_no_chunks() -> None:
    assert split_text("", 10) == []
    assert split_text(" \n\t ", 10) == []


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        split_text("hoi", 0)


def test_paragraphs_come_before_sentences() -> None:
    text = "Eerste zin. Tweede zin.\n\nNieuwe alinea. Nog een zin."
    assert split_text(text, 30) == ["Eerste zin. Tweede zin.", "Nieuwe alinea. Nog een zin."]


def test_several_paragraphs_share_a_chunk_when_they_fit() -> None:
    text = "Een.\n\nTwee.\n\nDrie is een langere alinea."
    assert split_text(text, 12) == ["Een.\n\nTwee.", "Drie is een", "langere", "alinea."]


def test_sentences_come_before_words() -> None:
    text = "Dat snap ik. Wil je er meer over vertellen? Ik luister… Echt waar!"
    assert split_text(text, 45) == ["Dat snap ik. Wil je er meer over vertellen?",
                                    "Ik luister… Echt waar!"]


def test_sentence_end_after_closing_quote() -> None:
    text = 'Ze zei: "Ga weg." Toen liep ik weg.'
    assert split_text(text, 20) == ['Ze zei: "Ga weg."', "Toen liep ik weg."]


def test_line_breaks_come_before_sentences() -> None:
    text = "Bel 113 of chat op 113.nl.\nJe mag ook de kindertelefoon bellen."
    assert split_text(text, 40) == ["Bel 113 of chat op 113.nl.",
                                    "Je mag ook de kindertelefoon bellen."]


def test_words_come_before_a_hard_cut() -> None:
    assert split_text("aaa bbb ccc ddd", 8) == ["aaa bbb", "ccc ddd"]


def test_a_long_word_is_cut_hard() -> None:
    assert split_text("https://example.org/" + "x" * 30, 20) == [
        "https://example.org/", "x" * 20, "x" * 10]


def test_hard_cut_keeps_an_accent_with_its_letter() -> None:
    text = "e\u0301" * 6  # 'é' as e + combining acute accent
    assert split_text(text, 5) == ["e\u0301e\u0301", "e\u0301e\u0301", "e\u0301e\u0301"]


def test_utf16_measure_counts_emoji_double() -> None:
    chunks = split_text("😀" * 5, 4, utf16_len)
    assert chunks == ["😀😀", "😀😀", "😀"]


ALPHABET = st.sampled_from([*"ab cé.!?…\n\n\t\"”😀", "\u0301", "\u200d", "\u3000"])


@settings(max_examples=200, deadline=None)
@given(st.text(ALPHABET, max_size=300), st.integers(min_value=1, max_value=40))
def test_chunks_fit_are_not_empty_and_lose_nothing(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert all(chunk and chunk == chunk.strip() for chunk in chunks)
    assert all(len(chunk) <= limit for chunk in chunks)
    assert non_space("".join(chunks)) == non_space(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.integers(min_value=2, max_value=40))
def test_any_unicode_text_with_the_utf16_measure(text: str, limit: int) -> None:
    chunks = split_text(text, limit, utf16_len)
    assert all(chunk and chunk == chunk.strip() for chunk in chunks)
    assert all(utf16_len(chunk) <= limit for chunk in chunks)
    assert non_space("".join(chunks)) == non_space(text)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text("abc ", min_size=1, max_size=15).map(str.strip).filter(bool),
                min_size=1, max_size=12))
def test_sentences_that_fit_are_never_cut(words: list[str]) -> None:
    sentences = [w + "." for w in words]
    chunks = split_text(" ".join(sentences), 16)
    # Every chunk is a run of whole sentences.
    assert all(chunk.endswith(".") for chunk in chunks)
    assert sum(chunk.count(".") for chunk in chunks) == len(sentences)


def test_tail_is_the_shortest_natural_last_part_that_fits() -> None:
    text = "Uitleg. Meer uitleg.\n\nNog een alinea. Wil je praten?"
    assert split_tail(text, 100) == ("", text)
    assert split_tail(text, 40) == ("Uitleg. Meer uitleg.", "Nog een alinea. Wil je praten?")
    assert split_tail(text, 20) == ("Uitleg. Meer uitleg.\n\nNog een alinea.", "Wil je praten?")
    assert split_tail("x" * 25, 10) == ("x" * 20, "x" * 5)


@settings(max_examples=200, deadline=None)
@given(st.text(ALPHABET, max_size=300), st.integers(min_value=1, max_value=40))
def test_head_and_tail_lose_nothing(text: str, limit: int) -> None:
    head, tail = split_tail(text, limit)
    assert len(tail) <= limit
    assert bool(tail) == bool(text.strip())
    assert tail == tail.strip() and head == head.strip()
    assert non_space(head + tail) == non_space(text)
