"""The crisis safety net: every curated pattern and idiom exclusion proves itself."""

from __future__ import annotations

import functools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import REPO_ROOT
from bot.safety.guard import idiom_free_rest
from bot.safety.net import PatternError, SafetyNet, compile_pattern, normalise
from scripts.eval_models import Example, load_examples
from scripts.metrics import CRISIS_INTENTS

PATTERNS_FILE = REPO_ROOT / "safety" / "patterns.yml"
NET = SafetyNet.from_file(PATTERNS_FILE)

POSITIVES = [(p.id, p.kind, text) for p in NET.patterns for text in p.positive]
NEGATIVES = [(p.id, text) for p in NET.patterns for text in p.negative]
IDIOMS = [(e.id, text) for e in NET.exclusions for text in e.examples]


def test_every_pattern_has_positive_and_negative_examples() -> None:
    for pattern in NET.patterns:
        assert pattern.positive and pattern.negative, pattern.id
    assert len(NET.patterns) >= 15 and len(NET.exclusions) >= 3


@pytest.mark.parametrize(("pattern_id", "kind", "text"), POSITIVES)
def test_positive_examples_fire_with_their_kind(pattern_id: str, kind: str, text: str) -> None:
    detection = NET.check(text)
    assert detection is not None, f"{pattern_id} missed: {text!r}"
    assert detection.kind == kind


@pytest.mark.parametrize(("pattern_id", "text"), NEGATIVES)
def test_negative_examples_do_not_fire(pattern_id: str, text: str) -> None:
    assert NET.check(text) is None, f"{pattern_id}: false alarm on {text!r}"


@pytest.mark.parametrize(("exclusion_id", "text"), IDIOMS)
def test_idioms_never_raise_an_alarm(exclusion_id: str, text: str) -> None:
    assert NET.check(text) is None, f"idiom {exclusion_id} raised an alarm: {text!r}"


def test_an_idiom_does_not_hide_a_real_crisis_in_the_same_message() -> None:
    detection = NET.check("ik lach me dood maar eigenlijk wil ik dood")
    assert detection is not None and detection.kind == "suicide_selfharm"


def test_normalise() -> None:
    assert normalise("IK  WÍL DOOOOD!!! 😭") == "ik wil dod"
    assert normalise("z3lfm00rd") == "zelfmord"
    assert normalise("bel 112") == "bel 112"


def test_a_broken_patterns_file_is_refused_with_the_entry_named(tmp_path) -> None:
    bad = tmp_path / "p.yml"
    bad.write_text("patterns:\n  - id: x\n    kind: unsafe\n    regex: '('\n    positive: [a]\n")
    with pytest.raises(PatternError, match="'x'"):
        SafetyNet.from_file(bad)
    bad.write_text("patterns:\n  - id: y\n    kind: sad\n    regex: a\n    positive: [a]\n")
    with pytest.raises(PatternError, match="kind"):
        SafetyNet.from_file(bad)


NOISE = st.sampled_from([*"!?.,;:-_*~ ", "😭", "💔", "🙏", "...", "!!!", " "])


@st.composite
def disguised(draw: st.DrawFn) -> tuple[str, str]:
    """A positive example with random punctuation/emoji, repeated letters and case changes."""
    _, kind, text = draw(st.sampled_from(POSITIVES))
    out = []
    for char in text:
        if char.isalpha() and draw(st.integers(0, 9)) == 0:
            char = char * draw(st.integers(2, 5))
        if draw(st.booleans()):
            char = char.upper()
        out.append(char)
        if char == " " and draw(st.integers(0, 4)) == 0:
            out.append(draw(NOISE))
    if draw(st.booleans()):
        out.append(draw(NOISE))
    return "".join(out), kind


@settings(max_examples=200, deadline=None)
@given(disguised())
def test_punctuation_emoji_repeats_and_case_do_not_hide_a_crisis(case: tuple[str, str]) -> None:
    text, kind = case
    detection = NET.check(text)
    assert detection is not None, f"missed: {text!r}"
    assert detection.kind == kind


def test_idioms_are_cut_out_for_the_model_and_the_rest_is_kept() -> None:
    stripped, had_idiom = NET.without_idioms("Mijn telefoon is dood, maar ik wil praten")
    assert had_idiom and "dood" not in stripped and "ik wil praten" in stripped
    assert NET.without_idioms("ik wil praten") == ("ik wil praten", False)


@functools.cache
def _data_lines() -> tuple[Example, ...]:
    """Every line of the training data and the test split, read once for the tests below."""
    return tuple(example for path in ("data/nlu", "tests/nlu_test")
                 for example in load_examples(str(REPO_ROOT / path)))


def test_no_non_crisis_line_of_the_data_trips_the_net() -> None:
    # A pattern that fires on "ik vergat mijn sleutels" would send crisis numbers to a young
    # person telling about their day: the training data and the test split are the check.
    lines = [e for e in _data_lines() if e.intent not in CRISIS_INTENTS]
    assert len(lines) > 3000
    tripped = [(e.intent, e.text) for e in lines if NET.check(e.text) is not None]
    assert tripped == []


def test_no_crisis_line_of_the_data_is_silenced_by_an_idiom() -> None:
    # An exclusion that swallows a crisis verb ("killen" in "ik ga mezelf killen") hides it
    # from every pattern and leaves the model a fragment too short to judge: neither signal
    # could fire. Each crisis line must keep the net firing or leave the model enough words.
    crises = [e.text for e in _data_lines() if e.intent in CRISIS_INTENTS]
    assert len(crises) > 700
    silenced = [t for t in crises if NET.check(t) is None and idiom_free_rest(NET, t) == ""]
    assert silenced == []
    assert idiom_free_rest(NET, "ik ga mezelf killen") is None


def test_no_compiled_pattern_can_cut_a_word_into_pieces() -> None:
    # `( \w+){0,4}` with its space made optional became `(\s*\w+){0,4}`: one long run of
    # letters could be cut in countless ways, and a few hundred letters without a space held
    # the bot for minutes. compile_pattern writes every such run unambiguously.
    ambiguous = re.compile(r"\(\\s\*\\w\+\)\{|\(\\w\+\\s\*\)\{")
    for regex in [p.regex for p in NET.patterns] + [e.regex for e in NET.exclusions]:
        assert not ambiguous.search(regex.pattern), regex.pattern


def test_a_run_of_words_still_matches_with_and_without_spaces() -> None:
    regex = compile_pattern(r"\bik( \w+){0,2} wil (\w+ ){0,1}dood\b")
    assert regex.pattern.count("(?:") == 4  # both runs rewritten, each with an inner group
    for text in ["ik wil dood", "ik echt gewoon wil nu dood", "ikechtwildood"]:
        assert regex.search(normalise(text)), text
    assert not regex.search(normalise("ik echt heel erg wil dood"))  # three words: too many
