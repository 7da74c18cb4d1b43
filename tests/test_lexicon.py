"""The lexicon (data/nlu/lexicon.yml): well-formed, alive, and no copy of held-out data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

from scripts.eval_models import load_examples
from scripts.metrics import comparable_text

REPO_ROOT = Path(__file__).resolve().parents[1]
LEXICON = REPO_ROOT / "data" / "nlu" / "lexicon.yml"
HELD_OUT = [REPO_ROOT / "tests" / "nlu_test", REPO_ROOT / "tests" / "crisis_hard_cases.yml"]

GROUPS = load_data(str(LEXICON)).regex_features
PATTERNS = {group["name"]: re.compile(group["pattern"], re.IGNORECASE) for group in GROUPS}


def test_the_lexicon_has_one_pattern_per_named_subject() -> None:
    names = [group["name"] for group in GROUPS]
    assert len(names) >= 20
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"lex_[a-z_]+", name) for name in names)


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_no_pattern_matches_an_empty_or_blank_message(name: str) -> None:
    assert PATTERNS[name].search("") is None
    assert PATTERNS[name].search("   ?! ") is None


def test_the_lexicon_holds_only_regexes() -> None:
    data = yaml.safe_load(LEXICON.read_text(encoding="utf-8"))
    assert all(set(block) == {"regex", "examples"} for block in data["nlu"])


def test_every_subject_matches_training_examples() -> None:
    # A feature no training example has gets no weight: such a group would do nothing.
    texts = [e.text for e in load_examples(str(REPO_ROOT / "data" / "nlu"))]
    dead = [name for name, pattern in PATTERNS.items()
            if sum(1 for t in texts if pattern.search(t)) < 5]
    assert dead == []


def test_matching_ignores_case_and_catches_inflections() -> None:
    assert PATTERNS["lex_unsafe"].search("ik word MISHANDELD")
    assert PATTERNS["lex_money"].search("de deurwaarder staat voor de deur")
    assert PATTERNS["lex_relationship_sex"].search("ik denk dat ik herpes heb")
    assert not PATTERNS["lex_unsafe"].search("hoi hoe gaat het")


def test_the_couch_is_not_the_bank() -> None:
    # "ik hang op de bank" is lounging on the couch; the flag made it topic_money (0.84).
    assert not PATTERNS["lex_money"].search("ik hang op de bank met chips")
    assert PATTERNS["lex_money"].search("de bank belt steeds over mijn rekening")
    assert PATTERNS["lex_money"].search("ik moet naar de bank")


def test_no_pattern_lists_a_whole_held_out_sentence() -> None:
    # The lexicon is vocabulary: a held-out line of four or more words that a pattern
    # matches from its first letter to its last was copied into it.
    held_out = [comparable_text(e.text) for path in HELD_OUT
                for e in load_examples(str(path))]
    copied = [(name, text) for text in held_out if len(text.split()) >= 4
              for name, pattern in PATTERNS.items() if pattern.fullmatch(text)]
    assert copied == []
