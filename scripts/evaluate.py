"""Evaluate the broekzak NLU model on the held-apart test split against a TF-IDF baseline.

Run from the repository root:

    python -m scripts.evaluate [--config config.yml] [--train data/nlu]
                               [--test tests/nlu_test] [--out reports/] [--seed 42]
                               [--hard-cases tests/crisis_hard_cases.yml]

Trains an NLU-only Rasa model and a character n-gram TF-IDF + logistic regression baseline
on the same training data, scores both on the same test data, prints a comparison table and
writes reports/evaluation.{md,json} and reports/confusion_matrix{,_baseline}.png.

Then crisis detection: on the test split and on the crisis hard cases (never trained on),
crisis recall and precision of the Rasa model, of the safety net (safety/patterns.yml) and
of both together (either one fires), as the bot runs them (docs/nlu-evaluation.md).
Low scores are reported, not failed on: the exit status is non-zero only on errors.
User text goes into the report files only, never into log lines.
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
    head,
    load_safety_net,
    model_view,
)
from scripts.eval_models import (
    ROW_BASELINE,
    ROW_MODEL,
    EvaluationError,
    load_examples,
    run_baseline,
    run_rasa,
)
from scripts.eval_report import (
    INTENT_HEADER,
    SUMMARY_HEADER,
    display_path,
    intent_rows,
    misclassified,
    package_version,
    plot_confusion,
    score,
    summary_rows,
    write_markdown,
)
from scripts.metrics import (
    CRISIS_INTENTS,
    FALLBACK_INTENT,
    label_order,
    repeated_texts,
)
from scripts.tables import markdown_table, text_table

logger = logging.getLogger("broekzak.evaluate")

# --------------------------------------------------------------------------------------------
# setup


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.evaluate",
        description="Evaluate the Rasa NLU model against a TF-IDF baseline on a held-apart split.",
    )
    parser.add_argument("--config", default="config.yml", help="Rasa config (default: %(default)s)")
    parser.add_argument("--train", default="data/nlu", help="training NLU data (%(default)s)")
    parser.add_argument("--test", default="tests/nlu_test", help="test NLU data (%(default)s)")
    parser.add_argument("--out", default="reports/", help="report directory (%(default)s)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (%(default)s)")
    parser.add_argument(
        "--hard-cases",
        default="tests/crisis_hard_cases.yml",
        help="crisis hard cases, never trained on; '' skips them (%(default)s)",
    )
    parser.add_argument(
        "--domain",
        default="domain.yml",
        help="domain file, used for training when it exists (%(default)s)",
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


def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    """Run the whole evaluation and write the report files; return the JSON report."""
    out = Path(args.out)
    if not Path(args.config).is_file():
        raise EvaluationError(f"config not found: {args.config}")
    domain = args.domain if args.domain and Path(args.domain).is_file() else None
    net = load_safety_net()
    seed_everything(args.seed)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train = load_examples(args.train)
        test = load_examples(args.test)
        logger.info("%d training and %d test examples", len(train), len(test))
        train_texts = {e.text.strip().lower() for e in train}
        overlap = sum(e.text.strip().lower() in train_texts for e in test)
        if overlap:
            logger.warning("%d test texts also occur in the training data", overlap)
        unseen = sorted({e.intent for e in test} - {e.intent for e in train})
        if unseen:
            logger.warning("test intents without training data: %s", ", ".join(unseen))
        hard = load_examples(args.hard_cases) if args.hard_cases else []
        hard_texts = [e.text for e in hard]
        hard_in_train = len(repeated_texts(hard_texts, (e.text for e in train)))
        hard_in_test = len(repeated_texts(hard_texts, (e.text for e in test)))
        if hard:
            hard_crisis = sum(e.intent in CRISIS_INTENTS for e in hard)
            logger.info(
                "%d hard cases: %d crisis, %d other",
                len(hard),
                hard_crisis,
                len(hard) - hard_crisis,
            )
        if hard_in_train or hard_in_test:
            logger.warning(
                "%d hard cases repeat a training text and %d a test text",
                hard_in_train,
                hard_in_test,
            )
        hard_unknown = sorted({e.intent for e in hard} - {e.intent for e in train})
        if hard_unknown:
            logger.warning("hard-case intents without training data: %s", ", ".join(hard_unknown))

        test_texts = [e.text for e in test]
        y_true = [e.intent for e in test]
        # The gateway's guard lets the model judge a message with its idioms cut out
        # (bot/safety/guard.py); parse those views too, to score the crisis detectors as
        # deployed.
        views = {t: model_view(net, t) for t in [*test_texts, *hard_texts]}
        idiom_texts = sorted({v for t, v in views.items() if v != t and v})
        (model, model_no_fallback), (extra, extra_no_fallback) = run_rasa(
            args.config, args.train, domain, test_texts, args.seed, [*hard_texts, *idiom_texts]
        )
        hard_model, hard_no_fallback = (head(extra, len(hard_texts)),
                                        head(extra_no_fallback, len(hard_texts)))
        idiom_predictions = dict(zip(idiom_texts, extra.predictions[len(hard_texts):],
                                     strict=True))
    rasa_warnings = sorted(
        {
            str(w.message)
            for w in caught
            if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))
        }
    )
    if rasa_warnings:
        # The messages can quote training data: they go into the report files, not the log.
        logger.warning("%d distinct warnings from Rasa; see the report", len(rasa_warnings))

    logger.info("training the baseline")
    baseline = run_baseline(
        [e.text for e in train], [e.intent for e in train], test_texts, args.seed
    )

    runs = [model, model_no_fallback, baseline]
    labels = label_order(y_true, *(run.predictions for run in runs))
    scores = {run.name: score(run, y_true, labels) for run in runs}

    summary_header = list(SUMMARY_HEADER)
    rows = summary_rows(scores)
    # nlu_fallback has no test examples; its share is printed as the fallback rate instead.
    intent_labels = [
        label
        for label in label_order(y_true, model.predictions, baseline.predictions)
        if label != FALLBACK_INTENT
    ]
    irows = intent_rows(scores[ROW_MODEL], scores[ROW_BASELINE], intent_labels)

    test_guarded = as_guarded(model, test_texts, views, idiom_predictions)
    crisis_sets = {DATA_TEST: crisis_detection(args.test, test, test_guarded, model_no_fallback,
                                               net)}
    if hard:
        hard_guarded = as_guarded(hard_model, hard_texts, views, idiom_predictions)
        crisis_sets[DATA_HARD] = crisis_detection(
            args.hard_cases, hard, hard_guarded, hard_no_fallback, net
        )
    crows = crisis_rows(crisis_sets)

    out.mkdir(parents=True, exist_ok=True)
    model_labels = label_order(y_true, model.predictions)
    base_labels = label_order(y_true, baseline.predictions)
    plot_confusion(
        y_true,
        model.predictions,
        model_labels,
        f"Rasa NLU model (accuracy {scores[ROW_MODEL].accuracy:.3f})",
        out / "confusion_matrix.png",
    )
    plot_confusion(
        y_true,
        baseline.predictions,
        base_labels,
        f"Baseline TF-IDF + logistic regression (accuracy {scores[ROW_BASELINE].accuracy:.3f})",
        out / "confusion_matrix_baseline.png",
    )

    report: dict[str, Any] = {
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": {name: package_version(name) for name in ("rasa", "scikit-learn")},
        "config": args.config,
        "train": args.train,
        "test": args.test,
        "domain": domain,
        "seed": args.seed,
        "crisis_intents": sorted(CRISIS_INTENTS),
        "data": {
            "train_examples": len(train),
            "test_examples": len(test),
            "train_intents": sorted({e.intent for e in train}),
            "test_intents": sorted(set(y_true)),
            "test_intents_not_in_train": unseen,
            "test_texts_in_train": overlap,
            "hard_cases": args.hard_cases or None,
            "hard_case_examples": len(hard),
            "hard_case_intents_not_in_train": hard_unknown,
            "hard_case_texts_in_train": hard_in_train,
            "hard_case_texts_in_test": hard_in_test,
        },
        "models": {name: asdict(s) for name, s in scores.items()},
        "errors": {
            ROW_MODEL: misclassified(test, model, model_no_fallback),
            ROW_BASELINE: misclassified(test, baseline),
        },
        "crisis": {
            "positive_class": sorted(CRISIS_INTENTS),
            "safety_patterns": display_path(SAFETY_PATTERNS),
            "detectors": {
                DETECTOR_MODEL: "top intent of the Rasa model as deployed",
                DETECTOR_NET: "the safety net fires on the raw text",
                DETECTOR_COMBINED: "either of the two fires",
            },
            "datasets": crisis_sets,
        },
        "rasa_warnings": rasa_warnings,
    }
    (out / "evaluation.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    write_markdown(
        report,
        markdown_table(summary_header, rows),
        markdown_table(INTENT_HEADER, irows),
        out / "evaluation.md",
    )

    print()
    print(text_table(summary_header, rows))
    print(
        f"\nRasa model fell back to {FALLBACK_INTENT} on {scores[ROW_MODEL].fallback_rate:.1%} "
        f"of {len(test)} test examples; crisis examples in test: "
        f"{scores[ROW_MODEL].crisis_support}."
    )
    print()
    print(text_table(INTENT_HEADER, irows))
    print()
    print(text_table(CRISIS_HEADER, crows))
    print(
        f"\nCrisis detection ({crisis_summary_line(crisis_sets)}). The crises {DETECTOR_COMBINED} "
        "missed and its false alarms are listed in evaluation.md (they quote user text)."
    )
    print(
        f"\nReports written to {out}/: evaluation.md, evaluation.json, confusion_matrix.png, "
        "confusion_matrix_baseline.png"
    )
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
