"""broekzak's linear intent classifier (nlu/linear_classifier.py): its config checks, its two
models on clustered dense features, and its per-featurizer normalisation of sparse blocks.
The classifier inside the real pipeline is tested in tests/test_nlu_components.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.linear_classifier import Array, LinearClassifierConfigError, LinearIntentClassifier


@pytest.mark.parametrize("change", [
    {"model": "tree"}, {"calibration_folds": 1}, {"C": 0}, {"dense_weight": -1},
    {"lexicon_weight": -0.5}, {"lexicon_featurizers": "lexicon"}, {"sparse_norm": "none"},
    {"sparse_block_weights": 2}, {"sparse_block_weights": [1, -1]},
    {"sparse_norm": "joint", "sparse_block_weights": [2, 1]},
    {"neighbour_weight": -1}, {"neighbour_k": 0},
])
def test_the_linear_classifier_rejects_a_bad_config(change: dict[str, object]) -> None:
    with pytest.raises(LinearClassifierConfigError):
        LinearIntentClassifier(change, None, None)  # type: ignore[arg-type]


def test_the_linear_classifier_needs_sentence_features() -> None:
    classifier = LinearIntentClassifier({}, None, None,  # type: ignore[arg-type]
                                        classes=np.array(["a", "b"]), coef=np.zeros((2, 3)),
                                        intercept=np.zeros(2), idf=np.zeros(0))
    with pytest.raises(LinearClassifierConfigError):
        classifier.process([Message.build(text="hoi")])


# ------------------------------------------------------------------------------------------
# the classifier's two linear models, trained directly on dense features


def clustered_messages(classes: int, per_class: int, spread: float) -> list[Message]:
    """Messages whose only feature is a noisy 8-dimensional point around their intent's
    centre: `spread` sets how often intents overlap."""
    random = np.random.default_rng(7)
    centres = random.normal(size=(classes, 8))
    messages = []
    for label in range(classes):
        for _ in range(per_class):
            point = centres[label] + random.normal(scale=spread, size=8)
            message = Message(data={TEXT: f"tekst {label}", INTENT: f"intent_{label}"})
            message.add_features(Features(point.reshape(1, -1), FEATURE_TYPE_SENTENCE, TEXT,
                                          "dense"))
            messages.append(message)
    return messages


def train_classifier(tmp_path: Path, config: dict[str, object],
                     messages: list[Message]
                     ) -> tuple[LinearIntentClassifier, LocalModelStorage, Resource]:
    """A LinearIntentClassifier trained on `messages`, its storage and its resource."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    storage = LocalModelStorage(tmp_path)
    resource = Resource("classifier")
    classifier = LinearIntentClassifier(config, storage, resource)
    classifier.train(TrainingData(training_examples=messages))
    return classifier, storage, resource


@pytest.mark.parametrize("classes", [2, 4])
def test_the_svm_ranks_like_its_margins_and_reports_a_probability_distribution(
    tmp_path: Path, classes: int
) -> None:
    messages = clustered_messages(classes, 30, spread=1.0)
    classifier, _, _ = train_classifier(tmp_path, {"model": "svm", "C": 1.0}, messages)
    probabilities = classifier.predict_proba(messages)
    assert probabilities.shape == (len(messages), classes)
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    predicted = classifier.classes[probabilities.argmax(axis=1)]  # type: ignore[index]
    truth = np.array([m.get("intent") for m in messages])
    assert (predicted == truth).mean() > 0.8


def test_the_svm_margin_scale_is_fitted_on_held_out_margins_and_survives_loading(
    tmp_path: Path,
) -> None:
    config: dict[str, object] = {"model": "svm", "C": 1.0}
    # Overlapping intents need a different scale from well-separated ones: the scale
    # follows the data rather than a constant.
    overlapping, _, _ = train_classifier(tmp_path / "a", config,
                                         clustered_messages(4, 30, spread=2.5))
    separated, storage, resource = train_classifier(tmp_path / "b", config,
                                                    clustered_messages(4, 30, spread=0.3))
    assert overlapping.scale != separated.scale
    loaded = LinearIntentClassifier.load(
        config, storage, resource, ExecutionContext(GraphSchema({}), "test"))
    assert loaded.scale == separated.scale
    messages = clustered_messages(4, 5, spread=0.3)
    assert np.allclose(loaded.predict_proba(messages),
                       separated.predict_proba(messages))


def test_logistic_regression_keeps_its_scores_unscaled(tmp_path: Path) -> None:
    classifier, _, _ = train_classifier(tmp_path, {"model": "logistic"},
                                        clustered_messages(3, 20, spread=1.0))
    assert classifier.scale == 1.0


# ------------------------------------------------------------------------------------------
# sparse featurizers' blocks


def two_block_messages() -> list[Message]:
    """Messages with a narrow sparse block ("words": one of 3 columns, which tells the
    intent) and a wide one ("chars": 30 of 60 columns at random, noise)."""
    random = np.random.default_rng(3)
    messages = []
    for index in range(40):
        label = index % 2
        words = np.zeros((1, 3))
        words[0, label] = 1.0
        chars = np.zeros((1, 60))
        chars[0, random.choice(60, size=30, replace=False)] = 1.0
        message = Message(data={TEXT: f"tekst {index}", INTENT: f"intent_{label}"})
        for origin, row in (("words", words), ("chars", chars)):
            message.add_features(Features(scipy.sparse.coo_matrix(row), FEATURE_TYPE_SENTENCE,
                                          TEXT, origin))
        messages.append(message)
    return messages


def block_norms(classifier: LinearIntentClassifier, messages: list[Message]) -> Array:
    """Per message, the L2 norm of the design matrix's word columns and char columns."""
    design = classifier._design_matrix(classifier._sentence_features(messages)).toarray()
    return np.stack([np.linalg.norm(design[:, :3], axis=1),
                     np.linalg.norm(design[:, 3:], axis=1)], axis=1)


def test_each_sparse_featurizer_is_normalised_on_its_own(tmp_path: Path) -> None:
    messages = two_block_messages()
    per_block, _, _ = train_classifier(tmp_path / "a", {"model": "svm"}, messages)
    joint, _, _ = train_classifier(tmp_path / "b", {"model": "svm", "sparse_norm": "joint"},
                                   messages)
    assert per_block.block_sizes is not None
    assert per_block.block_sizes.tolist() == [3, 60]
    assert joint.block_sizes is None
    # Per featurizer, the one word counts as much as the thirty chars together...
    assert np.allclose(block_norms(per_block, messages), np.sqrt(0.5))
    # ...jointly the chars outweigh it (about 1 against 5.5 here).
    words, chars = block_norms(joint, messages).T
    assert (chars > 3 * words).all()
    assert np.allclose(words**2 + chars**2, 1.0)


def test_a_block_weight_sets_the_blocks_share_of_the_norm(tmp_path: Path) -> None:
    messages = two_block_messages()
    weighted, _, _ = train_classifier(
        tmp_path, {"model": "svm", "sparse_block_weights": [2, 1]}, messages)
    words, chars = block_norms(weighted, messages).T
    # Each block normalised, then the words doubled, then both together: 2/√5 against 1/√5.
    assert np.allclose(words, 2 / np.sqrt(5))
    assert np.allclose(chars, 1 / np.sqrt(5))


def test_block_weights_must_match_the_sparse_featurizers(tmp_path: Path) -> None:
    with pytest.raises(LinearClassifierConfigError, match="one per CountVectorsFeaturizer"):
        train_classifier(tmp_path, {"model": "svm", "sparse_block_weights": [1, 1, 1]},
                         two_block_messages())


def test_the_sparse_blocks_survive_loading_and_a_changed_pipeline_is_refused(
    tmp_path: Path,
) -> None:
    messages = two_block_messages()
    trained, storage, resource = train_classifier(tmp_path, {"model": "svm"}, messages)
    loaded = LinearIntentClassifier.load(
        {"model": "svm"}, storage, resource, ExecutionContext(GraphSchema({}), "test"))
    assert loaded.block_sizes is not None
    assert loaded.block_sizes.tolist() == [3, 60]
    assert np.allclose(loaded.predict_proba(messages), trained.predict_proba(messages))
    narrower = Message(data={TEXT: "tekst"})
    for origin, width in (("words", 3), ("chars", 59)):
        narrower.add_features(Features(scipy.sparse.coo_matrix(np.ones((1, width))),
                                       FEATURE_TYPE_SENTENCE, TEXT, origin))
    with pytest.raises(LinearClassifierConfigError, match="retrain"):
        loaded.predict_proba([narrower])


# ------------------------------------------------------------------------------------------
# the nearest-neighbour block


def island_messages(per_island: int, seed: int) -> list[Message]:
    """Two intents, each two islands at opposite corners (an XOR in 8 dimensions): no flat
    boundary separates them, nearness to an intent's examples does."""
    random = np.random.default_rng(seed)
    corners = {"intent_a": [(1, 1), (-1, -1)], "intent_b": [(1, -1), (-1, 1)]}
    messages = []
    for intent, islands in corners.items():
        for x, y in islands:
            for _ in range(per_island):
                point = np.concatenate([[4 * x, 4 * y], np.zeros(6)])
                point += random.normal(scale=0.5, size=8)
                message = Message(data={TEXT: "tekst", INTENT: intent})
                message.add_features(Features(point.reshape(1, -1), FEATURE_TYPE_SENTENCE,
                                              TEXT, "dense"))
                messages.append(message)
    return messages


def accuracy_on(classifier: LinearIntentClassifier, messages: list[Message]) -> float:
    assert classifier.classes is not None
    predicted = classifier.classes[np.argmax(classifier.predict_proba(messages), axis=1)]
    return float(np.mean(predicted == [m.get(INTENT) for m in messages]))


def test_the_neighbour_block_separates_intents_that_no_flat_boundary_does(
    tmp_path: Path,
) -> None:
    train, unseen = island_messages(20, seed=1), island_messages(10, seed=2)
    config: dict[str, object] = {"model": "svm", "dense_weight": 1.0}
    flat, _, _ = train_classifier(tmp_path / "a", config, train)
    near, _, _ = train_classifier(tmp_path / "b", {**config, "neighbour_weight": 2.0}, train)
    assert flat.memory is None
    assert accuracy_on(flat, unseen) < 0.75
    assert accuracy_on(near, unseen) > 0.95


def test_training_examples_do_not_count_themselves_as_neighbours(tmp_path: Path) -> None:
    messages = island_messages(5, seed=3)
    classifier, _, _ = train_classifier(
        tmp_path, {"model": "svm", "neighbour_weight": 1.0, "neighbour_k": 1}, messages)
    features = classifier._sentence_features(messages)
    assert classifier.classes is not None
    width = len(classifier.classes)
    as_parsed = classifier._design_matrix(features).toarray()[:, -width:]
    as_trained = classifier._design_matrix(features, training=True).toarray()[:, -width:]
    own = np.searchsorted(classifier.classes, [m.get(INTENT) for m in messages])
    rows = np.arange(len(messages))
    # Parsed, a training example finds itself (cosine 1, up to the float16 memory)...
    assert as_parsed[rows, own] == pytest.approx(1.0, abs=2e-3)
    # ...in training, its nearest is another example of its island.
    assert (as_trained[rows, own] < 0.999).all()


def test_the_neighbour_memory_survives_loading_and_needs_dense_features(
    tmp_path: Path,
) -> None:
    messages = island_messages(10, seed=4)
    config: dict[str, object] = {"model": "svm", "neighbour_weight": 2.0}
    trained, storage, resource = train_classifier(tmp_path, config, messages)
    assert trained.memory is not None and trained.memory.dtype == np.float16
    assert trained.memory.shape == (40, 8)
    loaded = LinearIntentClassifier.load(
        config, storage, resource, ExecutionContext(GraphSchema({}), "test"))
    assert loaded.memory is not None and loaded.memory_labels is not None
    assert loaded.memory_labels.tolist() == trained.memory_labels.tolist()  # type: ignore[union-attr]
    assert np.allclose(loaded.predict_proba(messages), trained.predict_proba(messages))
    sparse_only = Message(data={TEXT: "tekst"})
    sparse_only.add_features(Features(scipy.sparse.coo_matrix(np.ones((1, 3))),
                                      FEATURE_TYPE_SENTENCE, TEXT, "words"))
    with pytest.raises(LinearClassifierConfigError, match="retrain"):
        loaded.predict_proba([sparse_only])
