"""Tables, charts and the markdown report of make evaluate."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.config import REPO_ROOT
from scripts.eval_crisis import crisis_markdown
from scripts.eval_scores import SystemScores, per_intent_f1
from scripts.metrics import FALLBACK_INTENT, CrisisScores, confusion_counts
from scripts.tables import fmt, markdown_table, pct

logger = logging.getLogger("broekzak.evaluate")

SUMMARY_HEADER = [
    "system",
    "CV acc",
    "CV macro-F1",
    "test acc",
    "test macro-F1",
    "robust F1",
    "drop",
    "OOS caught",
    "in-scope lost",
    "crisis R/P (model)",
    "crisis R/P (+net)",
    "train s",
    "size MB",
]


def recall_precision(recall: float | None, precision: float | None) -> str:
    """'0.95/0.88', with '-' for an undefined figure."""
    return f"{fmt(recall, 2)}/{fmt(precision, 2)}"


def summary_rows(scores: Mapping[str, SystemScores]) -> list[list[str]]:
    """The comparison table: one row per system."""
    return [
        [
            name,
            fmt(s.cv_accuracy),
            f"{s.cv_macro_f1:.3f} ± {s.cv_macro_f1_sd:.3f}",
            fmt(s.test_accuracy),
            fmt(s.test_macro_f1),
            fmt(s.robust_macro_f1),
            f"{100 * s.robust_drop:+.1f}",
            fmt(s.cv_fallback.out_of_scope_caught, 2),
            fmt(s.cv_fallback.in_scope_lost, 2),
            recall_precision(s.cv_crisis_model.recall, s.cv_crisis_model.precision),
            recall_precision(s.test_crisis_with_net.recall, s.test_crisis_with_net.precision),
            fmt(s.train_seconds, 1),
            fmt(s.size_mb, 1),
        ]
        for name, s in scores.items()
    ]


def detail_rows(scores: Mapping[str, SystemScores]) -> tuple[list[str], list[list[str]]]:
    """Robustness per perturbation, fallback on the test split and the calibrated threshold."""
    kinds = list(dict.fromkeys(k for s in scores.values() for k in s.robust_by_perturbation))
    header = [
        "system",
        *[f"F1 {k}" for k in kinds],
        "test OOS caught",
        "test in-scope lost",
        "crisis R/P test (model)",
        "best threshold (CV)",
        "CV F1 at it",
    ]
    rows = [
        [
            name,
            *[fmt(s.robust_by_perturbation.get(k)) for k in kinds],
            fmt(s.test_fallback.out_of_scope_caught, 2),
            fmt(s.test_fallback.in_scope_lost, 2),
            recall_precision(s.test_crisis_model.recall, s.test_crisis_model.precision),
            f"{s.threshold.threshold:.2f}",
            fmt(s.threshold.macro_f1),
        ]
        for name, s in scores.items()
    ]
    return header, rows


def sweep_cell(crisis: CrisisScores | None) -> str:
    """'0.93/0.84 (908 found, 172 false)', or '-' when the system has no such row."""
    if crisis is None:
        return "-"
    return (f"{recall_precision(crisis.recall, crisis.precision)} "
            f"({crisis.true_positives} found, {crisis.false_positives} false)")


def guard_sweep_table(scores: Mapping[str, SystemScores]) -> tuple[list[str], list[list[str]]]:
    """Crisis detection on the folds at each guard confidence, by the model alone and by
    model + net, per system: recall/precision, crises found and false alarms (the evidence
    for MODEL_MIN_CONFIDENCE)."""
    names = list(scores)
    thresholds = sorted({t for s in scores.values() for t in s.cv_guard_sweep})
    rows = [
        [f"{threshold:.2f}",
         *[cell for name in names for cell in (
             sweep_cell(scores[name].cv_guard_sweep.get(threshold)),
             sweep_cell(scores[name].cv_guard_sweep_with_net.get(threshold)))]]
        for threshold in thresholds
    ]
    header = ["guard confidence",
              *[f"{name} {who}" for name in names for who in ("model", "model + net")]]
    return header, rows


def intent_table(scores: Mapping[str, SystemScores]) -> tuple[list[str], list[list[str]]]:
    """Cross-validated F1 per intent, one column per system."""
    names = list(scores)
    table = per_intent_f1(scores)
    support = next(iter(scores.values())).cv_per_intent
    rows = [
        [intent, str(support[intent].support if intent in support else 0),
         *[fmt(f1s.get(name)) for name in names]]
        for intent, f1s in table.items()
    ]
    return ["intent", "examples", *names], rows


def plot_intent_f1(scores: Mapping[str, SystemScores], path: Path) -> None:
    """Grouped horizontal bars: cross-validated F1 per intent for every system."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = per_intent_f1(scores)
    intents = list(table)
    names = list(scores)
    height = 0.8 / max(len(names), 1)
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(intents) + 1.5))
    for n, name in enumerate(names):
        positions = [i + n * height for i in range(len(intents))]
        values = [table[intent].get(name, 0.0) for intent in intents]
        ax.barh(positions, values, height=height, label=name)
    ax.set_yticks([i + height * (len(names) - 1) / 2 for i in range(len(intents))])
    ax.set_yticklabels(intents, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1 (5-fold cross-validation)" if names else "F1")
    ax.set_title("Per-intent F1 by system")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


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


def checkpoint_lines(checkpoints: Mapping[str, Any] | None) -> list[str]:
    """The report line saying how many trainings an earlier, interrupted run contributed."""
    if not checkpoints:
        return []
    return [
        f"- checkpoints: `{checkpoints['directory']}`: {checkpoints['reused']} trainings' "
        f"predictions reused from an earlier run with identical inputs, "
        f"{checkpoints['trained']} trained in this run (training times are as measured "
        "when each was trained)"
    ]


def review_load_table(
    loads: Mapping[str, Sequence[Mapping[str, Any]]],
) -> tuple[list[str], list[list[str]]]:
    """The NLU inbox's load per NLU_REVIEW_BELOW bar, with and without the messages the bot
    took for out_of_scope (eval_cv.review_load, as reported)."""
    header = ["NLU_REVIEW_BELOW", "to the inbox", "answered wrong", "wrong caught",
              "to the inbox (no OOS)", "answered wrong (no OOS)", "wrong caught (no OOS)"]
    rows = [
        [f"{with_oos['bar']:.2f}",
         *(cell for load in (with_oos, without) for cell in (
             pct(load["flagged"]), pct(load["wrong_among_flagged"]), pct(load["wrong_caught"])))]
        for with_oos, without in zip(loads["with_out_of_scope"], loads["without_out_of_scope"],
                                     strict=True)
    ]
    return header, rows


def review_load_lines(tables: Mapping[str, str]) -> list[str]:
    """The report's NLU inbox section, when broekzak was evaluated."""
    if "nlu_inbox" not in tables:
        return []
    return [
        "## NLU inbox load (broekzak, cross-validation folds)",
        "",
        "Which share of messages the admins' NLU inbox would get at each `NLU_REVIEW_BELOW` "
        "(fallbacks always go in; out-of-scope answers too, unless NLU_REVIEW_OUT_OF_SCOPE=0: "
        "the *no OOS* columns), how many of those the bot answered wrong, and how many of all "
        "wrong answers reach the inbox (docs/nlu-review.md).",
        "",
        tables["nlu_inbox"],
        "",
    ]


def write_markdown(report: Mapping[str, Any], tables: Mapping[str, str], path: Path) -> None:
    """Write the human-readable report (it quotes user text: reports/ is git-ignored)."""
    data = report["data"]
    lines = [
        "# NLU evaluation",
        "",
        f"Generated {report['generated_at']} with Rasa {report['versions']['rasa']}, "
        f"scikit-learn {report['versions']['scikit-learn']}; seed {report['seed']}, "
        f"{report['folds']}-fold stratified cross-validation.",
        "",
        f"- systems: {', '.join(f'{n} (`{c}`)' for n, c in report['systems'].items())}",
        f"- training data: `{report['train']}` ({data['train_examples']} examples, "
        f"{len(data['train_intents'])} intents), also the cross-validation folds",
        f"- test split: `{report['test']}` ({data['test_examples']} examples; "
        f"{data['test_texts_in_train']} also in the training data)",
        f"- robustness set: {data['robust_examples']} examples generated from the test split "
        f"({', '.join(data['perturbations'])}; scripts/robustness.py)",
        *checkpoint_lines(report.get("checkpoints")),
        "",
        "Accuracy and macro-F1 count `nlu_fallback` as `out_of_scope`: both mean the bot says "
        "it did not understand. **OOS caught**: share of out-of-scope messages answered as not "
        "understood; **in-scope lost**: share of in-scope messages answered as not understood "
        "(both on the cross-validation folds). **drop**: test macro-F1 minus robustness-set "
        "macro-F1, in points. **crisis R/P (model)**: crisis recall/precision of the model "
        "alone as the gateway's guard reads it (best real intent is a crisis intent with "
        f"confidence ≥ {report['guard_min_confidence']}), on the folds; **(+net)**: model or "
        "safety net, on the test split. Train time: one full training, wall clock, empty "
        "cache; size: the packed model (Rasa) or the pickled pipeline (baseline).",
        "",
        "## Summary",
        "",
        tables["summary"],
        "",
        "## Robustness, fallback and threshold",
        "",
        "The best threshold is the FallbackClassifier threshold that maximises macro-F1 on the "
        "cross-validation predictions (fallback right for out-of-scope, wrong otherwise).",
        "",
        tables["details"],
        "",
        "## Guard confidence (crisis detection on the cross-validation folds)",
        "",
        "The gateway's guard counts the model's reading as a crisis when both crisis intents "
        "together have at least this confidence (bot/safety/guard.py; in use: "
        f"{report['guard_min_confidence']}). Recall comes first (safety.md); each false alarm "
        "sends a worker an urgent chat that was not one. The model + net columns are "
        "optimistic — the net's patterns were written with the training data in view — and "
        "show which of the model's extra finds the net already makes.",
        "",
        tables["guard"],
        "",
        "## Per intent (F1, cross-validation)",
        "",
        tables["intents"],
        "",
        *review_load_lines(tables),
        "Charts: `per_intent_f1.png`; confusion matrices (cross-validation) "
        + ", ".join(f"`{name}`" for name in report["charts"]["confusion"])
        + ".",
        "",
    ]
    if "crisis" in report:
        lines += crisis_markdown(report["crisis"])
    if report.get("errors"):
        lines += ["## broekzak errors on the test split", ""]
        header = ["text", "expected", "answered", "best intent", "confidence"]
        rows = [
            [e["text"], e["expected"], e["answered"], e["top"], fmt(e["confidence"], 2)]
            for e in report["errors"]
        ]
        lines += [markdown_table(header, rows).replace("---:", "---", 4), ""]
    while lines[-1] == "":
        lines.pop()
    if report["rasa_warnings"]:
        lines += ["", "## Rasa warnings", ""]
        lines += [f"- {w}" for w in report["rasa_warnings"]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
