"""Cross-validation, fallback behaviour and threshold calibration for make evaluate."""

from __future__ import annotations

import logging
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from scripts.eval_models import NO_VOCABULARY, EvaluationError, Example, Vocabulary
from scripts.eval_systems import FitPredict, Predictions, System, fit_predict
from scripts.metrics import FALLBACK_INTENT, macro_f1

logger = logging.getLogger("broekzak.evaluate")

OUT_OF_SCOPE = "out_of_scope"
# Predictions that mean "the bot did not understand": the fallback, or the intent for
# messages outside what the bot is for. Both lead to an honest "dat snap ik niet".
NOT_UNDERSTOOD = frozenset({FALLBACK_INTENT, OUT_OF_SCOPE})


@dataclass
class CrossValidation:
    """Pooled out-of-fold predictions (in example order) and the per-fold scores."""

    predictions: Predictions
    fold_macro_f1: list[float] = field(default_factory=list)
    fold_train_seconds: list[float] = field(default_factory=list)

    @property
    def macro_f1_mean(self) -> float:
        """Mean macro-F1 over the folds."""
        return statistics.fmean(self.fold_macro_f1)

    @property
    def macro_f1_sd(self) -> float:
        """Standard deviation of the folds' macro-F1 (0 for a single fold)."""
        return statistics.stdev(self.fold_macro_f1) if len(self.fold_macro_f1) > 1 else 0.0


def stratified_folds(labels: Sequence[str], folds: int, seed: int) -> list[list[int]]:
    """Indices of the held-out part of each fold, stratified by label, fixed by the seed."""
    from sklearn.model_selection import StratifiedKFold

    if folds < 2:
        raise EvaluationError("cross-validation needs at least 2 folds")
    smallest = min(labels.count(label) for label in set(labels))
    if smallest < folds:
        raise EvaluationError(f"an intent has only {smallest} examples: fewer than {folds} folds")
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [list(test) for _, test in splitter.split(list(labels), list(labels))]


def training_part(examples: Sequence[Example], held_out: Sequence[int]) -> list[Example]:
    """The examples a fold trains on: all but the held-out ones, in their order."""
    held = set(held_out)
    return [e for i, e in enumerate(examples) if i not in held]


def cross_validate(
    system: System,
    examples: Sequence[Example],
    folds: int,
    seed: int,
    vocabulary: Vocabulary = NO_VOCABULARY,
    fit: FitPredict = fit_predict,
) -> CrossValidation:
    """Train on k-1 folds and predict the held-out one, k times; pool the predictions.
    Only the examples are split: every fold gets the whole `vocabulary`. `fit` trains and
    predicts (fit_predict, or a Checkpoints' fit_predict to resume an interrupted run)."""
    labels = [e.intent for e in examples]
    size = len(examples)
    deployed, top = [""] * size, [""] * size
    confidence = [0.0] * size
    crisis_readings: list[tuple[str | None, float]] = [(None, 0.0)] * size
    scores, seconds = [], []
    for number, held_out in enumerate(stratified_folds(labels, folds, seed), start=1):
        result = fit(system, training_part(examples, held_out),
                     [examples[i].text for i in held_out], seed, vocabulary)
        for position, index in enumerate(held_out):
            deployed[index] = result.deployed[position]
            top[index] = result.top[position]
            confidence[index] = result.confidence[position]
            crisis_readings[index] = result.crisis_readings[position]
        fold_f1 = macro_f1([labels[i] for i in held_out], as_understood(result.deployed))
        scores.append(fold_f1)
        seconds.append(result.train_seconds)
        logger.info(
            "%s fold %d/%d: macro-F1 %.3f, trained in %.1f s",
            system.name, number, folds, fold_f1, result.train_seconds,
        )
    pooled = Predictions(deployed, top, confidence, statistics.fmean(seconds), 0.0,
                         crisis_readings)
    return CrossValidation(pooled, scores, seconds)


@dataclass(frozen=True)
class FallbackBehaviour:
    """How often out-of-scope messages are recognised as not understood, and how often
    in-scope messages are lost to the fallback (or mistaken for out-of-scope)."""

    out_of_scope_caught: float | None  # share of out_of_scope examples not understood
    in_scope_lost: float  # share of in-scope examples not understood
    out_of_scope_support: int
    in_scope_support: int


def fallback_behaviour(y_true: Sequence[str], y_pred: Sequence[str]) -> FallbackBehaviour:
    """Score the fallback: out_of_scope and nlu_fallback both count as 'not understood'."""
    outside = [p for t, p in zip(y_true, y_pred, strict=True) if t == OUT_OF_SCOPE]
    inside = [p for t, p in zip(y_true, y_pred, strict=True) if t != OUT_OF_SCOPE]
    caught = sum(p in NOT_UNDERSTOOD for p in outside) / len(outside) if outside else None
    lost = sum(p in NOT_UNDERSTOOD for p in inside) / len(inside) if inside else 0.0
    return FallbackBehaviour(caught, lost, len(outside), len(inside))


def with_threshold(top: Sequence[str], confidence: Sequence[float], threshold: float) -> list[str]:
    """The predictions a FallbackClassifier with this threshold would give."""
    return [
        FALLBACK_INTENT if c < threshold else t for t, c in zip(top, confidence, strict=True)
    ]


def as_understood(labels: Sequence[str]) -> list[str]:
    """Map nlu_fallback onto out_of_scope: for scoring, both mean 'not understood'."""
    return [OUT_OF_SCOPE if label == FALLBACK_INTENT else label for label in labels]


# Candidate fallback thresholds: 0.00, 0.01, ..., 0.90.
THRESHOLD_GRID = tuple(round(0.01 * step, 2) for step in range(91))


@dataclass(frozen=True)
class ThresholdChoice:
    """The fallback threshold that scores best on the cross-validation predictions."""

    threshold: float
    macro_f1: float  # with nlu_fallback counted as out_of_scope
    macro_f1_without: float  # the same predictions with no threshold at all


def calibrate_threshold(
    y_true: Sequence[str],
    top: Sequence[str],
    confidence: Sequence[float],
    grid: Sequence[float] = THRESHOLD_GRID,
) -> ThresholdChoice:
    """Pick the fallback threshold maximising macro-F1 on out-of-fold predictions, where a
    fallback is right for an out-of-scope message and wrong for any other. Ties go to the
    lowest threshold: the bot should not say "dat snap ik niet" more than it must."""
    if not y_true:
        raise EvaluationError("nothing to calibrate on")
    best = (-1.0, 0.0)
    for threshold in grid:
        predicted = as_understood(with_threshold(top, confidence, threshold))
        score = macro_f1(y_true, predicted)
        if score > best[0] + 1e-12:
            best = (score, threshold)
    return ThresholdChoice(best[1], best[0], macro_f1(y_true, as_understood(top)))


# Candidate NLU_REVIEW_BELOW bars of the admins' NLU inbox (docs/nlu-review.md).
REVIEW_BARS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


@dataclass(frozen=True)
class ReviewLoad:
    """What the NLU inbox gets at one bar: how much, and how much of it is worth a look."""

    bar: float
    flagged: float  # share of messages sent to the NLU inbox
    wrong_among_flagged: float | None  # share of those the bot answered wrong
    wrong_caught: float | None  # share of the wrong answers that reach the inbox


def review_load(
    y_true: Sequence[str],
    deployed: Sequence[str],
    confidence: Sequence[float],
    bars: Sequence[float] = REVIEW_BARS,
    out_of_scope: bool = True,
) -> list[ReviewLoad]:
    """The NLU inbox's load at each bar, as the gateway fills it (bot/nlu_review/reading.py):
    a message goes in when the bot did not understand it (nlu_fallback, and out_of_scope
    unless `out_of_scope` is False: NLU_REVIEW_OUT_OF_SCOPE) or its best intent's confidence
    is below the bar. Wrong: the answer (nlu_fallback as out_of_scope) is not the true
    intent."""
    answers = as_understood(deployed)
    wrong = [a != t for a, t in zip(answers, y_true, strict=True)]
    loads = []
    for bar in bars:
        flagged = [d == FALLBACK_INTENT or (out_of_scope and d == OUT_OF_SCOPE) or c < bar
                   for d, c in zip(deployed, confidence, strict=True)]
        caught = sum(w and f for w, f in zip(wrong, flagged, strict=True))
        loads.append(ReviewLoad(
            bar, sum(flagged) / len(flagged) if flagged else 0.0,
            caught / sum(flagged) if any(flagged) else None,
            caught / sum(wrong) if any(wrong) else None))
    return loads
