"""make evaluate's harness: folds, fallback behaviour, threshold calibration, the guard's
reading of a model, and a whole (small) run through the real pipeline."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

from scripts.eval_cv import (
    OUT_OF_SCOPE,
    REVIEW_BARS,
    ReviewLoad,
    as_understood,
    calibrate_threshold,
    cross_validate,
    fallback_behaviour,
    review_load,
    stratified_folds,
    with_threshold,
)
from scripts.eval_models import EvaluationError, Example
from scripts.eval_scores import GUARD_THRESHOLDS, guard_labels
from scripts.eval_systems import (
    SYSTEM_BASELINE,
    Predictions,
    System,
    fit_predict,
    write_nlu_file,
)
from scripts.evaluate import evaluate, main, parse_args
from scripts.metrics import FALLBACK_INTENT

SUICIDE = "crisis_suicide_selfharm"


def test_folds_are_stratified_disjoint_complete_and_fixed_by_the_seed() -> None:
    labels = ["a"] * 10 + ["b"] * 5
    folds = stratified_folds(labels, 5, seed=1)
    assert sorted(i for fold in folds for i in fold) == list(range(15))
    assert all(sum(labels[i] == "b" for i in fold) == 1 for fold in folds)
    assert folds == stratified_folds(labels, 5, seed=1)
    assert folds != stratified_folds(labels, 5, seed=2)


def test_folds_refuse_an_intent_with_fewer_examples_than_folds() -> None:
    with pytest.raises(EvaluationError, match="only 2 examples"):
        stratified_folds(["a"] * 10 + ["b"] * 2, 5, seed=1)


def test_fallback_behaviour_counts_out_of_scope_and_fallback_as_not_understood() -> None:
    truth = [OUT_OF_SCOPE, OUT_OF_SCOPE, OUT_OF_SCOPE, "greet", "greet", "thank", "thank"]
    said = [OUT_OF_SCOPE, FALLBACK_INTENT, "greet", "greet", FALLBACK_INTENT, OUT_OF_SCOPE,
            "thank"]
    behaviour = fallback_behaviour(truth, said)
    assert behaviour.out_of_scope_caught == pytest.approx(2 / 3)
    assert behaviour.in_scope_lost == pytest.approx(2 / 4)
    assert (behaviour.out_of_scope_support, behaviour.in_scope_support) == (3, 4)


def test_threshold_turns_unsure_answers_into_the_fallback() -> None:
    assert with_threshold(["a", "b"], [0.2, 0.6], 0.3) == [FALLBACK_INTENT, "b"]
    assert as_understood([FALLBACK_INTENT, "b"]) == [OUT_OF_SCOPE, "b"]


def test_calibration_finds_the_threshold_that_separates_unsure_out_of_scope_messages() -> None:
    # Out-of-scope messages get low confidences on some in-scope intent; in-scope ones high.
    truth = [OUT_OF_SCOPE] * 4 + ["greet"] * 4 + ["thank"] * 4
    top = ["greet", "thank", "greet", "thank"] + ["greet"] * 4 + ["thank"] * 4
    confidence = [0.2, 0.25, 0.3, 0.35] + [0.5, 0.6, 0.7, 0.8] * 2
    choice = calibrate_threshold(truth, top, confidence)
    assert 0.35 < choice.threshold <= 0.5
    assert choice.macro_f1 == pytest.approx(1.0)
    assert choice.macro_f1_without < choice.macro_f1


def test_the_nlu_inbox_load_counts_what_was_not_understood_and_weak_answers_below_the_bar(
) -> None:
    truth = [OUT_OF_SCOPE, "greet", "greet", "thank", "thank", "greet"]
    deployed = [FALLBACK_INTENT, "greet", "thank", "thank", "greet", OUT_OF_SCOPE]
    # A fallback, a sure right answer, a weak wrong one, a weak right one, a sure wrong one,
    # and a greeting the bot took for out of scope.
    confidence = [0.2, 0.95, 0.45, 0.55, 0.9, 0.9]

    loads = review_load(truth, deployed, confidence, bars=(0.0, 0.5, 0.6))

    assert loads == [
        ReviewLoad(0.0, 2 / 6, 1 / 2, 1 / 3),  # the not understood: fallback, out of scope
        ReviewLoad(0.5, 3 / 6, 2 / 3, 2 / 3),  # + the weak wrong answer
        ReviewLoad(0.6, 4 / 6, 2 / 4, 2 / 3),  # + the weak right one; the sure wrong one never
    ]
    assert review_load(truth, deployed, confidence, bars=(0.0,), out_of_scope=False) == [
        ReviewLoad(0.0, 1 / 6, 0.0, 0.0)]  # the fallback alone
    assert review_load(["greet"], ["greet"], [0.99], bars=(0.5,)) == [
        ReviewLoad(0.5, 0.0, None, None)]


def test_the_guard_takes_a_crisis_behind_the_fallback_or_a_topic_but_not_below_its_bar() -> None:
    predictions = Predictions(
        deployed=[FALLBACK_INTENT, FALLBACK_INTENT, SUICIDE, "greet", "topic_mood"],
        top=[SUICIDE, SUICIDE, SUICIDE, "greet", "topic_mood"],
        confidence=[0.35, 0.05, 0.15, 0.9, 0.52],
        train_seconds=0.0,
        size_mb=0.0,
        crisis_readings=[(SUICIDE, 0.35), (SUICIDE, 0.05), (SUICIDE, 0.15), (None, 0.0),
                         (SUICIDE, 0.46)],
    )
    assert guard_labels(predictions) == [SUICIDE, FALLBACK_INTENT, FALLBACK_INTENT, "greet",
                                         SUICIDE]
    # A lower bar takes the crisis at 0.15 too; a higher one drops those at 0.35 and 0.46.
    assert guard_labels(predictions, 0.1) == [SUICIDE, FALLBACK_INTENT, SUICIDE, "greet",
                                              SUICIDE]
    assert guard_labels(predictions, 0.5) == [FALLBACK_INTENT, FALLBACK_INTENT,
                                              FALLBACK_INTENT, "greet", "topic_mood"]


WORDS = {
    "greet": ["hoi", "hallo", "hey", "goedemorgen", "hoi hoi", "yo", "hallootjes", "hey daar",
              "hoi allemaal", "goeiedag"],
    "thank": ["dank je", "bedankt", "thanks", "dankjewel", "thx", "merci", "top bedankt",
              "heel erg bedankt", "dank je wel", "tnx"],
    SUICIDE: ["ik wil dood", "ik wil niet meer leven", "ik denk aan zelfmoord",
              "ik snij mezelf", "ik wil er niet meer zijn", "ik wil een einde maken aan alles",
              "ik wil verdwijnen voor altijd", "kwil dood", "ik ga mezelf iets aandoen",
              "ik heb pillen gespaard om te slikken"],
    OUT_OF_SCOPE: ["wat is 2+2", "hoe laat is het", "wie wint de wedstrijd", "ik heb honger",
                   "vertel een mop", "wat is de hoofdstad van frankrijk", "asdfgh",
                   "ik ga dood van het lachen", "mijn telefoon is dood", "ik verveel me"],
}


def examples(first: int, last: int) -> list[Example]:
    return [Example(text, intent) for intent, texts in WORDS.items() for text in
            texts[first:last]]


def test_the_baseline_system_cross_validates_on_every_example() -> None:
    data = examples(0, 8)
    cv = cross_validate(System(SYSTEM_BASELINE, None), data, 2, seed=3)
    assert len(cv.predictions.deployed) == len(data)
    assert all(cv.predictions.deployed)
    assert len(cv.fold_macro_f1) == 2
    assert 0.0 <= cv.macro_f1_mean <= 1.0


def test_nlu_file_round_trip(tmp_path: Path) -> None:
    from scripts.eval_models import load_examples

    data = [Example("ik wil dood", SUICIDE), Example("hoi: daar", "greet")]
    write_nlu_file(data, tmp_path / "nlu.yml")
    assert load_examples(str(tmp_path / "nlu.yml")) == data


def test_the_nlu_file_of_a_fold_carries_the_whole_lexicon(tmp_path: Path) -> None:
    from scripts.eval_models import Vocabulary, load_examples, load_vocabulary

    regex = {"name": "lex_money", "pattern": r"\b(geld|schuld\w*)\b"}
    lookup = {"name": "stad", "elements": ["utrecht", "zwolle"]}
    data = [Example("ik heb schulden", "topic_money"), Example("hoi", "greet")]
    write_nlu_file(data, tmp_path / "nlu.yml", Vocabulary((regex,), (lookup,)))
    assert load_examples(str(tmp_path / "nlu.yml")) == data
    vocabulary = load_vocabulary(str(tmp_path / "nlu.yml"))
    assert vocabulary.regex_features == (regex,)
    assert vocabulary.lookup_tables == (lookup,)


def test_fit_predict_refuses_no_training_data() -> None:
    with pytest.raises(EvaluationError):
        fit_predict(System(SYSTEM_BASELINE, None), [], ["hoi"], seed=1)


def write_yaml(path: Path, data: list[Example]) -> None:
    write_nlu_file(data, path)


def test_a_whole_run_compares_the_systems_and_writes_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_yaml(tmp_path / "train.yml", examples(0, 8))
    write_yaml(tmp_path / "test.yml", examples(8, 10))
    write_yaml(tmp_path / "hard.yml", [Example("kwil echt niet meer leven", SUICIDE),
                                       Example("ik lig dood van het lachen", OUT_OF_SCOPE)])
    status = main([
        "--train", str(tmp_path / "train.yml"), "--test", str(tmp_path / "test.yml"),
        "--hard-cases", str(tmp_path / "hard.yml"), "--out", str(tmp_path / "out"),
        "--folds", "2", "--systems", "broekzak,tf-idf baseline",
    ])
    assert status == 0
    report = json.loads((tmp_path / "out" / "evaluation.json").read_text())
    assert set(report["scores"]) == {"broekzak", "tf-idf baseline"}
    broekzak = report["scores"]["broekzak"]
    assert len(broekzak["robust_by_perturbation"]) == 5
    assert 0.0 <= broekzak["cv_macro_f1"] <= 1.0
    assert 0.0 <= broekzak["threshold"]["threshold"] <= 0.9
    # The guard sweep: recall can only fall as the bar rises, false alarms likewise.
    sweep = [broekzak["cv_guard_sweep"][key] for key in sorted(broekzak["cv_guard_sweep"],
                                                                 key=float)]
    assert len(sweep) == len(GUARD_THRESHOLDS)
    with_net = broekzak["cv_guard_sweep_with_net"]
    assert all(with_net[key]["true_positives"] >= broekzak["cv_guard_sweep"][key]["true_positives"]
               for key in with_net)
    assert all(a["true_positives"] >= b["true_positives"] and
               a["false_positives"] >= b["false_positives"] for a, b in pairwise(sweep))
    assert set(report["crisis"]["datasets"]) == {"test split", "hard cases"}
    out = tmp_path / "out"
    for name in ("evaluation.md", "evaluation.json", "per_intent_f1.png",
                 "confusion_matrix_broekzak.png", "confusion_matrix_tf_idf_baseline.png"):
        assert (out / name).stat().st_size > 0, name
    assert report["folds"] == 2
    printed = capsys.readouterr()
    assert "CV macro-F1" in printed.out and "broekzak" in printed.out
    # User text goes to the report files, never to the terminal or the log.
    assert "kwil echt niet meer leven" not in printed.out + printed.err
    assert "## Crisis detection" in (out / "evaluation.md").read_text()
    assert "## Guard confidence" in (out / "evaluation.md").read_text()
    # The NLU inbox's load: the higher the bar, the more goes in.
    loads = report["nlu_inbox"]["with_out_of_scope"]
    without = report["nlu_inbox"]["without_out_of_scope"]
    assert [load["bar"] for load in loads] == [load["bar"] for load in without] == list(REVIEW_BARS)
    assert all(a["flagged"] <= b["flagged"] for a, b in pairwise(loads))
    assert all(a["flagged"] >= b["flagged"] for a, b in zip(loads, without, strict=True))
    assert "## NLU inbox load" in (out / "evaluation.md").read_text()


def test_an_unknown_system_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match="unknown system"):
        evaluate(parse_args(["--systems", "gpt", "--out", str(tmp_path)]))
    assert main(["--systems", "gpt", "--out", str(tmp_path)]) == 1


def test_eval_fold_scores_a_config_on_one_fold_of_the_harness_split(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scripts import eval_fold

    write_yaml(tmp_path / "train.yml", examples(0, 8))
    assert eval_fold.main(["--train", str(tmp_path / "train.yml"), "--folds", "2",
                           "--fold", "2", "config.yml"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("config.yml\tfold 2\tmacro-F1 ")
    f1 = float(line.split("macro-F1 ")[1].split("\t")[0])
    # 32 training examples of four intents: the real pipeline gets most of the held-out half.
    assert 0.5 < f1 <= 1.0
    assert eval_fold.main(["--train", str(tmp_path / "train.yml"), "--folds", "2",
                           "--fold", "3", "config.yml"]) == 2
    assert "fold must be between 1 and 2" in capsys.readouterr().err


def test_sweep_classifier_matches_eval_fold_and_fits_each_variant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scripts import eval_fold, sweep_classifier

    write_yaml(tmp_path / "train.yml", examples(0, 8))
    common = ["--train", str(tmp_path / "train.yml"), "--folds", "2", "--fold", "2"]
    assert eval_fold.main([*common, "config.yml"]) == 0
    expected = capsys.readouterr().out.split("macro-F1 ")[1].split("\t")[0]
    mute = '{"model": "logistic", "C": 1e-06}'
    assert sweep_classifier.main([*common, "config.yml", "{}", mute]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["as configured", "{}", mute]
    scores = [line.split("macro-F1 ")[1].split("\t")[0] for line in lines]
    # The recorded features, fitted again with the config's own settings, score what the
    # whole pipeline scores.
    assert scores[0] == scores[1] == expected
    # A variant is really fitted: regularised to nothing, every intent gets about 1/4, below
    # the fallback threshold, so all 16 messages read as out of scope (F1 0.4 for that
    # intent, 0 for the other three).
    assert scores[2] == "0.1000"


@pytest.mark.parametrize(("variant", "message"), [
    ("{C: 1}", "is not JSON"), ("[1]", "is not a JSON object"),
    ('{"dense_weigth": 2}', "not a setting of the linear classifier: dense_weigth"),
    ('{"C": 0}', "C must be greater than 0"),
])
def test_sweep_classifier_refuses_a_bad_variant_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], variant: str, message: str
) -> None:
    from scripts import sweep_classifier

    write_yaml(tmp_path / "train.yml", examples(0, 8))
    assert sweep_classifier.main(["--train", str(tmp_path / "train.yml"), "--folds", "2",
                                  "config.yml", variant]) == 2
    assert message in capsys.readouterr().err


def test_sweep_classifier_needs_the_linear_classifier_in_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scripts import sweep_classifier

    write_yaml(tmp_path / "train.yml", examples(0, 8))
    assert sweep_classifier.main(["--train", str(tmp_path / "train.yml"), "--folds", "2",
                                  "scripts/rasa_default_config.yml", "{}"]) == 2
    assert "has no nlu.linear_classifier.LinearIntentClassifier" in capsys.readouterr().err
