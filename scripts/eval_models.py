"""Training and querying the models compared by make evaluate: Rasa NLU and the baseline."""

from __future__ import annotations

import contextlib
import io
import logging
import pickle
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.safety.guard import crisis_reading_of
from scripts.metrics import (
    FALLBACK_INTENT,
)

logger = logging.getLogger("broekzak.evaluate")

ROW_MODEL = "rasa model"
ROW_BASELINE = "baseline tf-idf + logreg"
MB = 1_000_000
MODEL_NAME = "nlu-evaluation"
# Components whose training is random and that accept `random_seed` (Rasa 3.6).
SEEDABLE_COMPONENTS = frozenset({"DIETClassifier", "ResponseSelector"})


class EvaluationError(Exception):
    """An error that makes the evaluation impossible (bad paths, empty data, failed training)."""


@dataclass
class Example:
    """One labelled NLU example."""

    text: str
    intent: str


@dataclass(frozen=True)
class Vocabulary:
    """The training data that is not labelled examples: regexes and lookup tables (the
    lexicon). Every cross-validation fold trains with all of it, as `rasa test nlu
    --cross-validation` does: it is knowledge the bot has, not examples to hold out."""

    regex_features: tuple[dict[str, str], ...] = ()
    lookup_tables: tuple[dict[str, Any], ...] = ()


NO_VOCABULARY = Vocabulary()


@dataclass
class ModelRun:
    """Predictions of one model on the test texts, with its cost."""

    name: str
    predictions: list[str]
    train_seconds: float
    size_mb: float
    confidences: list[float | None] = field(default_factory=list)
    # Per text: (the likelier crisis intent, both crisis intents' confidence together).
    crisis_readings: list[tuple[str | None, float]] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# data


def _load_nlu(path: str) -> Any:
    """Rasa's TrainingData of an NLU file or directory."""
    from rasa.shared.nlu.training_data.loading import load_data

    if not Path(path).exists():
        raise EvaluationError(f"NLU data not found: {path}")
    return load_data(path)


def _examples_of(data: Any, path: str, allow_none: bool) -> list[Example]:
    examples = [
        Example(text=str(message.get("text")), intent=str(message.get("intent")))
        for message in data.intent_examples
        if message.get("text") and message.get("intent")
    ]
    if not examples and not allow_none:
        raise EvaluationError(f"no intent examples in {path}")
    return examples


def _vocabulary_of(data: Any) -> Vocabulary:
    return Vocabulary(tuple(data.regex_features), tuple(data.lookup_tables))


def load_examples(path: str, allow_none: bool = False) -> list[Example]:
    """Load the intent examples of a Rasa NLU file or directory (a file of regexes only,
    such as the lexicon, has none: an error unless `allow_none`)."""
    return _examples_of(_load_nlu(path), path, allow_none)


def load_vocabulary(path: str) -> Vocabulary:
    """The regexes and lookup tables of a Rasa NLU file or directory."""
    return _vocabulary_of(_load_nlu(path))


def load_training_data(path: str) -> tuple[list[Example], Vocabulary]:
    """The examples and the vocabulary of the training data, read once."""
    data = _load_nlu(path)
    return _examples_of(data, path, allow_none=False), _vocabulary_of(data)


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
    if not test_texts:
        return ModelRun(ROW_BASELINE, [], seconds, size_mb, [])
    predictions = [str(label) for label in pipeline.predict(list(test_texts))]
    probabilities = pipeline.predict_proba(list(test_texts))
    confidences: list[float | None] = [float(row.max()) for row in probabilities]
    # Read as the guard reads a Rasa parse, from the baseline's whole probability ranking.
    names = [str(label) for label in pipeline.classes_]
    readings = [crisis_reading_of(dict(zip(names, map(float, row), strict=True)))
                for row in probabilities]
    return ModelRun(ROW_BASELINE, predictions, seconds, size_mb, confidences, readings)
