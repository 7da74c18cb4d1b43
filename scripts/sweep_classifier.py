"""Score settings of the linear intent classifier on one fold in seconds each.

`scripts.eval_fold` trains the whole pipeline for every variant (about 5 minutes a fold),
most of it spent on the tokenizer, the spelling repair and the e5 encoder, which a
classifier setting (`C`, `dense_weight`, `sparse_block_weights`, ...) does not change. This
script trains the pipeline once, with `FeatureRecorder` in the classifier's place, which
writes down the sentence features the classifier sees. Each variant is then fitted on those
features with the classifier's own code and scored like `eval_fold` scores a config:

    python -m scripts.sweep_classifier --fold 1 config.yml '{"C": 1.5}' '{"dense_weight": 2}'

The first line, the config as it is, matches `eval_fold` on the same fold; each variant is
the classifier's entry in the config updated with the JSON object. A variant that wins here
still has to win in `make evaluate` before it goes into config.yml.
"""

from __future__ import annotations

import argparse
import json
import pickle  # nosec - only reads back the temporary files this process wrote
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe

from nlu.linear_classifier import LinearClassifierConfigError, LinearIntentClassifier
from scripts.eval_cv import as_understood, training_part, with_threshold
from scripts.eval_fold import held_out_indices, print_scores
from scripts.eval_models import EvaluationError, load_training_data
from scripts.eval_systems import System, fit_predict
from scripts.evaluate import seed_everything
from scripts.metrics import FALLBACK_INTENT, accuracy, macro_f1

CLASSIFIER = "nlu.linear_classifier.LinearIntentClassifier"
TRAINING_FEATURES = "training.pickle"
PARSED_FEATURES = "parsed.pickle"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class FeatureRecorder(LinearIntentClassifier):
    """The linear classifier, also writing the sentence features it is given into the
    directory `record_to`: the training examples' once, every parsed message's in order."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The classifier's default config and the recording directory."""
        return {**LinearIntentClassifier.get_default_config(), "record_to": ""}

    def fit(self, features: tuple[Any, Any, Any], targets: Any, block_sizes: Any) -> None:
        """Record the training examples' features, then fit as usual."""
        with open(Path(self._config["record_to"]) / TRAINING_FEATURES, "wb") as file:
            pickle.dump({"features": features, "targets": targets,
                         "block_sizes": block_sizes}, file)
        super().fit(features, targets, block_sizes)

    def predict_features(self, features: tuple[Any, Any, Any]) -> Any:
        """Record a parsed message's features (appended, one pickle per call), then predict."""
        with open(Path(self._config["record_to"]) / PARSED_FEATURES, "ab") as file:
            pickle.dump(features, file)
        return super().predict_features(features)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.sweep_classifier",
        description="Macro-F1 of linear classifier settings on one fold of make evaluate's "
                    "split, the pipeline's features computed once.",
    )
    parser.add_argument("config", help="Rasa config with a LinearIntentClassifier")
    parser.add_argument("variants", nargs="*",
                        help='JSON objects of classifier settings, e.g. \'{"C": 1.5}\'')
    parser.add_argument("--fold", type=int, default=1, help="fold, 1-based (%(default)s)")
    parser.add_argument("--folds", type=int, default=5, help="folds in the split (%(default)s)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (%(default)s)")
    parser.add_argument("--train", default="data/nlu", help="training NLU data (%(default)s)")
    return parser.parse_args(argv)


def parse_variant(text: str) -> dict[str, Any]:
    """A variant from the command line: a JSON object of classifier settings."""
    try:
        variant = json.loads(text)
    except json.JSONDecodeError as error:
        raise EvaluationError(f"variant {text!r} is not JSON: {error}") from error
    if not isinstance(variant, dict):
        raise EvaluationError(f"variant {text!r} is not a JSON object")
    return variant


def classifier_for(settings: dict[str, Any], variant: dict[str, Any]) -> LinearIntentClassifier:
    """An untrained classifier with the config's settings updated by `variant`."""
    unknown = sorted(set(variant) - set(LinearIntentClassifier.get_default_config()))
    if unknown:
        raise EvaluationError(f"not a setting of the linear classifier: {', '.join(unknown)}")
    try:
        # No model storage: the sweep fits and predicts in memory, nothing is persisted.
        return LinearIntentClassifier({**settings, **variant}, None, None)  # type: ignore[arg-type]
    except LinearClassifierConfigError as error:
        raise EvaluationError(f"variant {json.dumps(variant)}: {error}") from error


def recording_config(config_path: str, record_to: Path) -> tuple[Path, dict[str, Any],
                                                                  dict[str, Any]]:
    """A copy of the config with `FeatureRecorder` in the classifier's place; also the
    classifier's own settings and the FallbackClassifier's."""
    from rasa.shared.utils.io import read_yaml_file, write_yaml

    config = read_yaml_file(config_path)
    pipeline = config.get("pipeline") if isinstance(config, dict) else None
    classifier = next((component for component in pipeline or []
                       if isinstance(component, dict) and component.get("name") == CLASSIFIER),
                      None)
    if classifier is None:
        raise EvaluationError(f"{config_path} has no {CLASSIFIER} in its pipeline")
    settings = {key: value for key, value in classifier.items() if key != "name"}
    fallback = next((component for component in pipeline or []
                     if isinstance(component, dict)
                     and component.get("name") == "FallbackClassifier"), {})
    classifier["name"] = f"{__name__}.{FeatureRecorder.__name__}"
    classifier["record_to"] = str(record_to)
    path = record_to / "config.yml"
    write_yaml(config, path)
    return path, settings, fallback


def read_parsed_features(path: Path) -> tuple[Any, Any, Any]:
    """The recorded features of the parsed messages, stacked in parse order."""
    import scipy.sparse

    calls = []
    with open(path, "rb") as file:
        while True:
            try:
                calls.append(pickle.load(file))  # nosec - written by this process
            except EOFError:
                break

    def stacked(part: int) -> Any:
        rows = [call[part] for call in calls]
        if rows[0] is None:
            return None
        return (scipy.sparse.vstack(rows).tocsr() if scipy.sparse.issparse(rows[0])
                else np.vstack(rows))

    return stacked(0), stacked(1), stacked(2)


def deployed_intents(classes: Any, probabilities: Any, fallback: dict[str, Any]) -> list[str]:
    """The intents the bot acts on: FallbackClassifier's rule (top confidence below
    `threshold`, or the top two closer than `ambiguity_threshold`) applied to the
    classifier's probabilities."""
    threshold = float(fallback.get("threshold", 0.3)) if fallback else 0.0
    ambiguity = float(fallback.get("ambiguity_threshold", 0.1)) if fallback else 0.0
    ranked = -np.sort(-probabilities, axis=1)
    top = [str(classes[i]) for i in np.argmax(probabilities, axis=1)]
    deployed = with_threshold(top, ranked[:, 0].tolist(), threshold)
    if ranked.shape[1] > 1:
        ambiguous = ranked[:, 0] - ranked[:, 1] < ambiguity
        deployed = [FALLBACK_INTENT if unsure else intent
                    for intent, unsure in zip(deployed, ambiguous, strict=True)]
    return deployed


def sweep(args: argparse.Namespace) -> Iterator[tuple[str, float, float]]:
    """Train the pipeline once on the fold's training part; yield (variant, macro-F1,
    accuracy) for the config as it is and then for each variant."""
    examples, vocabulary = load_training_data(args.train)
    labels = [example.intent for example in examples]
    held_out = held_out_indices(labels, args.fold, args)
    truth = [labels[i] for i in held_out]
    with tempfile.TemporaryDirectory(prefix="broekzak-sweep-") as tmp:
        config, settings, fallback = recording_config(args.config, Path(tmp))
        # Every variant checked before the minutes of training.
        classifiers = [(json.dumps(variant), classifier_for(settings, variant))
                       for variant in map(parse_variant, args.variants)]
        seed_everything(args.seed)
        result = fit_predict(System(args.config, str(config)), training_part(examples, held_out),
                             [examples[i].text for i in held_out], args.seed, vocabulary)
        predicted = as_understood(result.deployed)
        yield "as configured", macro_f1(truth, predicted), accuracy(truth, predicted)
        with open(Path(tmp) / TRAINING_FEATURES, "rb") as file:
            recorded = pickle.load(file)  # nosec - written by this process
        parsed = read_parsed_features(Path(tmp) / PARSED_FEATURES)
    for name, classifier in classifiers:
        classifier.fit(recorded["features"], recorded["targets"], recorded["block_sizes"])
        predicted = as_understood(deployed_intents(
            classifier.classes, classifier.predict_features(parsed), fallback))
        yield name, macro_f1(truth, predicted), accuracy(truth, predicted)


def main(argv: Sequence[str] | None = None) -> int:
    """Print one line per variant."""
    args = parse_args(argv)
    return print_scores(lambda: ((name, args.fold, f1, share_right)
                                 for name, f1, share_right in sweep(args)))


if __name__ == "__main__":
    sys.exit(main())
