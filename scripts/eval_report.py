"""Scores, tables, confusion matrices and the markdown report of make evaluate."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import REPO_ROOT
from scripts.eval_crisis import crisis_markdown
from scripts.eval_models import (
    ROW_BASELINE,
    ROW_MODEL,
    Example,
    ModelRun,
)
from scripts.metrics import (
    CRISIS_INTENTS,
    FALLBACK_INTENT,
    IntentScores,
    accuracy,
    confusion_counts,
    crisis_scores,
    macro_f1,
    per_intent_scores,
)
from scripts.tables import fmt, markdown_table

logger = logging.getLogger("broekzak.evaluate")



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
            fmt(s.accuracy),
            fmt(s.macro_f1),
            fmt(s.crisis_recall),
            fmt(s.crisis_precision),
            fmt(s.train_seconds, 2),
            fmt(s.size_mb, 2),
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
                fmt(m.precision),
                fmt(m.recall),
                fmt(m.f1),
                fmt(b.precision),
                fmt(b.recall),
                fmt(b.f1),
            ]
        )
    return rows


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
                fmt(e["confidence"], 2),
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
            [e["text"], e["expected"], e["predicted"], fmt(e["confidence"], 2)] for e in errors
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


def display_path(path: Path) -> str:
    """A path relative to the repository when inside it (reports do not name home folders)."""
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def package_version(module: str) -> str:
    """Installed version of a distribution, or 'unknown'."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(module)
    except PackageNotFoundError:
        return "unknown"
