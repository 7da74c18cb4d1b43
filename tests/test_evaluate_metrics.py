"""Unit tests of the NLU evaluation's metrics and baseline (no Rasa training here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts.evaluate import build_baseline, run_baseline, top_intents
from scripts.metrics import (
    CRISIS_INTENTS,
    FALLBACK_INTENT,
    IntentScores,
    accuracy,
    confusion_counts,
    crisis_scores,
    label_order,
    macro_f1,
    per_intent_scores,
)

SUICIDE = "crisis_suicide_selfharm"
UNSAFE = "crisis_unsafe"
REPO_ROOT = Path(__file__).resolve().parents[1]


def test_crisis_intents_are_the_two_catalogue_intents() -> None:
    assert frozenset({SUICIDE, UNSAFE}) == CRISIS_INTENTS


def test_accuracy() -> None:
    assert accuracy(["a", "a", "b", "b"], ["a", "b", "b", "b"]) == pytest.approx(0.75)
    assert accuracy(["a"], ["a"]) == 1.0
    assert accuracy(["a", "b"], [FALLBACK_INTENT, FALLBACK_INTENT]) == 0.0


def test_macro_f1_known_values() -> None:
    # a: P 1, R 1/2, F1 2/3; b: P 2/3, R 1, F1 4/5
    assert macro_f1(["a", "a", "b", "b"], ["a", "b", "b", "b"]) == pytest.approx((2 / 3 + 0.8) / 2)
    assert macro_f1(["a", "b"], ["a", "b"]) == 1.0


def test_macro_f1_averages_over_expected_intents_only() -> None:
    # nlu_fallback is wrong for b but is no class of its own: (1 + 0) / 2, not (1 + 0 + 0) / 3.
    assert macro_f1(["a", "b"], ["a", FALLBACK_INTENT]) == pytest.approx(0.5)
    assert macro_f1(["a", "b"], ["a", FALLBACK_INTENT], labels=["a"]) == 1.0


def test_per_intent_scores() -> None:
    scores = per_intent_scores(["a", "a", "b", "b"], ["a", "b", "b", FALLBACK_INTENT])
    assert list(scores) == ["a", "b", FALLBACK_INTENT]
    assert (scores["a"].precision, scores["a"].recall, scores["a"].support) == (1.0, 0.5, 2)
    assert scores["a"].f1 == pytest.approx(2 / 3)
    assert scores["b"] == IntentScores(precision=0.5, recall=0.5, f1=0.5, support=2)
    assert scores[FALLBACK_INTENT] == IntentScores(precision=0.0, recall=0.0, f1=0.0, support=0)


def test_per_intent_scores_with_given_labels_includes_unseen_ones() -> None:
    scores = per_intent_scores(["a"], ["a"], labels=["a", "z"])
    assert scores["z"] == IntentScores(precision=0.0, recall=0.0, f1=0.0, support=0)


def test_crisis_either_crisis_intent_counts_as_detected() -> None:
    y_true = [SUICIDE, UNSAFE, UNSAFE, "greet", "greet"]
    y_pred = [UNSAFE, UNSAFE, FALLBACK_INTENT, SUICIDE, "greet"]
    crisis = crisis_scores(y_true, y_pred)
    assert (crisis.true_positives, crisis.false_negatives, crisis.false_positives) == (2, 1, 1)
    assert crisis.support == 3
    assert crisis.recall == pytest.approx(2 / 3)
    assert crisis.precision == pytest.approx(2 / 3)


def test_crisis_perfect() -> None:
    crisis = crisis_scores([SUICIDE, "greet"], [SUICIDE, "greet"])
    assert (crisis.recall, crisis.precision) == (1.0, 1.0)


def test_crisis_no_crisis_examples_and_no_crisis_predictions() -> None:
    crisis = crisis_scores(["greet", "thank"], ["greet", "thank"])
    assert crisis.recall is None
    assert crisis.precision is None
    assert crisis.support == 0


def test_crisis_no_crisis_examples_but_false_alarm() -> None:
    crisis = crisis_scores(["greet", "thank"], [UNSAFE, "thank"])
    assert crisis.recall is None
    assert crisis.precision == 0.0
    assert crisis.false_positives == 1


def test_crisis_all_missed() -> None:
    crisis = crisis_scores([SUICIDE, UNSAFE], [FALLBACK_INTENT, "topic_home"])
    assert crisis.recall == 0.0
    assert crisis.precision is None


def test_crisis_custom_intents() -> None:
    crisis = crisis_scores(["x", "y"], ["x", "x"], crisis_intents={"x"})
    assert (crisis.recall, crisis.precision) == (1.0, 0.5)


@pytest.mark.parametrize("y_pred", [["a"], ["a", "b", "c"]])
def test_length_mismatch_is_an_error(y_pred: list[str]) -> None:
    with pytest.raises(ValueError):
        accuracy(["a", "b"], y_pred)
    with pytest.raises(ValueError):
        crisis_scores(["a", "b"], y_pred)


def test_empty_input_is_an_error() -> None:
    with pytest.raises(ValueError):
        accuracy([], [])
    with pytest.raises(ValueError):
        macro_f1([], [])


def test_label_order_puts_fallback_last() -> None:
    assert label_order(["b", FALLBACK_INTENT], ["a", "b"]) == ["a", "b", FALLBACK_INTENT]
    assert label_order(["b"], ["a"]) == ["a", "b"]


def test_confusion_counts() -> None:
    counts = confusion_counts(["a", "a", "b"], ["a", "b", "b"], ["a", "b"])
    assert counts == [[1, 1], [0, 1]]


def test_top_intents_without_fallback() -> None:
    parse = {
        "intent": {"name": "greet", "confidence": 0.9},
        "intent_ranking": [{"name": "greet", "confidence": 0.9}],
    }
    predicted, underlying, confidence = top_intents(parse)
    assert (predicted, underlying) == ("greet", "greet")
    assert confidence == pytest.approx(0.9)


def test_top_intents_with_fallback_keeps_the_underlying_intent() -> None:
    parse = {
        "intent": {"name": FALLBACK_INTENT, "confidence": 0.5},
        "intent_ranking": [
            {"name": FALLBACK_INTENT, "confidence": 0.5},
            {"name": UNSAFE, "confidence": 0.42},
            {"name": "greet", "confidence": 0.3},
        ],
    }
    predicted, underlying, confidence = top_intents(parse)
    assert (predicted, underlying) == (FALLBACK_INTENT, UNSAFE)
    assert confidence == pytest.approx(0.42)


def test_top_intents_without_any_intent() -> None:
    assert top_intents({"intent": None}) == ("", "", None)


def test_baseline_has_the_specified_parameters() -> None:
    params = build_baseline().get_params()
    assert params["tfidf__analyzer"] == "char_wb"
    assert params["tfidf__ngram_range"] == (2, 5)
    assert params["tfidf__sublinear_tf"] is True
    assert params["logreg__C"] == 10
    assert params["logreg__class_weight"] == "balanced"


def test_baseline_learns_a_trivially_separable_split() -> None:
    train = {
        "greet": ["hallo", "hallo daar", "hoi hallo", "hallo hallo", "hallootjes"],
        "ask_cost": ["wat kost het", "kost dat geld", "kosten?", "hoeveel kost het", "kost"],
        "crisis_unsafe": ["hij slaat me", "ik word geslagen", "slaat", "slaan", "geslagen"],
    }
    texts = [text for examples in train.values() for text in examples]
    labels = [intent for intent, examples in train.items() for _ in examples]
    test_texts = ["hallo!", "wat kosten jullie", "mijn vader slaat mij"]

    run = run_baseline(texts, labels, test_texts, seed=42)

    assert run.predictions == ["greet", "ask_cost", "crisis_unsafe"]
    assert accuracy(["greet", "ask_cost", "crisis_unsafe"], run.predictions) == 1.0
    assert run.train_seconds >= 0.0
    assert run.size_mb > 0.0
    assert len(run.confidences) == 3
    assert all(c is not None and 1 / 3 < c <= 1.0 for c in run.confidences)


def test_importing_the_script_has_no_side_effects() -> None:
    code = (
        "import sys, scripts.evaluate; "
        "heavy = [m for m in ('rasa', 'tensorflow', 'matplotlib.pyplot') if m in sys.modules]; "
        "print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
