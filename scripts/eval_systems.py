"""The NLU systems make evaluate compares, each trained and queried the same way.

- broekzak: the pipeline in config.yml (Rasa, with broekzak's own components);
- rasa default: the pipeline `rasa init` trains (scripts/rasa_default_config.yml);
- tf-idf baseline: char n-gram TF-IDF + logistic regression (scikit-learn only).

`fit_predict` trains one system on labelled examples and predicts a list of texts, returning
the intent as the system answers (possibly nlu_fallback), the best real intent with its
confidence, and the training cost.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.config import REPO_ROOT
from bot.safety.guard import crisis_reading
from scripts.eval_models import (
    MB,
    NO_VOCABULARY,
    EvaluationError,
    Example,
    Vocabulary,
    parse_texts,
    run_baseline,
    seeded_config,
    top_intents,
    train_rasa_model,
)

logger = logging.getLogger("broekzak.evaluate")

SYSTEM_BROEKZAK = "broekzak"
SYSTEM_RASA_DEFAULT = "rasa default"
SYSTEM_BASELINE = "tf-idf baseline"
RASA_DEFAULT_CONFIG = REPO_ROOT / "scripts" / "rasa_default_config.yml"


@dataclass(frozen=True)
class System:
    """One compared system: a Rasa config, or None for the scikit-learn baseline."""

    name: str
    config: str | None


@dataclass
class Predictions:
    """A system's answers to a list of texts, with what training it cost."""

    deployed: list[str]  # the intent as the system answers, nlu_fallback included
    top: list[str]  # the best intent other than nlu_fallback
    confidence: list[float]  # confidence of `top`
    train_seconds: float
    size_mb: float
    # The guard's reading (bot.safety.guard.crisis_reading) per text: the likelier crisis
    # intent and both crisis intents' confidence together, wherever they rank.
    crisis_readings: list[tuple[str | None, float]]

    def slice(self, start: int, stop: int) -> Predictions:
        """The predictions for texts[start:stop], with the same cost."""
        return Predictions(
            self.deployed[start:stop],
            self.top[start:stop],
            self.confidence[start:stop],
            self.train_seconds,
            self.size_mb,
            self.crisis_readings[start:stop],
        )


def systems(config: str) -> list[System]:
    """The three systems, broekzak's pipeline read from `config`."""
    return [
        System(SYSTEM_BROEKZAK, config),
        System(SYSTEM_RASA_DEFAULT, str(RASA_DEFAULT_CONFIG)),
        System(SYSTEM_BASELINE, None),
    ]


def write_nlu_file(
    examples: Sequence[Example], path: Path, vocabulary: Vocabulary = NO_VOCABULARY
) -> None:
    """Write labelled examples, and the lexicon's regexes and lookup tables, as a Rasa NLU
    YAML file."""
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    messages = [Message.build(text=e.text, intent=e.intent) for e in examples]
    TrainingData(
        training_examples=messages,
        regex_features=[dict(r) for r in vocabulary.regex_features],
        lookup_tables=[dict(t) for t in vocabulary.lookup_tables],
    ).persist_nlu(str(path))


def fit_predict_rasa(
    config: str,
    train: Sequence[Example],
    texts: Sequence[str],
    seed: int,
    vocabulary: Vocabulary = NO_VOCABULARY,
) -> Predictions:
    """Train an NLU-only Rasa model on `train` and parse `texts` with it."""
    with tempfile.TemporaryDirectory(prefix="broekzak-eval-") as tmp:
        work_dir = Path(tmp)
        # A fresh, disabled training cache: a warm .rasa/cache would fake the training time.
        os.environ["RASA_CACHE_DIRECTORY"] = str(work_dir / "cache")
        os.environ["RASA_MAX_CACHE_SIZE"] = "0"
        data = work_dir / "nlu.yml"
        write_nlu_file(train, data, vocabulary)
        model_path, seconds = train_rasa_model(
            seeded_config(config, seed, work_dir), str(data), None, work_dir
        )
        size_mb = model_path.stat().st_size / MB
        parses = asyncio.run(parse_texts(model_path, list(texts)))
    tops = [top_intents(parse) for parse in parses]
    return Predictions(
        deployed=[t[0] for t in tops],
        top=[t[1] for t in tops],
        confidence=[0.0 if t[2] is None else t[2] for t in tops],
        train_seconds=seconds,
        size_mb=size_mb,
        crisis_readings=[crisis_reading(parse) for parse in parses],
    )


def fit_predict_baseline(
    train: Sequence[Example], texts: Sequence[str], seed: int
) -> Predictions:
    """Train the TF-IDF baseline on `train` and predict `texts` (it has no fallback)."""
    run = run_baseline([e.text for e in train], [e.intent for e in train], texts, seed)
    confidence = [0.0 if c is None else c for c in run.confidences]
    return Predictions(run.predictions, list(run.predictions), confidence, run.train_seconds,
                       run.size_mb, run.crisis_readings)


def fit_predict(
    system: System,
    train: Sequence[Example],
    texts: Sequence[str],
    seed: int,
    vocabulary: Vocabulary = NO_VOCABULARY,
) -> Predictions:
    """Train `system` on `train` (with the lexicon's regexes and lookup tables, which only
    the Rasa pipelines read) and predict `texts`."""
    if not train:
        raise EvaluationError("no training examples")
    if system.config is None:
        return fit_predict_baseline(train, texts, seed)
    if not Path(system.config).is_file():
        raise EvaluationError(f"config not found: {system.config}")
    return fit_predict_rasa(system.config, train, texts, seed, vocabulary)


# fit_predict's signature: what cross-validation calls to train and predict one fold.
FitPredict = Callable[[System, Sequence[Example], Sequence[str], int, Vocabulary], Predictions]
