"""Crisis detection in make evaluate: the model, the safety net and both, as the bot runs them."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import yaml

from bot.config import REPO_ROOT
from bot.safety.guard import idiom_free_rest
from bot.safety.net import Detection, PatternError, SafetyNet
from scripts.eval_models import EvaluationError, Example, ModelRun
from scripts.metrics import (
    CRISIS_INTENTS,
    FALLBACK_INTENT,
    CrisisScores,
    crisis_errors,
    detector_scores,
    either_fires,
    net_predictions,
)
from scripts.tables import fmt, markdown_table

logger = logging.getLogger("broekzak.evaluate")

SAFETY_PATTERNS = REPO_ROOT / "safety" / "patterns.yml"
# The crisis detectors compared (safety.md: either signal suffices).
DETECTOR_MODEL = "model"
DETECTOR_NET = "safety net"
DETECTOR_COMBINED = "model + net"
DATA_TEST = "test split"
DATA_HARD = "hard cases"


# --------------------------------------------------------------------------------------------
# crisis detection: the model, the safety net, both


def load_safety_net(path: Path = SAFETY_PATTERNS) -> SafetyNet:
    """The bot's crisis safety net with its curated patterns."""
    try:
        return SafetyNet.from_file(path)
    except (OSError, PatternError, yaml.YAMLError) as error:
        raise EvaluationError(f"cannot load the safety net from {path}: {error}") from error


def model_view(net: SafetyNet, text: str) -> str:
    """What the guard gives the model besides the text: the text itself, or its idiom-free
    rest ("" when too short to judge: then the model raises no alarm)."""
    rest = idiom_free_rest(net, text)
    return text if rest is None else rest


def as_guarded(run: ModelRun, texts: Sequence[str], views: Mapping[str, str],
               idiom_predictions: Mapping[str, str]) -> ModelRun:
    """The run's predictions as the guard reads them: a text holding an idiom counts as a
    crisis only when the model also says crisis once the idiom is cut out, and never when
    too little is left beside the idiom to judge."""

    def guarded(text: str, prediction: str) -> str:
        view = views[text]
        if view == text or prediction not in CRISIS_INTENTS:
            return prediction
        return idiom_predictions.get(view, FALLBACK_INTENT) if view else FALLBACK_INTENT

    predictions = [guarded(t, p) for t, p in zip(texts, run.predictions, strict=True)]
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
                    fmt(s["recall"]),
                    fmt(s["precision"]),
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
            fmt(e["confidence"], 2),
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
