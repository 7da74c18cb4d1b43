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
import asyncio
import contextlib
import dataclasses
import datetime as dt
import io
import json
import logging
import os
import pickle
import random
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.safety.net import Detection, PatternError, SafetyNet
from scripts.metrics import (
    CRISIS_INTENTS,
    FALLBACK_INTENT,
    CrisisScores,
    IntentScores,
    accuracy,
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

logger = logging.getLogger("broekzak.evaluate")

REPO_ROOT = Path(__file__).resolve().parents[1]
SAFETY_PATTERNS = REPO_ROOT / "safety" / "patterns.yml"
MB = 1_000_000
MODEL_NAME = "nlu-evaluation"
# Components whose training is random and that accept `random_seed` (Rasa 3.6).
SEEDABLE_COMPONENTS = frozenset({"DIETClassifier", "ResponseSelector"})

ROW_MODEL = "rasa model"
ROW_MODEL_NO_FALLBACK = "rasa model, fallback ignored"
ROW_BASELINE = "baseline tf-idf + logreg"

# The crisis detectors compared (safety.md: either signal suffices).
DETECTOR_MODEL = "model"
DETECTOR_NET = "safety net"
DETECTOR_COMBINED = "model + net"
DATA_TEST = "test split"
DATA_HARD = "hard cases"


class EvaluationError(Exception):
    """An error that makes the evaluation impossible (bad paths, empty data, failed training)."""


@dataclass
class Example:
    """One labelled NLU example."""

    text: str
    intent: str


@dataclass
class ModelRun:
    """Predictions of one model on the test texts, with its cost."""

    name: str
    predictions: list[str]
    train_seconds: float
    size_mb: float
    confidences: list[float | None] = field(default_factory=list)


@dataclass
class ModelScores:
    """All figures reported for one row of the comparison table."""

    accuracy: float
    macro_f1: float
    crisis_recall: float | None
    crisis_precision: float | None
    crisis_support: int
    crisis_false_negatives: int
    crisis_false_positives: int
    train_seconds: float
    size_mb: float
    fallback_rate: float
    per_intent: dict[str, IntentScores]


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


# --------------------------------------------------------------------------------------------
# data


def load_examples(path: str) -> list[Example]:
    """Load the intent examples of a Rasa NLU file or directory."""
    from rasa.shared.nlu.training_data.loading import load_data

    if not Path(path).exists():
        raise EvaluationError(f"NLU data not found: {path}")
    data = load_data(path)
    examples = [
        Example(text=str(message.get("text")), intent=str(message.get("intent")))
        for message in data.intent_examples
        if message.get("text") and message.get("intent")
    ]
    if not examples:
        raise EvaluationError(f"no intent examples in {path}")
    return examples


# --------------------------------------------------------------------------------------------
# Rasa model


def seeded_config(config_path: str, seed: int, work_dir: Path) -> str:
    """Return a config path whose random components get `seed` unless they already set one."""
    from rasa.shared.utils.io import read_yaml_file, write_yaml

    config = read_yaml_file(config_path)
    if not isinstance(config, dict):
        raise EvaluationError(f"{config_path} is not a YAML mapping")
    changed = False
    for component in config.get("pipeline") or []:
        if not isinstance(component, dict):
            continue
        name = str(component.get("name", "")).rsplit(".", 1)[-1]
        if name in SEEDABLE_COMPONENTS and "random_seed" not in component:
            component["random_seed"] = seed
            changed = True
    if not changed:
        return config_path
    seeded = work_dir / "config.yml"
    write_yaml(config, seeded)
    logger.info(
        "no random_seed in the config's %s: using --seed %d",
        "/".join(sorted(SEEDABLE_COMPONENTS)),
        seed,
    )
    return str(seeded)


def train_rasa_model(
    config_path: str, train_path: str, domain_path: str | None, output_dir: Path
) -> tuple[Path, float]:
    """Train an NLU-only Rasa model; return the archive path and the wall time in seconds."""
    # Import the heavy modules (TensorFlow, all components) before starting the clock.
    import rasa.model_training
    import rasa.nlu.classifiers.diet_classifier

    # Rasa prints its outcome ("model saved at <temporary path>") to stdout: keep it for errors.
    rasa_output = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(rasa_output):
        model = rasa.model_training.train_nlu(
            config=config_path,
            nlu_data=train_path,
            output=str(output_dir),
            fixed_model_name=MODEL_NAME,
            domain=domain_path,
        )
    seconds = time.perf_counter() - start
    if not model or not Path(model).is_file():
        detail = rasa_output.getvalue().strip()
        raise EvaluationError(f"Rasa NLU training produced no model. {detail}".strip())
    return Path(model), seconds


def top_intents(parse: Mapping[str, Any]) -> tuple[str, str, float | None]:
    """From a parse result: (predicted intent, best non-fallback intent, its confidence)."""
    intent = parse.get("intent") or {}
    predicted = str(intent.get("name") or "")
    confidence = intent.get("confidence")
    underlying = predicted
    if predicted == FALLBACK_INTENT:
        underlying_confidence = None
        for ranked in parse.get("intent_ranking") or []:
            if ranked.get("name") and ranked.get("name") != FALLBACK_INTENT:
                underlying = str(ranked["name"])
                underlying_confidence = ranked.get("confidence")
                break
        confidence = underlying_confidence
    return predicted, underlying, None if confidence is None else float(confidence)


async def parse_texts(model_path: Path, texts: Sequence[str]) -> list[dict[str, Any]]:
    """Load the model with a Rasa Agent and parse every text, in order."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))
    return [await agent.parse_message(text) for text in texts]


def model_runs(
    parses: Sequence[Mapping[str, Any]], seconds: float, size_mb: float
) -> tuple[ModelRun, ModelRun]:
    """The Rasa model's parses as two runs: (as deployed, with the fallback ignored)."""
    tops = [top_intents(parse) for parse in parses]
    # Confidence reported for both rows: that of the best non-fallback intent.
    confidences = [t[2] for t in tops]
    deployed = ModelRun(ROW_MODEL, [t[0] for t in tops], seconds, size_mb, confidences)
    no_fallback = ModelRun(
        ROW_MODEL_NO_FALLBACK, [t[1] for t in tops], seconds, size_mb, confidences
    )
    return deployed, no_fallback


def run_rasa(
    config_path: str,
    train_path: str,
    domain_path: str | None,
    test_texts: Sequence[str],
    seed: int,
    extra_texts: Sequence[str] = (),
) -> tuple[tuple[ModelRun, ModelRun], tuple[ModelRun, ModelRun]]:
    """Train, size and query the Rasa model on the test texts and on extra texts (the crisis
    hard cases) before the model is deleted: for each, (as deployed, fallback ignored)."""
    with tempfile.TemporaryDirectory(prefix="broekzak-eval-") as tmp:
        work_dir = Path(tmp)
        # A fresh, disabled training cache: a warm .rasa/cache would fake the training time.
        os.environ["RASA_CACHE_DIRECTORY"] = str(work_dir / "cache")
        os.environ["RASA_MAX_CACHE_SIZE"] = "0"
        config = seeded_config(config_path, seed, work_dir)
        logger.info("training the Rasa NLU model (%s)", config_path)
        model_path, seconds = train_rasa_model(config, train_path, domain_path, work_dir)
        size_mb = model_path.stat().st_size / MB
        logger.info("trained in %.1f s, model %.2f MB", seconds, size_mb)
        logger.info("parsing %d test and %d extra messages", len(test_texts), len(extra_texts))
        parses = asyncio.run(parse_texts(model_path, [*test_texts, *extra_texts]))
    split = len(test_texts)
    return (
        model_runs(parses[:split], seconds, size_mb),
        model_runs(parses[split:], seconds, size_mb),
    )


# --------------------------------------------------------------------------------------------
# baseline


def build_baseline(seed: int = 42) -> Any:
    """The baseline pipeline: char_wb 2-5 TF-IDF + class-balanced logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline(
        [
            (
                "tfidf",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, lowercase=True
                ),
            ),
            (
                "logreg",
                LogisticRegression(max_iter=2000, C=10, class_weight="balanced", random_state=seed),
            ),
        ]
    )


def run_baseline(
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    test_texts: Sequence[str],
    seed: int = 42,
) -> ModelRun:
    """Train the baseline on the training texts and predict the test texts."""
    pipeline = build_baseline(seed)
    start = time.perf_counter()
    pipeline.fit(list(train_texts), list(train_labels))
    seconds = time.perf_counter() - start
    size_mb = len(pickle.dumps(pipeline)) / MB
    predictions = [str(label) for label in pipeline.predict(list(test_texts))]
    confidences: list[float | None] = [
        float(row.max()) for row in pipeline.predict_proba(list(test_texts))
    ]
    return ModelRun(ROW_BASELINE, predictions, seconds, size_mb, confidences)


# --------------------------------------------------------------------------------------------
# scoring and reporting


def score(run: ModelRun, y_true: Sequence[str], labels: Sequence[str]) -> ModelScores:
    """Compute every reported figure for one model run."""
    crisis = crisis_scores(y_true, run.predictions)
    return ModelScores(
        accuracy=accuracy(y_true, run.predictions),
        macro_f1=macro_f1(y_true, run.predictions),
        crisis_recall=crisis.recall,
        crisis_precision=crisis.precision,
        crisis_support=crisis.support,
        crisis_false_negatives=crisis.false_negatives,
        crisis_false_positives=crisis.false_positives,
        train_seconds=run.train_seconds,
        size_mb=run.size_mb,
        fallback_rate=sum(p == FALLBACK_INTENT for p in run.predictions) / len(run.predictions),
        per_intent=per_intent_scores(y_true, run.predictions, labels),
    )


def _fmt(value: float | None, digits: int = 3) -> str:
    """Format a number for a table; n/a when undefined."""
    return "n/a" if value is None else f"{value:.{digits}f}"


SUMMARY_HEADER = [
    "",
    "accuracy",
    "macro-F1",
    "crisis recall",
    "crisis precision",
    "train time (s)",
    "model size (MB)",
]
INTENT_HEADER = [
    "intent",
    "support",
    "model P",
    "model R",
    "model F1",
    "base P",
    "base R",
    "base F1",
]


def summary_rows(scores: Mapping[str, ModelScores]) -> list[list[str]]:
    """Rows of the comparison table, one per model."""
    return [
        [
            name,
            _fmt(s.accuracy),
            _fmt(s.macro_f1),
            _fmt(s.crisis_recall),
            _fmt(s.crisis_precision),
            _fmt(s.train_seconds, 2),
            _fmt(s.size_mb, 2),
        ]
        for name, s in scores.items()
    ]


def intent_rows(
    model: ModelScores, baseline: ModelScores, labels: Sequence[str]
) -> list[list[str]]:
    """Rows of the per-intent table: model and baseline side by side."""
    rows = []
    for label in labels:
        m, b = model.per_intent[label], baseline.per_intent[label]
        rows.append(
            [
                label,
                str(m.support),
                _fmt(m.precision),
                _fmt(m.recall),
                _fmt(m.f1),
                _fmt(b.precision),
                _fmt(b.recall),
                _fmt(b.f1),
            ]
        )
    return rows


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        parts = [cells[0].ljust(widths[0])]
        parts += [cell.rjust(widths[i]) for i, cell in enumerate(cells) if i > 0]
        return "  ".join(parts)

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured markdown table."""
    align = ["---"] + ["---:"] * (len(header) - 1)
    lines = [header, align, *rows]
    return "\n".join("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in lines)


def plot_confusion(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str], title: str, path: Path
) -> None:
    """Draw a confusion matrix (rows expected, columns predicted, counts in cells) to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = list(labels)
    counts = confusion_counts(y_true, y_pred, columns)
    expected = set(y_true)
    # nlu_fallback is only ever predicted: keep its column, drop its empty row.
    rows = [
        (label, row)
        for label, row in zip(columns, counts, strict=True)
        if label in expected or label != FALLBACK_INTENT
    ]
    row_labels = [label for label, _ in rows]
    shares = [[cell / max(sum(row), 1) for cell in row] for _, row in rows]

    side = max(6.0, 0.42 * len(columns) + 3.0)
    fig, ax = plt.subplots(figsize=(side, side * len(rows) / len(columns) + 1.0))
    image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0, interpolation="nearest")
    colourbar = fig.colorbar(image, ax=ax, fraction=0.035, pad=0.02)
    colourbar.set_label("share of the expected intent's test examples")
    ax.set_xticks(range(len(columns)))
    ax.set_yticks(range(len(row_labels)))
    ax.set_xticklabels(columns, rotation=60, ha="right", rotation_mode="anchor", fontsize=8)
    ax.set_yticklabels(row_labels, fontsize=8)
    ax.set_xlabel("predicted intent")
    ax.set_ylabel("expected intent")
    ax.set_title(title)
    for i, (_, row) in enumerate(rows):
        for j, value in enumerate(row):
            if value:
                colour = "white" if shares[i][j] > 0.5 else "black"
                ax.text(j, i, str(value), ha="center", va="center", fontsize=7, color=colour)
    fig.tight_layout()
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def misclassified(
    examples: Sequence[Example], run: ModelRun, also: ModelRun | None = None
) -> list[dict[str, Any]]:
    """Test examples the run got wrong (contains user text: report files only)."""
    wrong = []
    for i, example in enumerate(examples):
        if run.predictions[i] == example.intent:
            continue
        item: dict[str, Any] = {
            "text": example.text,
            "expected": example.intent,
            "predicted": run.predictions[i],
            "confidence": run.confidences[i] if run.confidences else None,
        }
        if also is not None:
            item["predicted_without_fallback"] = also.predictions[i]
        wrong.append(item)
    return wrong


# --------------------------------------------------------------------------------------------
# crisis detection: the model, the safety net, both


def load_safety_net(path: Path = SAFETY_PATTERNS) -> SafetyNet:
    """The bot's crisis safety net with its curated patterns."""
    try:
        return SafetyNet.from_file(path)
    except (OSError, PatternError, yaml.YAMLError) as error:
        raise EvaluationError(f"cannot load the safety net from {path}: {error}") from error


def model_view(net: SafetyNet, text: str) -> str:
    """What the guard gives the model: the text, or its normalised form without idioms."""
    stripped, had_idiom = net.without_idioms(text)
    return " ".join(stripped.replace("|", " ").split()) if had_idiom else text


def head(run: ModelRun, count: int) -> ModelRun:
    """The first `count` predictions of a run."""
    return dataclasses.replace(run, predictions=run.predictions[:count],
                               confidences=run.confidences[:count])


def as_guarded(run: ModelRun, texts: Sequence[str], views: Mapping[str, str],
               idiom_predictions: Mapping[str, str]) -> ModelRun:
    """The run's predictions with idiom texts judged on their idiom-free view, as deployed."""
    predictions = [
        idiom_predictions.get(views[t], FALLBACK_INTENT) if views[t] != t else p
        for t, p in zip(texts, run.predictions, strict=True)
    ]
    return dataclasses.replace(run, predictions=predictions)


def crisis_detection(
    path: str,
    examples: Sequence[Example],
    model: ModelRun,
    model_no_fallback: ModelRun,
    net: SafetyNet,
) -> dict[str, Any]:
    """Crisis scores of the model, the safety net and both on the examples, with the crises
    the combined system misses and its false alarms (user text: report files only)."""
    y_true = [e.intent for e in examples]
    detections: list[Detection | None] = [net.check(e.text) for e in examples]
    net_labels = net_predictions([None if d is None else d.kind for d in detections])
    detectors = {
        DETECTOR_MODEL: model.predictions,
        DETECTOR_NET: net_labels,
        DETECTOR_COMBINED: either_fires(model.predictions, net_labels),
    }
    scores: dict[str, CrisisScores] = detector_scores(y_true, detectors)
    missed, false_alarms = crisis_errors(y_true, detectors[DETECTOR_COMBINED])

    def item(i: int) -> dict[str, Any]:
        detection = detections[i]
        return {
            "text": examples[i].text,
            "expected": examples[i].intent,
            "model": model.predictions[i],
            "model_without_fallback": model_no_fallback.predictions[i],
            "confidence": model.confidences[i] if model.confidences else None,
            "safety_net": None if detection is None else detection.pattern_id,
        }

    support = scores[DETECTOR_COMBINED].support
    return {
        "path": path,
        "examples": len(examples),
        "crisis_examples": support,
        "other_examples": len(examples) - support,
        "scores": {name: asdict(s) for name, s in scores.items()},
        "missed": [item(i) for i in missed],
        "false_alarms": [item(i) for i in false_alarms],
    }


CRISIS_HEADER = ["", "crisis recall", "crisis precision", "detected", "missed", "false alarms"]


def crisis_rows(datasets: Mapping[str, Mapping[str, Any]]) -> list[list[str]]:
    """Rows of the crisis table: one per data set and detector."""
    rows = []
    for data_name, data in datasets.items():
        for detector, s in data["scores"].items():
            rows.append(
                [
                    f"{data_name} / {detector}",
                    _fmt(s["recall"]),
                    _fmt(s["precision"]),
                    f"{s['true_positives']}/{s['support']}",
                    str(s["false_negatives"]),
                    str(s["false_positives"]),
                ]
            )
    return rows


def crisis_summary_line(datasets: Mapping[str, Mapping[str, Any]]) -> str:
    """How many crisis and other examples each data set has."""
    return "; ".join(
        f"{name}: {d['crisis_examples']} crisis and {d['other_examples']} other examples"
        for name, d in datasets.items()
    )


def crisis_error_table(items: Sequence[Mapping[str, Any]]) -> str:
    """Markdown table of missed crises or false alarms, or 'None.'."""
    if not items:
        return "None."
    header = ["text", "expected", "model", "without fallback", "safety net", "confidence"]
    rows = [
        [
            e["text"],
            e["expected"],
            e["model"],
            e["model_without_fallback"],
            e["safety_net"] or "-",
            _fmt(e["confidence"], 2),
        ]
        for e in items
    ]
    return markdown_table(header, rows).replace("---:", "---", 4)


def crisis_markdown(crisis: Mapping[str, Any]) -> list[str]:
    """The crisis section of evaluation.md."""
    datasets = crisis["datasets"]
    lines = [
        "## Crisis detection: model, safety net, both",
        "",
        "Positive class: a message whose expected intent is "
        + " or ".join(f"`{c}`" for c in crisis["positive_class"])
        + "; a detector that says either crisis intent counts as detecting it. "
        f"**{DETECTOR_MODEL}**: the Rasa model's top intent as deployed (`{FALLBACK_INTENT}` "
        f"is no alarm). **{DETECTOR_NET}**: `{crisis['safety_patterns']}` on the raw text. "
        f"**{DETECTOR_COMBINED}**: either fires, as the bot runs them. Detected = crisis "
        "examples detected / crisis examples; false alarms = other examples on which the "
        "detector said crisis.",
        "",
    ]
    lines += [
        f"- {name}: `{d['path']}`, {d['crisis_examples']} crisis and "
        f"{d['other_examples']} other examples"
        for name, d in datasets.items()
    ]
    lines += ["", markdown_table(CRISIS_HEADER, crisis_rows(datasets)), ""]
    for name, data in datasets.items():
        lines += [
            f"### {name}: crises missed by {DETECTOR_COMBINED}",
            "",
            crisis_error_table(data["missed"]),
            "",
            f"### {name}: false alarms of {DETECTOR_COMBINED}",
            "",
            crisis_error_table(data["false_alarms"]),
            "",
        ]
    return lines


def write_markdown(report: Mapping[str, Any], summary: str, intents: str, path: Path) -> None:
    """Write the human-readable report."""
    data = report["data"]
    lines = [
        "# NLU evaluation",
        "",
        f"Generated {report['generated_at']} with Rasa {report['versions']['rasa']}, "
        f"scikit-learn {report['versions']['scikit-learn']}; seed {report['seed']}.",
        "",
        f"- config: `{report['config']}`",
        f"- training data: `{report['train']}` ({data['train_examples']} examples, "
        f"{len(data['train_intents'])} intents)",
        f"- test data: `{report['test']}` ({data['test_examples']} examples, "
        f"{len(data['test_intents'])} intents)",
        f"- test texts also in the training data: {data['test_texts_in_train']}",
    ]
    if data["test_intents_not_in_train"]:
        missing = ", ".join(data["test_intents_not_in_train"])
        lines.append(f"- test intents without training data: {missing}")
    model = report["models"][ROW_MODEL]
    lines += [
        f"- Rasa model predicted `{FALLBACK_INTENT}` for {model['fallback_rate']:.1%} of the test "
        "examples (counted as wrong in the first row)",
        "",
        "Crisis = any of "
        + ", ".join(f"`{c}`" for c in sorted(CRISIS_INTENTS))
        + "; a crisis example predicted as either crisis intent counts as detected. "
        "Macro-F1 averages over the intents present in the test data. Train time is wall time "
        "(Rasa: NLU-only training with an empty cache); model size is the packed Rasa model, "
        "or the pickled baseline pipeline.",
        "",
        "## Summary",
        "",
        summary,
        "",
        "## Per intent (Rasa model as deployed, baseline)",
        "",
        intents,
        "",
        "Confusion matrices: `confusion_matrix.png` (Rasa model), "
        "`confusion_matrix_baseline.png` (baseline).",
        "",
        "## Rasa model errors",
        "",
    ]
    errors = report["errors"][ROW_MODEL]
    if errors:
        header = ["text", "expected", "predicted", "without fallback", "confidence"]
        rows = [
            [
                e["text"],
                e["expected"],
                e["predicted"],
                e["predicted_without_fallback"],
                _fmt(e["confidence"], 2),
            ]
            for e in errors
        ]
        lines.append(markdown_table(header, rows).replace("---:", "---", 3))
    else:
        lines.append("None.")
    lines += ["", "## Baseline errors", ""]
    errors = report["errors"][ROW_BASELINE]
    if errors:
        header = ["text", "expected", "predicted", "confidence"]
        rows = [
            [e["text"], e["expected"], e["predicted"], _fmt(e["confidence"], 2)] for e in errors
        ]
        lines.append(markdown_table(header, rows).replace("---:", "---", 2))
    else:
        lines.append("None.")
    lines += ["", *crisis_markdown(report["crisis"])]
    while lines[-1] == "":
        lines.pop()
    if report["rasa_warnings"]:
        lines += ["", "## Rasa warnings", ""]
        lines += [f"- {w}" for w in report["rasa_warnings"]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _display_path(path: Path) -> str:
    """A path relative to the repository when inside it (reports do not name home folders)."""
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _version(module: str) -> str:
    """Installed version of a distribution, or 'unknown'."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(module)
    except PackageNotFoundError:
        return "unknown"


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
        "versions": {"rasa": _version("rasa"), "scikit-learn": _version("scikit-learn")},
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
            "safety_patterns": _display_path(SAFETY_PATTERNS),
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
