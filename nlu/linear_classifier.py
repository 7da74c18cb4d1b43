"""A regularised linear intent classifier over sparse n-grams and dense sentence features.

With a few dozen examples per intent a linear model over good features generalises better
than DIET's transformer and trains in seconds instead of minutes (make evaluate measures
both). Two linear models are on offer (`model`): multinomial logistic regression, and a
one-vs-rest linear SVM whose margins become probabilities through a softmax after one scale
factor (an inverse temperature), fitted on held-out margins of an inner cross-validation
(docs/nlu-evaluation.md measures both; at the same bar the SVM found more crises with fewer
false alarms, and scored higher macro-F1).

Sparse sentence features (the CountVectorsFeaturizers' counts) get a sublinear TF-IDF
weighting learnt on the training data and are L2-normalised, each featurizer's block on its
own (`sparse_norm: per_featurizer`) before the blocks together: normalised jointly, the
character n-grams (dozens a message) would drown the handful of words and word pairs. Dense
sentence features (the e5 embedding) are scaled by `dense_weight`, which sets how much the
encoder's judgement counts against the spelled-out n-grams. The lexicon's features (the
sparse featurizers named in `lexicon_featurizers`, a RegexFeaturizer with one feature per
subject) form a block of their own, scaled by `lexicon_weight`: inside the TF-IDF block one
subject flag would be drowned by a message's dozens of n-grams. With `neighbour_weight` above
0, a block of per-intent nearest-neighbour similarities of the dense features joins them
(nlu/neighbours.py); the training examples' embeddings are then kept in the model. Trained
with scikit-learn; persisted as plain arrays (no pickle), so loading a model runs no code
from it.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.neighbours import neighbour_similarities, unit_rows
from nlu.tfidf import smooth_idf, weighted_blocks

logger = logging.getLogger(__name__)

Array = npt.NDArray[Any]

WEIGHTS_FILE = "linear_intent_classifier.npz"
MODELS = ("logistic", "svm")
SPARSE_NORMS = ("per_featurizer", "joint")
# Scale factors tried when turning SVM margins into probabilities (softmax(scale × margin)).
SCALES = np.geomspace(0.5, 50.0, 61)


class LinearClassifierConfigError(ValueError):
    """The classifier's configuration in config.yml is invalid."""


def softmax(scores: Array) -> Array:
    """Row-wise softmax, stable for large scores."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def _stack_sparse(rows: list[Any]) -> scipy.sparse.csr_matrix | None:
    """One matrix of per-message sparse rows; None unless every message has the feature."""
    if not rows or any(row is None for row in rows):
        return None
    return scipy.sparse.vstack(rows).tocsr()


def _stack_dense(rows: list[Any]) -> Array | None:
    """One matrix of per-message dense rows; None unless every message has the feature."""
    if not rows or any(row is None for row in rows):
        return None
    return np.vstack(rows)


def _stored_or_none(arrays: Any, name: str) -> Array | None:
    """A persisted optional array: None when an older model lacks it or it was saved empty."""
    return arrays[name] if name in arrays.files and arrays[name].size else None


def _is_sparse_sentence_feature(feature: Features) -> bool:
    """Whether a message feature is a sparse featurizer's sentence features of the text."""
    return bool(feature.attribute == TEXT and feature.type == FEATURE_TYPE_SENTENCE
                and feature.is_sparse())


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class LinearIntentClassifier(IntentClassifier, GraphComponent):
    """A linear model over TF-IDF-weighted sparse and scaled dense features."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Components that must run before this one."""
        return [Featurizer]

    @staticmethod
    def required_packages() -> list[str]:
        """Python packages this component needs."""
        return ["sklearn"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config (see config.yml for broekzak's values)."""
        return {
            # "logistic" (multinomial logistic regression) or "svm" (one-vs-rest linear SVM
            # with scaled margins).
            "model": "logistic",
            # Inverse regularisation strength of the model.
            "C": 30.0,
            # Inner folds that fit the SVM's margin scale (held-out margins, log loss).
            "calibration_folds": 3,
            # "per_featurizer": each sparse featurizer's block L2-normalised on its own, then
            # all together; "joint": all sparse features normalised as one block.
            "sparse_norm": "per_featurizer",
            # With per_featurizer: one weight per sparse featurizer, in pipeline order,
            # applied after each block's own normalisation (empty: all blocks weigh alike).
            "sparse_block_weights": [],
            # Weight of the dense sentence features against the L2-normalised sparse ones.
            "dense_weight": 3.0,
            # Names (or aliases) of sparse featurizers whose features are the lexicon, and
            # the weight of that block (binary subject flags, neither TF-IDF nor normalised).
            "lexicon_featurizers": [],
            "lexicon_weight": 1.0,
            # Weight of the nearest-neighbour block: per intent, the mean cosine similarity
            # of the dense features to that intent's `neighbour_k` nearest training
            # examples (0: no block, and no embeddings kept in the model).
            "neighbour_weight": 0.0,
            "neighbour_k": 3,
            # Re-weight classes by their inverse frequency (crisis intents have more
            # examples than "thank"; this keeps the small intents from being swallowed).
            "balanced": True,
            "max_iter": 5000,
            "random_seed": 42,
            # How many intents the ranking in the parse result lists (0 = all).
            "ranking_length": 10,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        classes: Array | None = None,
        coef: Array | None = None,
        intercept: Array | None = None,
        idf: Array | None = None,
        scale: float = 1.0,
        block_sizes: Array | None = None,
        memory: Array | None = None,
        memory_labels: Array | None = None,
    ) -> None:
        """Create the classifier, trained when weights are given."""
        self._config = {**self.get_default_config(), **config}
        self._check_config()
        self._model_storage = model_storage
        self._resource = resource
        self.classes = classes
        self.coef = coef
        self.intercept = intercept
        self.idf = idf
        # Multiplies the scores before the softmax (an inverse temperature); 1 for logistic
        # regression, whose scores are already log-odds.
        self.scale = scale
        # Columns of each sparse featurizer's block, in pipeline order; None: one block
        # (models trained before per-featurizer normalisation).
        self.block_sizes = block_sizes
        # The training examples' unit dense features (float16 to halve the model) and the
        # index of each one's intent in `classes`: the nearest-neighbour block's memory.
        self._set_memory(memory, memory_labels)

    def _check_config(self) -> None:
        if self._config["model"] not in MODELS:
            raise LinearClassifierConfigError(
                f"model must be one of {MODELS}, not {self._config['model']!r}")
        if self._config["sparse_norm"] not in SPARSE_NORMS:
            raise LinearClassifierConfigError(
                f"sparse_norm must be one of {SPARSE_NORMS}, not {self._config['sparse_norm']!r}")
        weights = self._config["sparse_block_weights"]
        if not isinstance(weights, list) or any(float(weight) < 0 for weight in weights):
            raise LinearClassifierConfigError(
                "sparse_block_weights must be a list of non-negative numbers")
        if weights and self._config["sparse_norm"] != "per_featurizer":
            raise LinearClassifierConfigError(
                "sparse_block_weights needs sparse_norm: per_featurizer")
        if int(self._config["calibration_folds"]) < 2:
            raise LinearClassifierConfigError("calibration_folds must be at least 2")
        if float(self._config["C"]) <= 0:
            raise LinearClassifierConfigError("C must be greater than 0")
        if float(self._config["dense_weight"]) < 0:
            raise LinearClassifierConfigError("dense_weight must not be negative")
        if float(self._config["lexicon_weight"]) < 0:
            raise LinearClassifierConfigError("lexicon_weight must not be negative")
        if float(self._config["neighbour_weight"]) < 0:
            raise LinearClassifierConfigError("neighbour_weight must not be negative")
        if int(self._config["neighbour_k"]) < 1:
            raise LinearClassifierConfigError("neighbour_k must be at least 1")
        if not isinstance(self._config["lexicon_featurizers"], list):
            raise LinearClassifierConfigError("lexicon_featurizers must be a list of names")
        if int(self._config["ranking_length"]) < 0:
            raise LinearClassifierConfigError("ranking_length must not be negative")

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        """Create an untrained classifier."""
        return cls(config, model_storage, resource)

    # ----------------------------------------------------------------------------------
    # features

    def _sentence_features(self, messages: list[Message]) -> tuple[Any, Any, Any]:
        """The messages' sparse, dense and lexicon sentence features as matrices (or None)."""
        lexicon_names = set(self._config["lexicon_featurizers"])
        sparse_rows: list[Any] = []
        lexicon_rows: list[Any] = []
        dense_rows: list[Any] = []
        for message in messages:
            sparse: list[Any] = []
            lexicon: list[Any] = []
            for feature in message.features:
                if _is_sparse_sentence_feature(feature):
                    part = lexicon if feature.origin in lexicon_names else sparse
                    part.append(scipy.sparse.csr_matrix(feature.features))
            sparse_rows.append(scipy.sparse.hstack(sparse) if sparse else None)
            lexicon_rows.append(scipy.sparse.hstack(lexicon) if lexicon else None)
            _, dense = message.get_dense_features(TEXT)
            dense_rows.append(None if dense is None else np.asarray(dense.features))
        return _stack_sparse(sparse_rows), _stack_dense(dense_rows), _stack_sparse(lexicon_rows)

    def _sparse_block_sizes(self, message: Message) -> Array:
        """Columns of each sparse featurizer's sentence features, in the order
        `_sentence_features` stacks them (the lexicon's blocks excluded)."""
        lexicon_names = set(self._config["lexicon_featurizers"])
        return np.asarray([
            feature.features.shape[-1]
            for feature in message.features
            if _is_sparse_sentence_feature(feature) and feature.origin not in lexicon_names
        ], dtype=np.int64)

    def _weighted_sparse(self, sparse: scipy.sparse.csr_matrix,
                         idf: Array) -> scipy.sparse.csr_matrix:
        """Sublinear TF-IDF, L2-normalised per block, then the blocks together."""
        if sparse.shape[1] != idf.size:
            raise LinearClassifierConfigError(
                f"the sparse featurizers give {sparse.shape[1]} features, the model was "
                f"trained on {idf.size}: retrain after changing the pipeline")
        sizes = self.block_sizes
        weights = self._block_weights(len(sizes)) if sizes is not None and len(sizes) > 1 else []
        return weighted_blocks(sparse, idf, sizes, weights)

    def _block_weights(self, blocks: int) -> list[float]:
        """`sparse_block_weights` for this many sparse blocks (all 1 when not set)."""
        weights = [float(weight) for weight in self._config["sparse_block_weights"]]
        if not weights:
            return [1.0] * blocks
        if len(weights) != blocks:
            raise LinearClassifierConfigError(
                f"sparse_block_weights has {len(weights)} weights for {blocks} sparse "
                "featurizers: give one per CountVectorsFeaturizer, in pipeline order")
        return weights

    def _design_matrix(self, features: tuple[Any, Any, Any],
                       training: bool = False) -> scipy.sparse.csr_matrix:
        """The classifier's input from `_sentence_features`' sparse, dense and lexicon parts
        (`training`: the features are the training examples', in `memory`'s order)."""
        sparse, dense, lexicon = features
        parts = []
        if sparse is not None and self.idf is not None and self.idf.size:
            parts.append(self._weighted_sparse(sparse, self.idf))
        if dense is not None and float(self._config["dense_weight"]) > 0:
            parts.append(scipy.sparse.csr_matrix(dense * float(self._config["dense_weight"])))
        if lexicon is not None and float(self._config["lexicon_weight"]) > 0:
            parts.append(scipy.sparse.csr_matrix(
                (lexicon != 0).astype(np.float64) * float(self._config["lexicon_weight"])))
        if self._memory_float32 is not None:
            parts.append(scipy.sparse.csr_matrix(self._neighbour_block(dense, training)))
        if not parts:
            raise LinearClassifierConfigError(
                "LinearIntentClassifier found no sentence features: put a featurizer before it"
            )
        return scipy.sparse.hstack(parts).tocsr()

    def _set_memory(self, memory: Array | None, labels: Array | None) -> None:
        """Keep the memory and a float32 copy: converting it per parse cost ~12 ms."""
        self.memory = memory
        self.memory_labels = labels
        self._memory_float32 = None if memory is None else memory.astype(np.float32)

    def _neighbour_block(self, dense: Any, training: bool) -> Array:
        """The weighted nearest-neighbour similarities of `dense` to `memory`, each training
        example's without itself."""
        if (dense is None or self._memory_float32 is None or self.memory_labels is None
                or self.classes is None):
            raise LinearClassifierConfigError(
                "the model has a nearest-neighbour block but the messages have no dense "
                "features: retrain after changing the pipeline")
        similarities = neighbour_similarities(
            unit_rows(dense), self._memory_float32, self.memory_labels, len(self.classes),
            int(self._config["neighbour_k"]), leave_one_out=training)
        return similarities.astype(np.float64) * float(self._config["neighbour_weight"])

    # ----------------------------------------------------------------------------------
    # training

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the linear model on the intent examples and persist its weights."""
        examples = [
            message
            for message in training_data.intent_examples
            if message.get(INTENT) and message.get(TEXT)
        ]
        labels = sorted({str(message.get(INTENT)) for message in examples})
        if len(labels) < 2:
            logger.warning("LinearIntentClassifier needs at least two intents; not trained")
            return self._resource
        self.fit(self._sentence_features(examples),
                 np.asarray([str(message.get(INTENT)) for message in examples]),
                 self._sparse_block_sizes(examples[0]))
        self.persist()
        return self._resource

    def fit(self, features: tuple[Any, Any, Any], targets: Array, block_sizes: Array) -> None:
        """Fit the model on `_sentence_features`' output for the training examples, their
        intents, and the sparse featurizers' block widths (`_sparse_block_sizes`)."""
        sparse = features[0]
        self.idf = smooth_idf(sparse) if sparse is not None else np.zeros(0)
        self.block_sizes = (
            block_sizes
            if sparse is not None and self._config["sparse_norm"] == "per_featurizer"
            else None
        )
        dense = features[1]
        if float(self._config["neighbour_weight"]) > 0 and dense is not None:
            # The model's classes are scikit-learn's: the sorted distinct targets.
            self.classes = np.unique(targets).astype(str)
            self._set_memory(unit_rows(dense).astype(np.float16),
                             np.searchsorted(self.classes, targets))
        else:
            self._set_memory(None, None)
        design = self._design_matrix(features, training=True)
        self.classes, self.coef, self.intercept = self._fit(design, targets)
        self.scale = (
            self._fit_scale(design, targets) if self._config["model"] == "svm" else 1.0
        )

    def _fit(self, design: scipy.sparse.csr_matrix, targets: Array) -> tuple[Array, Array, Array]:
        """The configured model fitted on `design`: its classes, coefficients and intercepts,
        one row per class."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.svm import LinearSVC

        common = {
            "C": float(self._config["C"]),
            "class_weight": "balanced" if self._config["balanced"] else None,
            "max_iter": int(self._config["max_iter"]),
            "random_state": int(self._config["random_seed"]),
        }
        model = LinearSVC(**common) if self._config["model"] == "svm" else LogisticRegression(
            **common)
        model.fit(design, targets)
        coef = np.asarray(model.coef_, dtype=np.float64)
        intercept = np.asarray(model.intercept_, dtype=np.float64)
        if coef.shape[0] == 1:
            # Two classes: scikit-learn keeps one row for the second class; the softmax over
            # (-s/2, s/2) gives the same odds as the one score s.
            coef = np.vstack([-coef, coef]) / 2
            intercept = np.concatenate([-intercept, intercept]) / 2
        return np.asarray(model.classes_, dtype=str), coef, intercept

    def _fit_scale(self, design: scipy.sparse.csr_matrix, targets: Array) -> float:
        """The scale whose softmax over held-out SVM margins has the least log loss.

        Margins of examples the SVM was trained on are overconfident, so the scale is fitted
        on an inner cross-validation. It changes no ranking, only how sure the model
        says it is, which the fallback threshold and the safety guard's bar read."""
        from sklearn.model_selection import StratifiedKFold

        counts = np.unique(targets, return_counts=True)[1]
        folds = min(int(self._config["calibration_folds"]), int(counts.min()))
        if folds < 2:
            logger.warning("too few examples per intent to calibrate; the margin scale stays 1")
            return 1.0
        splitter = StratifiedKFold(
            n_splits=folds, shuffle=True, random_state=int(self._config["random_seed"]))
        margins, truth = [], []
        for inner_train, held_out in splitter.split(np.zeros(len(targets)), targets):
            # No more folds than the smallest intent has examples: every class is in every
            # inner training part, so the margins' columns line up.
            classes, coef, intercept = self._fit(design[inner_train], targets[inner_train])
            margins.append(np.asarray(design[held_out] @ coef.T) + intercept)
            truth.append(np.searchsorted(classes, targets[held_out]))
        scores, labels = np.vstack(margins), np.concatenate(truth)
        rows = np.arange(len(labels))

        def log_loss(scale: float) -> float:
            return float(-np.log(softmax(scores * scale)[rows, labels] + 1e-12).mean())

        return float(min(SCALES, key=log_loss))

    # ----------------------------------------------------------------------------------
    # inference

    def predict_proba(self, messages: list[Message]) -> Array:
        """Probability of each intent (columns in `self.classes` order) for each message."""
        return self.predict_features(self._sentence_features(messages))

    def predict_features(self, features: tuple[Any, Any, Any]) -> Array:
        """`predict_proba` from `_sentence_features`' output."""
        if self.coef is None or self.intercept is None:
            raise LinearClassifierConfigError("LinearIntentClassifier is not trained")
        design = self._design_matrix(features)
        return softmax((np.asarray(design @ self.coef.T) + self.intercept) * self.scale)

    def process(self, messages: list[Message]) -> list[Message]:
        """Set the intent and the intent ranking of every message."""
        if self.classes is None or not messages:
            return messages
        probabilities = self.predict_proba(messages)
        length = int(self._config["ranking_length"]) or len(self.classes)
        for message, row in zip(messages, probabilities, strict=True):
            order = np.argsort(-row, kind="stable")
            ranking = [
                {"name": str(self.classes[i]), "confidence": float(row[i])} for i in order
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking[:length], add_to_output=True)
        return messages

    # ----------------------------------------------------------------------------------
    # persistence

    def persist(self) -> None:
        """Write the learnt arrays into the model storage."""
        if self.classes is None or self.coef is None or self.intercept is None:
            return
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(
                directory / WEIGHTS_FILE,
                classes=self.classes,
                coef=self.coef,
                intercept=self.intercept,
                idf=self.idf if self.idf is not None else np.zeros(0),
                scale=np.asarray(self.scale),
                # Empty: one block (sparse_norm joint).
                block_sizes=(self.block_sizes if self.block_sizes is not None
                             else np.zeros(0, dtype=np.int64)),
                # Empty: no nearest-neighbour block.
                memory=self.memory if self.memory is not None else np.zeros((0, 0), np.float16),
                memory_labels=(self.memory_labels if self.memory_labels is not None
                               else np.zeros(0, dtype=np.int64)),
            )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        """Load the trained arrays; an untrained classifier when there are none."""
        try:
            with model_storage.read_from(resource) as directory, np.load(
                directory / WEIGHTS_FILE, allow_pickle=False
            ) as arrays:
                return cls(
                    config,
                    model_storage,
                    resource,
                    classes=arrays["classes"],
                    coef=arrays["coef"],
                    intercept=arrays["intercept"],
                    idf=arrays["idf"],
                    # Models trained before the SVM option have no scale: 1.
                    scale=float(arrays["scale"]) if "scale" in arrays.files else 1.0,
                    # Models trained before per-featurizer blocks: one block.
                    block_sizes=_stored_or_none(arrays, "block_sizes"),
                    # Models trained before the nearest-neighbour block: none.
                    memory=_stored_or_none(arrays, "memory"),
                    memory_labels=_stored_or_none(arrays, "memory_labels"),
                )
        except (ValueError, FileNotFoundError):
            logger.warning("LinearIntentClassifier has no trained weights; it predicts nothing")
            return cls(config, model_storage, resource)
