"""Pure metric functions for the NLU evaluation: no I/O, no Rasa, only lists of intent names."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

CRISIS_INTENTS: frozenset[str] = frozenset({"crisis_suicide_selfharm", "crisis_unsafe"})
FALLBACK_INTENT = "nlu_fallback"
# The label of a detector that raised no alarm (the safety net has no intents of its own).
NO_ALARM = "no_alarm"
# The safety net's kinds (bot/safety/net.py) as the catalogue's crisis intents.
NET_KIND_INTENTS: Mapping[str, str] = {
    "suicide_selfharm": "crisis_suicide_selfharm",
    "unsafe": "crisis_unsafe",
}


@dataclass(frozen=True)
class IntentScores:
    """Precision, recall, F1 and support of one intent."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class CrisisScores:
    """Detection of the binary class "crisis" (any crisis intent); None where undefined."""

    recall: float | None
    precision: float | None
    true_positives: int
    false_negatives: int
    false_positives: int
    support: int


def _check_lengths(y_true: Sequence[str], y_pred: Sequence[str]) -> None:
    """Raise ValueError unless both label lists are non-empty and of equal length."""
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}")
    if not y_true:
        raise ValueError("no labels to score")


def label_order(*label_lists: Iterable[str]) -> list[str]:
    """Sorted union of the given labels, with the fallback intent (if any) last."""
    labels = set().union(*label_lists)
    ordered = sorted(label for label in labels if label != FALLBACK_INTENT)
    if FALLBACK_INTENT in labels:
        ordered.append(FALLBACK_INTENT)
    return ordered


def accuracy(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    """Fraction of predictions equal to the expected intent."""
    _check_lengths(y_true, y_pred)
    return float(accuracy_score(list(y_true), list(y_pred)))


def macro_f1(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> float:
    """Unweighted mean F1 over `labels` (default: the intents present in y_true)."""
    _check_lengths(y_true, y_pred)
    chosen = list(labels) if labels is not None else sorted(set(y_true))
    return float(
        f1_score(list(y_true), list(y_pred), labels=chosen, average="macro", zero_division=0)
    )


def per_intent_scores(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> dict[str, IntentScores]:
    """Precision/recall/F1/support per intent (default labels: all expected or predicted)."""
    _check_lengths(y_true, y_pred)
    chosen = list(labels) if labels is not None else label_order(y_true, y_pred)
    precision, recall, f1, support = precision_recall_fscore_support(
        list(y_true), list(y_pred), labels=chosen, average=None, zero_division=0
    )
    return {
        label: IntentScores(
            precision=float(precision[i]),
            recall=float(recall[i]),
            f1=float(f1[i]),
            support=int(support[i]),
        )
        for i, label in enumerate(chosen)
    }


def crisis_scores(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    crisis_intents: Collection[str] = CRISIS_INTENTS,
) -> CrisisScores:
    """Recall/precision of "crisis": a crisis example predicted as any crisis intent is a hit."""
    _check_lengths(y_true, y_pred)
    true_pos = false_neg = false_pos = 0
    for expected, predicted in zip(y_true, y_pred, strict=True):
        is_crisis = expected in crisis_intents
        said_crisis = predicted in crisis_intents
        if is_crisis and said_crisis:
            true_pos += 1
        elif is_crisis:
            false_neg += 1
        elif said_crisis:
            false_pos += 1
    support = true_pos + false_neg
    predicted_pos = true_pos + false_pos
    return CrisisScores(
        recall=true_pos / support if support else None,
        precision=true_pos / predicted_pos if predicted_pos else None,
        true_positives=true_pos,
        false_negatives=false_neg,
        false_positives=false_pos,
        support=support,
    )


def confusion_counts(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]
) -> list[list[int]]:
    """Confusion matrix as nested lists: rows are expected intents, columns predicted ones."""
    _check_lengths(y_true, y_pred)
    matrix = confusion_matrix(list(y_true), list(y_pred), labels=list(labels))
    return [[int(cell) for cell in row] for row in matrix]


# --------------------------------------------------------------------------------------------
# crisis detectors: the model, the safety net and both together, as lists of labels


def net_predictions(kinds: Sequence[str | None]) -> list[str]:
    """The safety net as a classifier: the crisis intent of the kind that fired, else NO_ALARM.

    `kinds` holds, per message, the kind of the net's detection or None where it did not fire.
    """
    labels = []
    for kind in kinds:
        if kind is None:
            labels.append(NO_ALARM)
        elif kind in NET_KIND_INTENTS:
            labels.append(NET_KIND_INTENTS[kind])
        else:
            raise ValueError(f"unknown safety net kind: {kind!r}")
    return labels


def either_fires(
    first: Sequence[str],
    second: Sequence[str],
    crisis_intents: Collection[str] = CRISIS_INTENTS,
) -> list[str]:
    """Two detectors where either one suffices (safety.md): the first's label when it says
    crisis, else the second's when that says crisis, else the first's label."""
    if len(first) != len(second):
        raise ValueError(f"first has {len(first)} labels but second has {len(second)}")
    return [
        a if a in crisis_intents or b not in crisis_intents else b
        for a, b in zip(first, second, strict=True)
    ]


def detector_scores(
    y_true: Sequence[str],
    detectors: Mapping[str, Sequence[str]],
    crisis_intents: Collection[str] = CRISIS_INTENTS,
) -> dict[str, CrisisScores]:
    """Crisis recall/precision of every named detector on the same expected labels."""
    return {
        name: crisis_scores(y_true, labels, crisis_intents) for name, labels in detectors.items()
    }


def crisis_errors(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    crisis_intents: Collection[str] = CRISIS_INTENTS,
) -> tuple[list[int], list[int]]:
    """Indices of (crisis examples not detected, other examples that raised an alarm)."""
    _check_lengths(y_true, y_pred)
    missed, false_alarms = [], []
    for i, (expected, predicted) in enumerate(zip(y_true, y_pred, strict=True)):
        if expected in crisis_intents and predicted not in crisis_intents:
            missed.append(i)
        elif expected not in crisis_intents and predicted in crisis_intents:
            false_alarms.append(i)
    return missed, false_alarms


_NOT_WORD = re.compile(r"[\W_]+")


def comparable_text(text: str) -> str:
    """A text as compared for duplicates: lower case, punctuation and emoji dropped — unless
    nothing else is left: a message of emoji only ("👌", "💀 💀") is compared as its symbols,
    spaces dropped, so a held-out "👌" cannot slip into the training data unnoticed."""
    words = " ".join(_NOT_WORD.sub(" ", text.lower()).split())
    return words or "".join(text.split())


def repeated_texts(texts: Sequence[str], known: Iterable[str]) -> list[int]:
    """Indices of the texts whose comparable form is also that of one of the known texts
    (blank texts are never counted)."""
    seen = {comparable_text(text) for text in known} - {""}
    return [i for i, text in enumerate(texts) if comparable_text(text) in seen]
