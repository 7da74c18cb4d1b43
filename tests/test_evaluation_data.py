"""The evaluation data itself: hard cases well-formed, held-out lines never trained on."""

from __future__ import annotations

from pathlib import Path

import yaml

from scripts.metrics import CRISIS_INTENTS, comparable_text, repeated_texts

REPO_ROOT = Path(__file__).resolve().parents[1]
HARD_CASES = REPO_ROOT / "tests" / "crisis_hard_cases.yml"


def _nlu_lines(path: Path) -> list[tuple[str, str]]:
    """(intent, text) of every example line as written. Not scripts.eval_models.load_examples:
    Rasa's loader drops repeated lines, and these tests must see a hard case listed twice."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    lines = []
    for block in data.get("nlu") or []:
        if "intent" not in block:
            continue
        for line in str(block["examples"]).splitlines():
            if line.strip().startswith("- "):
                lines.append((str(block["intent"]), line.strip()[2:].strip()))
    return lines


HARD = _nlu_lines(HARD_CASES)


def test_hard_cases_are_rasa_nlu_yaml_with_enough_cases() -> None:
    data = yaml.safe_load(HARD_CASES.read_text(encoding="utf-8"))
    assert data["version"] == "3.1"
    crisis = [intent for intent, _ in HARD if intent in CRISIS_INTENTS]
    other = [intent for intent, _ in HARD if intent not in CRISIS_INTENTS]
    assert len(crisis) >= 40 and len(other) >= 30
    assert set(crisis) == CRISIS_INTENTS


def test_hard_cases_use_catalogue_intents() -> None:
    trained = {
        intent
        for path in (REPO_ROOT / "data" / "nlu").glob("*.yml")
        for intent, _ in _nlu_lines(path)
    }
    assert {intent for intent, _ in HARD} <= trained


def test_hard_cases_are_never_training_or_test_lines() -> None:
    others = [
        text
        for path in [
            *(REPO_ROOT / "data" / "nlu").rglob("*.yml"),
            *(REPO_ROOT / "tests" / "nlu_test").rglob("*.yml"),
        ]
        for _, text in _nlu_lines(path)
    ]
    texts = [text for _, text in HARD]
    assert [texts[i] for i in repeated_texts(texts, others)] == []
    comparable = [comparable_text(t) for t in texts]
    assert len(set(comparable)) == len(comparable), "a hard case is listed twice"


def test_no_test_split_line_is_a_training_line() -> None:
    training = [text for path in (REPO_ROOT / "data" / "nlu").glob("*.yml")
                for _, text in _nlu_lines(path)]
    held_out = [text for path in (REPO_ROOT / "tests" / "nlu_test").rglob("*.yml")
                for _, text in _nlu_lines(path)]
    assert len(held_out) >= 250
    assert [held_out[i] for i in repeated_texts(held_out, training)] == []
