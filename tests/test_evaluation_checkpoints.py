"""make evaluate's checkpoints: an interrupted run resumes, and a stale checkpoint is never
used (scripts/eval_checkpoints.py)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.config import REPO_ROOT
from scripts.eval_checkpoints import Checkpoints, checkpoint_key, local_sources
from scripts.eval_cv import cross_validate
from scripts.eval_models import EvaluationError, Example, Vocabulary
from scripts.eval_systems import (
    RASA_DEFAULT_CONFIG,
    SYSTEM_BASELINE,
    Predictions,
    System,
    fit_predict,
)
from scripts.evaluate import main
from tests.test_evaluation_harness import examples, write_yaml

BASELINE = System(SYSTEM_BASELINE, None)


class CountingFit:
    """fit_predict that counts its trainings."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, system: System, train: Sequence[Example], texts: Sequence[str],
                 seed: int, vocabulary: Vocabulary) -> Predictions:
        self.calls += 1
        return fit_predict(system, train, texts, seed, vocabulary)


def test_a_second_run_reuses_every_training_and_gets_the_same_predictions(
    tmp_path: Path,
) -> None:
    data = examples(0, 8)
    first_fit, second_fit = CountingFit(), CountingFit()
    first = cross_validate(BASELINE, data, 2, 3, fit=Checkpoints(tmp_path, first_fit).fit_predict)
    resumed = Checkpoints(tmp_path, second_fit)
    second = cross_validate(BASELINE, data, 2, 3, fit=resumed.fit_predict)
    assert (first_fit.calls, second_fit.calls) == (2, 0)
    assert (resumed.reused, resumed.written) == (2, 0)
    assert second.predictions == first.predictions
    assert second.fold_macro_f1 == first.fold_macro_f1
    assert len(list(tmp_path.glob("tf_idf_baseline-*.json.gz"))) == 2


def test_any_changed_input_misses_the_checkpoint(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text("pipeline:\n  - name: WhitespaceTokenizer\n", encoding="utf-8")
    system = System("rasa", str(config))
    data = examples(0, 4)
    key = checkpoint_key(system, data, ["hoi"], 1)
    relabelled = [Example(data[0].text, "thank"), *data[1:]]
    lexicon = Vocabulary(({"name": "lex_money", "pattern": "geld"},), ())
    changed = [
        checkpoint_key(system, relabelled, ["hoi"], 1),
        checkpoint_key(system, data[1:], ["hoi"], 1),
        checkpoint_key(system, data, ["hoi", "doei"], 1),
        checkpoint_key(system, data, ["hoi"], 2),
        checkpoint_key(system, data, ["hoi"], 1, lexicon),
        checkpoint_key(System("other", str(config)), data, ["hoi"], 1),
    ]
    config.write_text("pipeline:\n  - name: WhitespaceTokenizer\n  - name: DIETClassifier\n",
                      encoding="utf-8")
    changed.append(checkpoint_key(system, data, ["hoi"], 1))
    assert key not in changed
    assert len(set(changed)) == len(changed)
    config.unlink()
    with pytest.raises(EvaluationError, match="config not found"):
        checkpoint_key(system, data, ["hoi"], 1)


def test_broekzak_components_key_only_the_configs_that_use_them() -> None:
    guard = REPO_ROOT / "bot" / "safety" / "guard.py"
    classifier = REPO_ROOT / "nlu" / "linear_classifier.py"
    ours = local_sources((REPO_ROOT / "config.yml").read_text(encoding="utf-8"))
    default = local_sources(RASA_DEFAULT_CONFIG.read_text(encoding="utf-8"))
    assert guard in ours and classifier in ours
    # Rasa's default pipeline keeps its checkpoints while broekzak's components change.
    assert default == [guard]
    assert local_sources(None) == [guard]


def test_an_interrupted_training_leaves_no_checkpoint(tmp_path: Path) -> None:
    def interrupted(*_: object) -> Predictions:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Checkpoints(tmp_path, interrupted).fit_predict(BASELINE, examples(0, 4), ["hoi"], 1)
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_checkpoint_is_an_error_not_a_silent_retrain(tmp_path: Path) -> None:
    checkpoints = Checkpoints(tmp_path)
    data = examples(0, 4)
    checkpoints.fit_predict(BASELINE, data, ["hoi"], 1)
    (path,) = tmp_path.iterdir()
    assert path == checkpoints.path(BASELINE, checkpoint_key(BASELINE, data, ["hoi"], 1))
    stored = json.loads(gzip.decompress(path.read_bytes()))
    stored["key"] = "0" * 64
    path.write_bytes(gzip.compress(json.dumps(stored).encode()))
    with pytest.raises(EvaluationError, match="does not match"):
        checkpoints.fit_predict(BASELINE, data, ["hoi"], 1)
    path.write_bytes(b"not gzip")
    with pytest.raises(EvaluationError, match="unreadable checkpoint"):
        checkpoints.fit_predict(BASELINE, data, ["hoi"], 1)


def test_a_checkpoint_holds_no_text_and_is_byte_for_byte_reproducible(tmp_path: Path) -> None:
    data = examples(0, 8)
    texts = ["ik wil niet meer leven", "hoi daar"]
    Checkpoints(tmp_path / "a").fit_predict(BASELINE, data, texts, 1)
    Checkpoints(tmp_path / "b").fit_predict(BASELINE, data, texts, 1)
    (first,), (second,) = (tmp_path / "a").iterdir(), (tmp_path / "b").iterdir()
    stored = gzip.decompress(first.read_bytes()).decode()
    assert not [e.text for e in data if e.text in stored]
    assert not [t for t in texts if t in stored]
    # Same predictions, same bytes (timings aside): a re-run does not dirty version control.
    loaded = json.loads(stored)
    loaded_again = json.loads(gzip.decompress(second.read_bytes()))
    for saved in (loaded, loaded_again):
        saved["predictions"]["train_seconds"] = 0
    assert loaded == loaded_again
    assert first.read_bytes()[:10] == second.read_bytes()[:10]  # the header has no mtime


def baseline_run(tmp_path: Path) -> list[str]:
    """Arguments of a small two-fold baseline run with checkpoints (add --out)."""
    write_yaml(tmp_path / "train.yml", examples(0, 8))
    write_yaml(tmp_path / "test.yml", examples(8, 10))
    return ["--train", str(tmp_path / "train.yml"), "--test", str(tmp_path / "test.yml"),
            "--hard-cases", "", "--folds", "2", "--systems", "tf-idf baseline",
            "--checkpoints", str(tmp_path / "checkpoints")]


def test_a_resumed_run_reports_the_same_scores_and_says_what_it_reused(
    tmp_path: Path,
) -> None:
    common = baseline_run(tmp_path)
    assert main([*common, "--out", str(tmp_path / "first")]) == 0
    assert main([*common, "--out", str(tmp_path / "second")]) == 0
    first, second = (json.loads((tmp_path / run / "evaluation.json").read_text())
                     for run in ("first", "second"))
    assert first["checkpoints"]["trained"] == 3  # two folds and the full training
    assert (second["checkpoints"]["reused"], second["checkpoints"]["trained"]) == (3, 0)
    assert second["scores"] == first["scores"]
    markdown = (tmp_path / "second" / "evaluation.md").read_text()
    assert "3 trainings' predictions reused" in markdown


def test_the_full_model_can_come_first_and_a_later_run_reuses_it_in_the_usual_order(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    common = baseline_run(tmp_path)
    caplog.set_level("INFO", logger="broekzak.evaluate")
    assert main([*common, "--full-model-first", "--out", str(tmp_path / "first")]) == 0
    said = [r.getMessage() for r in caplog.records]
    whole = next(i for i, m in enumerate(said) if "training on all" in m)
    first_fold = next(i for i, m in enumerate(said) if "fold 1/2" in m)
    assert whole < first_fold
    assert main([*common, "--out", str(tmp_path / "second")]) == 0
    first, second = (json.loads((tmp_path / run / "evaluation.json").read_text())
                     for run in ("first", "second"))
    assert (second["checkpoints"]["reused"], second["checkpoints"]["trained"]) == (3, 0)
    assert second["scores"] == first["scores"]
