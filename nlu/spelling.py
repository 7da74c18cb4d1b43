"""Typo repair and word splitting against the vocabulary of the training data.

Young people type fast on phones: letters swapped or dropped ("mere" for "meer"), spaces
left out ("ikweetechtnietmeer"). Character n-grams absorb some of that, but the sentence
encoder sees a different sentence. This component learns the words of the training data and
rewrites only words it has never seen: into a known word one edit away (the most frequent
one), or, for long words, into the fewest known words that spell it. Known words are never
touched, so slang and names in the training data stay as they are.

The rewritten words become the tokens' lemmas (what the CountVectorsFeaturizers count) and
the message's `normalised_text` (what nlu.e5_featurizer embeds). The original text is kept.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

NORMALISED_TEXT = "normalised_text"
VOCABULARY_FILE = "vocabulary.json"
LETTERS = "abcdefghijklmnopqrstuvwxyzéëïöü"


def edits1(word: str) -> set[str]:
    """All strings one deletion, transposition, replacement or insertion away from word."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    transposes = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in LETTERS}
    inserts = {a + c + b for a, b in splits for c in LETTERS}
    return deletes | transposes | replaces | inserts


def correct(word: str, vocabulary: Mapping[str, int], min_length: int) -> str | None:
    """The most frequent known word one edit away from an unknown word, if any."""
    if word in vocabulary or len(word) < min_length or not word.isalpha():
        return None
    candidates = [c for c in edits1(word) if c in vocabulary and len(c) > 1]
    if not candidates:
        return None
    return max(candidates, key=lambda c: (vocabulary[c], c))


def segment(word: str, vocabulary: Mapping[str, int], min_length: int) -> list[str] | None:
    """Split an unknown word into the fewest known words (of two letters or more), ties
    going to the more frequent words; None when it cannot be split into two or more."""
    if word in vocabulary or len(word) < min_length or not word.isalpha():
        return None
    size = len(word)
    # best[i]: (pieces, -log-frequency) of the best split of word[:i], with its last cut
    best: list[tuple[int, float, int] | None] = [None] * (size + 1)
    best[0] = (0, 0.0, 0)
    total = sum(vocabulary.values()) or 1
    for end in range(2, size + 1):
        for start in range(max(0, end - 20), end - 1):
            previous = best[start]
            piece = word[start:end]
            if previous is None or piece not in vocabulary:
                continue
            cost = (previous[0] + 1, previous[1] - math.log(vocabulary[piece] / total), start)
            current = best[end]
            if current is None or cost[:2] < current[:2]:
                best[end] = cost
    if best[size] is None or best[size][0] < 2:  # type: ignore[index]
        return None
    pieces, end = [], size
    while end > 0:
        start = best[end][2]  # type: ignore[index]
        pieces.append(word[start:end])
        end = start
    return pieces[::-1]


def repair(word: str, vocabulary: Mapping[str, int], correct_from: int,
           split_from: int) -> list[str]:
    """The known word(s) an unknown word most likely stands for, or the word itself."""
    fixed = correct(word, vocabulary, correct_from)
    if fixed is not None:
        return [fixed]
    pieces = segment(word, vocabulary, split_from)
    return pieces if pieces is not None else [word]


def vocabulary_of(lemmas: Iterable[str]) -> dict[str, int]:
    """Word frequencies of the training lemmas (letters only: emoji and numbers are kept out)."""
    return dict(Counter(lemma for lemma in lemmas if lemma.isalpha()))


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class SpellingNormaliser(GraphComponent):
    """Rewrites unknown words into known ones; see the module docstring."""

    @classmethod
    def required_components(cls) -> list[type]:
        """A tokenizer must run before this component."""
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config."""
        return {
            # Shortest unknown word to repair by one edit: shorter words have too many
            # neighbours ("ga", "da") to guess from.
            "correct_min_length": 4,
            # Shortest unknown word to split into known words.
            "split_min_length": 6,
        }

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage,
                 resource: Resource, vocabulary: dict[str, int] | None = None) -> None:
        """Create the normaliser, with the vocabulary once trained."""
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary or {}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SpellingNormaliser:
        """Create an untrained normaliser."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Learn the vocabulary of the training texts and persist it."""
        lemmas = (
            str(token.lemma)
            for message in training_data.training_examples
            for token in message.get(TOKENS_NAMES[TEXT]) or []
        )
        self.vocabulary = vocabulary_of(lemmas)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(
                json.dumps(self.vocabulary, ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    def _normalise(self, message: Message) -> None:
        tokens = message.get(TOKENS_NAMES[TEXT])
        if not tokens:
            return
        words = []
        for token in tokens:
            lemma = str(token.lemma)
            pieces = repair(lemma, self.vocabulary, int(self._config["correct_min_length"]),
                            int(self._config["split_min_length"])) if self.vocabulary else [lemma]
            token.lemma = " ".join(pieces)
            words.extend(pieces)
        message.set(NORMALISED_TEXT, " ".join(words))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Set the normalised text of the training examples (their words are all known)."""
        for message in training_data.training_examples:
            self._normalise(message)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Repair unknown words in incoming messages."""
        for message in messages:
            self._normalise(message)
        return messages

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> SpellingNormaliser:
        """Load the learnt vocabulary (an empty one repairs nothing)."""
        try:
            with model_storage.read_from(resource) as directory:
                raw = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.warning("SpellingNormaliser has no vocabulary; it repairs nothing")
            raw = {}
        return cls(config, model_storage, resource, {str(k): int(v) for k, v in raw.items()})
