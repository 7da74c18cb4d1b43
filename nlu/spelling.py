"""Typo repair and word splitting against the vocabulary of the training data.

Young people type fast on phones: letters swapped or dropped ("mere" for "meer"), spaces
left out ("ikweetechtnietmeer"). Character n-grams absorb some of that, but the sentence
encoder sees a different sentence. This component learns the words of the training data and
rewrites only words it has never seen, trying in turn:
- a stretched letter undone ("jaa" → "ja");
- the most frequent known word one slip away: a letter dropped, two swapped ("mere" →
  "meer") or a neighbouring key hit, the first letter kept; in words of two or three
  letters only a swap ("hte" → "het") or a letter dropped from a two-letter word ("wl" →
  "wil");
- for long words, the likeliest known words that spell it (a unigram model over the
  training words: "jebenteenschat" → "je bent een schat"); digits split off, and a stretch
  no known word spells stays as typed if known words cover most of the text.
Known words are never touched, so slang and names in the training data stay as they are.

General Dutch word lists (the wordfreq package) were tried to tell typos from real words the
training data lacks; they lowered the scores (a corrected word is one the classifier knows,
a real but unseen word is not), see docs/nlu-evaluation.md.

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

import regex
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
_RUNS = regex.compile(r"\p{L}+|\d+")


# Keys next to each other on a phone's QWERTY keyboard (the rows offset as on the screen),
# and each accented letter beside its plain one: the letters a thumb hits by mistake.
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_ACCENTS = {"e": "éë", "i": "ï", "o": "ö", "u": "ü"}


def _keyboard_neighbours() -> dict[str, frozenset[str]]:
    near: dict[str, set[str]] = {letter: set() for row in _KEY_ROWS for letter in row}
    for r, row in enumerate(_KEY_ROWS):
        for c, letter in enumerate(row):
            for rr, cc in ((r, c - 1), (r, c + 1), (r - 1, c), (r - 1, c + 1), (r + 1, c - 1),
                           (r + 1, c)):
                if 0 <= rr < len(_KEY_ROWS) and 0 <= cc < len(_KEY_ROWS[rr]):
                    near[letter].add(_KEY_ROWS[rr][cc])
    for plain, accented in _ACCENTS.items():
        for letter in accented:
            near[letter] = (near[plain] | {plain, *accented}) - {letter}
            near[plain].add(letter)
    return {letter: frozenset(keys) for letter, keys in near.items()}


NEAR_KEYS = _keyboard_neighbours()


def typo_edits(word: str) -> set[str]:
    """The words a typed `word` may be a slip of: a letter dropped ("zelfmord" →
    "zelfmoord") or two swapped ("mere" → "meer"), or a key hit beside the right one ("nirt"
    → "niet"); the first letter is never replaced or preceded (people rarely mistype it). An
    extra letter is left to `unstretched` (a doubled one). Other deletions, replacements by
    any letter and first-letter edits turned real words the training data lacks into other
    words — "tank" into "dank", "ramen" into "samen", "aangebrand" into "aangerand" — and
    cost cross-validation 0.15 points (docs/nlu-evaluation.md)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    replaces = {a + c + b[1:] for a, b in splits[1:] if b for c in NEAR_KEYS.get(b[0], ())}
    inserts = {a + c + b for a, b in splits[1:] for c in LETTERS}
    return _transposes(splits) | replaces | inserts


def _transposes(splits: list[tuple[str, str]]) -> set[str]:
    return {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}


def _inserts(splits: list[tuple[str, str]]) -> set[str]:
    return {a + c + b for a, b in splits for c in LETTERS}


def unstretched(word: str) -> set[str]:
    """The word with one letter of a double removed ("jaa" → "ja", "hoii" → "hoi"): young
    people stretch words, and nlu.normalise leaves two of a stretched letter."""
    return {word[:i] + word[i + 1:] for i in range(len(word) - 1) if word[i] == word[i + 1]}


def short_edits(word: str) -> set[str]:
    """Words that a short `word` is a typo of: two letters swapped ("hte" → "het"), or, in a
    word of two letters, one letter dropped ("wl" → "wil"). Other edits are left out: in
    short words they have too many neighbours, and a real word the training data lacks
    would become another word ("lag" → "lang" turned "ik lag dubbel" into a crisis)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return _transposes(splits) | (_inserts(splits) if len(word) <= 2 else set())


def correct(word: str, vocabulary: Mapping[str, int], min_length: int,
            short_from: int = 2) -> str | None:
    """The most frequent known word one edit away from an unknown word, if any.

    A stretched letter is undone first (`unstretched`); then, from `min_length` letters on,
    the slips of `typo_edits` count, and in shorter words (from `short_from` letters) only
    those of `short_edits`.
    """
    if word in vocabulary or len(word) < short_from or not word.isalpha():
        return None
    # A stretched letter first: "jaa" is "ja", even if "jaar" is more frequent.
    for edits in (unstretched(word),
                  typo_edits(word) if len(word) >= min_length else short_edits(word)):
        candidates = [c for c in edits if c in vocabulary and len(c) > 1]
        if candidates:
            return max(candidates, key=lambda c: (vocabulary[c], c))
    return None


# An unknown stretch inside a text typed without spaces costs more than any known word, and
# more the longer it is, so it is only kept where known words cannot spell the text.
_UNKNOWN_COST = -math.log(1e-8)
_UNKNOWN_COST_PER_LETTER = math.log(10)
# Shortest unknown stretch, and the share of letters known words must cover.
_UNKNOWN_MIN_LENGTH = 3
_KNOWN_COVERAGE = 0.6
# A one-letter word inside such a text ("s nachts", "thanks a lot") must be this frequent
# (a share of all training words): "k" or "d" would otherwise split anything.
_LETTER_PROBABILITY = 1e-3
# Longest piece considered (known words are shorter; longer unknown stretches stay whole).
_LONGEST_PIECE = 24


def _piece_cost(piece: str, vocabulary: Mapping[str, int], total: int) -> float | None:
    """-log probability of a piece of a text typed without spaces; None if not allowed."""
    probability = vocabulary.get(piece, 0) / total
    if probability > 0 and (len(piece) > 1 or probability >= _LETTER_PROBABILITY):
        return -math.log(probability)
    if len(piece) >= _UNKNOWN_MIN_LENGTH:
        return _UNKNOWN_COST + _UNKNOWN_COST_PER_LETTER * len(piece)
    return None


def _split_letters(run: str, vocabulary: Mapping[str, int]) -> list[str]:
    """The likeliest words that spell a run of letters (unigram model), or [run]."""
    size, total = len(run), sum(vocabulary.values()) or 1
    # best[i]: (cost, letters in known pieces, start of the last piece) of run[:i]
    best: list[tuple[float, int, int] | None] = [None] * (size + 1)
    best[0] = (0.0, 0, 0)
    for end in range(1, size + 1):
        for start in range(max(0, end - _LONGEST_PIECE), end):
            previous, piece = best[start], run[start:end]
            cost = _piece_cost(piece, vocabulary, total) if previous is not None else None
            if previous is None or cost is None:
                continue
            known = len(piece) if piece in vocabulary else 0
            candidate = (previous[0] + cost, previous[1] + known, start)
            current = best[end]
            if current is None or candidate[0] < current[0]:
                best[end] = candidate
    last = best[size]
    if last is None or last[1] < _KNOWN_COVERAGE * size:
        return [run]
    pieces, end = [], size
    while end > 0:
        start = best[end][2]  # type: ignore[index]
        pieces.append(run[start:end])
        end = start
    return pieces[::-1]


def segment(word: str, vocabulary: Mapping[str, int], min_length: int) -> list[str] | None:
    """Split a text typed without spaces into its likeliest known words; None when the word
    is known, too short, or cannot be split. Digits split off letters ("ik19ben" → ik 19
    ben); a stretch no known word spells stays as typed when known words cover most of it."""
    if word in vocabulary or len(word) < min_length:
        return None
    runs = _RUNS.findall(word)
    if "".join(runs) != word:  # apostrophes, underscores: not a run of letters and digits
        return None
    pieces: list[str] = []
    for run in runs:
        known = not run.isalpha() or run in vocabulary
        pieces.extend([run] if known else _split_letters(run, vocabulary))
    return pieces if len(pieces) >= 2 else None


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
