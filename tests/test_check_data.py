"""The training-data checker (scripts/check_data.py) and the data it guards."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import REPO_ROOT
from bot.safety.net import SafetyNet
from scripts.check_data import domain_intents, find_problems, main, near_copy
from scripts.eval_models import Example

NET = SafetyNet.from_file(REPO_ROOT / "safety" / "patterns.yml")
INTENTS = {"greet", "out_of_scope", "crisis_suicide_selfharm"}


def reasons(checked: list[Example], rest: list[Example] | None = None,
            held_out: list[str] | None = None) -> list[tuple[int, str]]:
    problems = find_problems(checked, rest or [], held_out or [], INTENTS, NET)
    return [(p.position, p.reason) for p in problems]


def test_clean_examples_pass() -> None:
    checked = [Example("hoi", "greet"), Example("ik wil dood", "crisis_suicide_selfharm"),
               Example("ik zit in de trein", "out_of_scope")]
    assert reasons(checked, held_out=["wat kost het"]) == []


def test_unknown_intent_repeats_and_conflicts_are_found() -> None:
    checked = [Example("hallo", "say_hi"), Example("Hoi!", "greet"),
               Example("hey", "greet"), Example("hey 👋", "out_of_scope")]
    found = reasons(checked, rest=[Example("hoi", "greet")])
    assert (1, "intent 'say_hi' is not in domain.yml") in found
    assert (2, "repeats another training example") in found
    assert (4, "the same text is also an example of greet") in found
    assert len(found) == 3


def test_near_copies_of_held_out_lines_are_found_but_not_quoted() -> None:
    held = ["ik zit echt helemaal vast in mijn hoofd"]
    found = reasons([Example("ik zit echt helemaal vast in mn hoofd", "out_of_scope")],
                    held_out=held)
    assert found == [(1, "is (nearly) a held-out evaluation line: rewrite or drop it")]
    assert held[0] not in found[0][1]
    assert not near_copy("ik zit in de trein", ["ik zit echt helemaal vast in mijn hoofd"])


def test_an_emoji_only_held_out_line_is_found_and_other_emoji_pass() -> None:
    found = reasons([Example("👌", "greet"), Example("👍", "greet")], held_out=["👌"])
    assert found == [(1, "is (nearly) a held-out evaluation line: rewrite or drop it")]


def test_a_non_crisis_example_that_trips_the_net_is_found() -> None:
    found = reasons([Example("ik wil dood", "out_of_scope")])
    assert found == [(1, "a non-crisis example trips the safety net (wants_to_die)")]


def test_the_domain_declares_the_catalogue_intents() -> None:
    intents = domain_intents()
    assert {"greet", "crisis_unsafe", "topic_money", "out_of_scope"} <= intents


def test_the_repository_training_data_has_no_problems(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert capsys.readouterr().out.strip().endswith(", 0 problems")


def test_a_file_is_checked_against_the_rest_of_the_data(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = tmp_path / "new.yml"
    new.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n'
                   "    - hoi\n    - goeiemorgen allemaal daar\n", encoding="utf-8")
    assert main([str(new)]) == 1
    out = capsys.readouterr().out
    assert "#1 [greet] 'hoi': repeats another training example" in out
    assert "2 examples checked, 1 problems" in out
