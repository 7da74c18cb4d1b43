"""Every figure make evaluate reports for one system, computed from its predictions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.safety.guard import MODEL_MIN_CONFIDENCE
from scripts.eval_cv import (
    CrossValidation,
    FallbackBehaviour,
    ThresholdChoice,
    as_understood,
    calibrate_threshold,
    fallback_behaviour,
)
from scripts.eval_systems import Predictions
from scripts.metrics import (
    CRISIS_INTENTS,
    FALLBACK_INTENT,
    CrisisScores,
    IntentScores,
    accuracy,
    crisis_scores,
    either_fires,
    macro_f1,
    per_intent_scores,
)

# The guard confidences the report compares on the folds (bot/safety/guard.py picks one).
GUARD_THRESHOLDS: tuple[float, ...] = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)


def guard_labels(predictions: Predictions,
                 min_confidence: float = MODEL_MIN_CONFIDENCE) -> list[str]:
    """What the gateway's guard takes from the model (bot/safety/guard.py): the likelier
    crisis intent when both crisis intents together have at least `min_confidence`
    (MODEL_MIN_CONFIDENCE), whatever the answer was (the fallback, or a topic ahead of
    them); otherwise the answer itself, with crises below that confidence counted as not
    understood."""
    labels = []
    for deployed, (crisis, confidence) in zip(
        predictions.deployed, predictions.crisis_readings, strict=True
    ):
        if crisis in CRISIS_INTENTS and confidence >= min_confidence:
            labels.append(crisis)
        else:
            labels.append(FALLBACK_INTENT if deployed in CRISIS_INTENTS else deployed)
    return labels


@dataclass
class SystemScores:
    """One system's row in the comparison, and what the report details about it."""

    name: str
    cv_accuracy: float
    cv_macro_f1: float
    cv_macro_f1_sd: float
    cv_fallback: FallbackBehaviour
    cv_crisis_model: CrisisScores
    # Crisis detection on the folds at each of GUARD_THRESHOLDS, by the model alone and by
    # model + safety net as the bot runs them: the evidence for MODEL_MIN_CONFIDENCE.
    cv_guard_sweep: dict[float, CrisisScores]
    cv_guard_sweep_with_net: dict[float, CrisisScores]
    cv_per_intent: dict[str, IntentScores]
    threshold: ThresholdChoice
    test_accuracy: float
    test_macro_f1: float
    test_fallback: FallbackBehaviour
    test_crisis_model: CrisisScores
    test_crisis_with_net: CrisisScores
    robust_macro_f1: float
    robust_by_perturbation: dict[str, float]
    train_seconds: float
    cv_train_seconds: float
    size_mb: float

    @property
    def robust_drop(self) -> float:
        """Macro-F1 points lost on the robustness set against the clean test split."""
        return self.test_macro_f1 - self.robust_macro_f1


def score_system(
    name: str,
    train_labels: Sequence[str],
    cv: CrossValidation,
    net_cv: Sequence[str],
    test_labels: Sequence[str],
    test: Predictions,
    net_test: Sequence[str],
    robust_labels: Sequence[str],
    robust_kinds: Sequence[str],
    robust: Predictions,
) -> SystemScores:
    """Score one system on the folds, the test split and the robustness set. Macro-F1 and
    accuracy count nlu_fallback as out_of_scope: both mean "not understood"."""
    cv_answers = as_understood(cv.predictions.deployed)
    test_answers = as_understood(test.deployed)
    robust_answers = as_understood(robust.deployed)
    by_kind: dict[str, float] = {}
    for kind in dict.fromkeys(robust_kinds):
        chosen = [i for i, k in enumerate(robust_kinds) if k == kind]
        by_kind[kind] = macro_f1(
            [robust_labels[i] for i in chosen], [robust_answers[i] for i in chosen]
        )
    test_guard = guard_labels(test)
    return SystemScores(
        name=name,
        cv_accuracy=accuracy(train_labels, cv_answers),
        cv_macro_f1=cv.macro_f1_mean,
        cv_macro_f1_sd=cv.macro_f1_sd,
        cv_fallback=fallback_behaviour(train_labels, cv.predictions.deployed),
        cv_crisis_model=crisis_scores(train_labels, guard_labels(cv.predictions)),
        cv_guard_sweep={
            threshold: crisis_scores(train_labels, guard_labels(cv.predictions, threshold))
            for threshold in GUARD_THRESHOLDS
        },
        cv_guard_sweep_with_net={
            threshold: crisis_scores(
                train_labels, either_fires(guard_labels(cv.predictions, threshold), net_cv))
            for threshold in GUARD_THRESHOLDS
        },
        cv_per_intent=per_intent_scores(train_labels, cv_answers, sorted(set(train_labels))),
        threshold=calibrate_threshold(train_labels, cv.predictions.top, cv.predictions.confidence),
        test_accuracy=accuracy(test_labels, test_answers),
        test_macro_f1=macro_f1(test_labels, test_answers),
        test_fallback=fallback_behaviour(test_labels, test.deployed),
        test_crisis_model=crisis_scores(test_labels, test_guard),
        test_crisis_with_net=crisis_scores(test_labels, either_fires(test_guard, net_test)),
        robust_macro_f1=macro_f1(robust_labels, robust_answers),
        robust_by_perturbation=by_kind,
        train_seconds=test.train_seconds,
        cv_train_seconds=cv.predictions.train_seconds,
        size_mb=test.size_mb,
    )


def per_intent_f1(scores: Mapping[str, SystemScores]) -> dict[str, dict[str, float]]:
    """Cross-validated F1 per intent, per system: {intent: {system: F1}}."""
    intents = sorted({i for s in scores.values() for i in s.cv_per_intent})
    return {
        intent: {
            name: s.cv_per_intent[intent].f1 for name, s in scores.items()
            if intent in s.cv_per_intent
        }
        for intent in intents
    }
