"""Unit tests of the NLU evaluation's metrics and baseline (no Rasa training here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.safety.net import KINDS, SafetyNet
from scripts.eval_crisis import (
    CRISIS_HEADER,
    DETECTOR_COMBINED,
    DETECTOR_MODEL,
    DETECTOR_NET,
    SAFETY_PATTERNS,
    as_guarded,
    crisis_detection,
    crisis_error_table,
    crisis_markdown,
    crisis_rows,
    model_view,
)
from scripts.eval_models import (
    ROW_MODEL,
    Example,
    ModelRun,
    build_baseline,
    run_baseline,
    top_intents,
)
from scripts.evaluate import parse_args
from scripts.metrics import (
    CRISIS_INTENTS,
    FALLBACK_INTENT,
    NET_KIND_INTENTS,
    NO_ALARM,
    IntentScores,
    accuracy,
    comparable_text,
    confusion_counts,
    crisis_errors,
    crisis_scores,
    detector_scores,
    either_fires,
    label_order,
    macro_f1,
    net_predictions,
    per_intent_scores,
    repeated_texts,
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
        "import sys, scripts.evaluate, scripts.eval_models, scripts.eval_report; "
        "heavy = [m for m in ('rasa', 'tensorflow', 'matplotlib.pyplot') if m in sys.modules]; "
        "print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --------------------------------------------------------------------------------------------
# crisis detectors: model, safety net, both


def test_net_kinds_map_to_the_crisis_intents() -> None:
    assert set(NET_KIND_INTENTS.values()) == CRISIS_INTENTS
    assert set(NET_KIND_INTENTS) == set(KINDS)


def test_net_predictions() -> None:
    assert net_predictions(["suicide_selfharm", None, "unsafe"]) == [SUICIDE, NO_ALARM, UNSAFE]
    assert net_predictions([]) == []


def test_net_predictions_rejects_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        net_predictions(["danger"])


def test_either_fires_keeps_the_first_crisis_label() -> None:
    model = [SUICIDE, "greet", FALLBACK_INTENT, "topic_home", UNSAFE]
    net = [UNSAFE, SUICIDE, UNSAFE, NO_ALARM, NO_ALARM]
    assert either_fires(model, net) == [SUICIDE, SUICIDE, UNSAFE, "topic_home", UNSAFE]


def test_either_fires_never_loses_an_alarm_and_never_adds_one() -> None:
    model = [SUICIDE, "greet", "greet", UNSAFE]
    net = [NO_ALARM, UNSAFE, NO_ALARM, SUICIDE]
    combined = either_fires(model, net)
    for m, n, c in zip(model, net, combined, strict=True):
        assert (c in CRISIS_INTENTS) == (m in CRISIS_INTENTS or n in CRISIS_INTENTS)


def test_either_fires_length_mismatch() -> None:
    with pytest.raises(ValueError):
        either_fires(["a"], ["a", "b"])


def test_combined_recall_is_at_least_each_detectors() -> None:
    y_true = [SUICIDE, SUICIDE, UNSAFE, UNSAFE, "greet", "out_of_scope", "topic_mood"]
    model = [SUICIDE, "topic_mood", FALLBACK_INTENT, UNSAFE, "greet", SUICIDE, "topic_mood"]
    net = [NO_ALARM, SUICIDE, NO_ALARM, UNSAFE, NO_ALARM, NO_ALARM, UNSAFE]
    scores = detector_scores(y_true, {"model": model, "net": net, "both": either_fires(model, net)})
    # model: hits 0 and 3, false alarm on 5; net: hits 1 and 3, false alarm on 6.
    assert (scores["model"].recall, scores["model"].precision) == (0.5, pytest.approx(2 / 3))
    assert (scores["net"].recall, scores["net"].precision) == (0.5, pytest.approx(2 / 3))
    # both: hits 0, 1, 3 (2 is missed by both), false alarms on 5 and 6.
    both = scores["both"]
    assert (both.true_positives, both.false_negatives, both.false_positives) == (3, 1, 2)
    assert both.recall == pytest.approx(0.75)
    assert both.precision == pytest.approx(0.6)


def test_detector_scores_keeps_the_detector_order() -> None:
    scores = detector_scores(["greet"], {"b": ["greet"], "a": ["greet"]})
    assert list(scores) == ["b", "a"]


def test_crisis_errors() -> None:
    y_true = [SUICIDE, UNSAFE, "greet", "greet", SUICIDE]
    y_pred = [UNSAFE, NO_ALARM, SUICIDE, "greet", FALLBACK_INTENT]
    assert crisis_errors(y_true, y_pred) == ([1, 4], [2])
    assert crisis_errors(["greet"], ["greet"]) == ([], [])
    with pytest.raises(ValueError):
        crisis_errors(["a"], [])


def test_comparable_text_ignores_case_punctuation_and_emoji() -> None:
    assert comparable_text("Ik ga dood van het lachen 😂!!") == "ik ga dood van het lachen"
    assert comparable_text("  foto's_van   mij ") == "foto s van mij"


def test_comparable_text_keeps_the_symbols_of_an_emoji_only_message() -> None:
    assert comparable_text("💀💀") == "💀💀"
    assert comparable_text(" 💀 💀 ") == "💀💀"
    assert comparable_text("👌") != comparable_text("👍")
    assert comparable_text("   ") == ""


def test_repeated_texts() -> None:
    known = ["Mijn telefoon is dood", "💀", "ik wil dood", "  "]
    texts = ["mijn telefoon is dood!", "ik wil niet dood", "💀", "IK WIL DOOD", "👌", " "]
    assert repeated_texts(texts, known) == [0, 2, 3]
    assert repeated_texts([], known) == []


def _run(predictions: list[str]) -> ModelRun:
    return ModelRun(ROW_MODEL, predictions, 1.0, 1.0, [0.5] * len(predictions))


def test_crisis_detection_with_the_real_safety_net() -> None:
    net = SafetyNet.from_file(SAFETY_PATTERNS)
    examples = [
        Example("ik wil dood", SUICIDE),  # net only
        Example("het donker in mijn hoofd blijft", SUICIDE),  # model only
        Example("xyzzy zonder alarm", UNSAFE),  # missed by both
        Example("mijn telefoon is dood", "out_of_scope"),  # idiom: no alarm
        Example("hallo daar", "greet"),  # model false alarm
    ]
    model = _run(["topic_mood", SUICIDE, FALLBACK_INTENT, "out_of_scope", UNSAFE])
    no_fallback = _run(["topic_mood", SUICIDE, "topic_home", "out_of_scope", UNSAFE])

    result = crisis_detection("hard.yml", examples, model, no_fallback, net)

    assert list(result["scores"]) == [DETECTOR_MODEL, DETECTOR_NET, DETECTOR_COMBINED]
    assert (result["path"], result["examples"]) == ("hard.yml", 5)
    assert (result["crisis_examples"], result["other_examples"]) == (3, 2)
    assert result["scores"][DETECTOR_MODEL]["true_positives"] == 1
    assert result["scores"][DETECTOR_NET]["true_positives"] == 1
    assert result["scores"][DETECTOR_NET]["false_positives"] == 0
    combined = result["scores"][DETECTOR_COMBINED]
    assert (combined["true_positives"], combined["false_negatives"]) == (2, 1)
    assert combined["false_positives"] == 1
    assert combined["recall"] == pytest.approx(2 / 3)
    assert combined["precision"] == pytest.approx(2 / 3)
    assert result["missed"] == [
        {
            "text": "xyzzy zonder alarm",
            "expected": UNSAFE,
            "model": FALLBACK_INTENT,
            "model_without_fallback": "topic_home",
            "confidence": 0.5,
            "safety_net": None,
        }
    ]
    assert [e["text"] for e in result["false_alarms"]] == ["hallo daar"]
    assert result["false_alarms"][0]["model"] == UNSAFE


def test_crisis_detection_names_the_pattern_that_fired() -> None:
    net = SafetyNet.from_file(SAFETY_PATTERNS)
    examples = [Example("ik wil dood", "topic_mood")]
    result = crisis_detection("t.yml", examples, _run(["topic_mood"]), _run(["topic_mood"]), net)
    assert result["false_alarms"][0]["safety_net"] == "wants_to_die"


def test_crisis_report_tables() -> None:
    net = SafetyNet.from_file(SAFETY_PATTERNS)
    examples = [Example("ik wil dood", SUICIDE), Example("a | b", "greet")]
    data = crisis_detection(
        "t.yml", examples, _run(["greet", UNSAFE]), _run(["greet", UNSAFE]), net
    )
    rows = crisis_rows({"test split": data})
    assert [r[0] for r in rows] == [
        f"test split / {DETECTOR_MODEL}",
        f"test split / {DETECTOR_NET}",
        f"test split / {DETECTOR_COMBINED}",
    ]
    assert all(len(r) == len(CRISIS_HEADER) for r in rows)
    assert rows[0][1:] == ["0.000", "0.000", "0/1", "1", "1"]
    assert rows[1][1:] == ["1.000", "1.000", "1/1", "0", "0"]
    assert rows[2][1:] == ["1.000", "0.500", "1/1", "0", "1"]
    table = crisis_error_table(data["false_alarms"])
    assert "a \\| b" in table  # a pipe in user text does not break the table
    assert crisis_error_table([]) == "None."
    markdown = "\n".join(
        crisis_markdown(
            {
                "positive_class": sorted(CRISIS_INTENTS),
                "safety_patterns": "safety/patterns.yml",
                "datasets": {"test split": data},
            }
        )
    )
    assert "### test split: crises missed by model + net\n\nNone." in markdown
    assert "### test split: false alarms of model + net" in markdown


def test_hard_cases_option() -> None:
    assert parse_args([]).hard_cases == "tests/crisis_hard_cases.yml"
    assert parse_args(["--hard-cases", ""]).hard_cases == ""


# --------------------------------------------------------------------------------------------
# crisis scoring as the guard runs it


NET = SafetyNet.from_file(REPO_ROOT / "safety" / "patterns.yml")


def test_crisis_detectors_are_scored_as_the_guard_runs_them() -> None:
    plant = "mijn plantje is dood want ik vergat water te geven"
    texts = [plant, "ik wil dood"]
    views = {t: model_view(NET, t) for t in texts}
    assert views["ik wil dood"] == "ik wil dood"
    assert views[plant] and "dood" not in views[plant]
    run = ModelRun("m", ["crisis_suicide_selfharm", "crisis_suicide_selfharm"], 1.0, 1.0)
    guarded = as_guarded(run, texts, views, {views[plant]: "out_of_scope"})
    assert guarded.predictions == ["out_of_scope", "crisis_suicide_selfharm"]


def test_an_idiom_text_is_a_crisis_only_when_the_model_says_so_with_and_without_it() -> None:
    texts = ["mijn plantje is dood", "mijn telefoon is dood en ik wil dood"]
    views = {t: model_view(NET, t) for t in texts}
    run = ModelRun("m", ["out_of_scope", "crisis_suicide_selfharm"], 1.0, 1.0)
    cut = {views[texts[0]]: "crisis_suicide_selfharm", views[texts[1]]: "crisis_suicide_selfharm"}
    assert as_guarded(run, texts, views, cut).predictions == [
        "out_of_scope", "crisis_suicide_selfharm"]


def test_an_idiom_with_too_short_a_rest_is_no_model_crisis() -> None:
    texts = ["ik heb zo'n kater ik ga dood"]
    views = {t: model_view(NET, t) for t in texts}
    assert views[texts[0]] == ""
    run = ModelRun("m", ["crisis_suicide_selfharm"], 1.0, 1.0)
    guarded = as_guarded(run, texts, views, {"": "crisis_suicide_selfharm"})
    assert guarded.predictions != ["crisis_suicide_selfharm"]
