"""The trained models on disk: which there are, and which file a name may point at.

`make train` writes models/current.tar.gz and first keeps the one it replaces in
models/archive/, so an admin can go back to it (docs/retraining.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

SUFFIX = ".tar.gz"


class UnknownModel(ValueError):
    """The name is not a model file in the model folder."""


@dataclass(frozen=True)
class ModelFile:
    """One packed Rasa model."""

    name: str  # relative to the model folder, e.g. "archive/model-20261205-2210.tar.gz"
    path: Path
    size_mb: float
    trained_at: datetime


class ModelFiles:
    """The model folder and its archive."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder.resolve()

    def all(self) -> list[ModelFile]:
        """Every model in the folder and its archive/, newest first."""
        found = [*self._folder.glob("*" + SUFFIX), *self._folder.glob("archive/*" + SUFFIX)]
        files = [self._describe(path) for path in found if path.is_file()]
        return sorted(files, key=lambda f: f.trained_at, reverse=True)

    def find(self, name: str) -> ModelFile:
        """The model a name from all() points at; UnknownModel for anything else (another
        folder, a file that is not a model)."""
        path = (self._folder / name).resolve()
        if (not name.endswith(SUFFIX) or not path.is_file()
                or path.parent not in (self._folder, self._folder / "archive")):
            raise UnknownModel(f"no model '{name}' in the model folder")
        return self._describe(path)

    def name_of(self, reported: str | None,
                models: list[ModelFile] | None = None) -> str | None:
        """Our name of the model Rasa says it runs. Rasa reports only the file's name, so
        this matches on that: the folder's current.tar.gz before an archived namesake (the
        archive's names carry when they were trained, so they do not repeat)."""
        if not reported:
            return None
        base = Path(reported).name
        # `models`: all() when the caller has just listed them (one folder scan, not two).
        matches = sorted((m.name for m in (models if models is not None else self.all())
                          if m.path.name == base),
                         key=lambda name: name.count("/"))
        return matches[0] if matches else None

    def _describe(self, path: Path) -> ModelFile:
        stat = path.stat()
        return ModelFile(str(path.relative_to(self._folder)), path,
                         round(stat.st_size / 1_000_000, 1),
                         datetime.fromtimestamp(stat.st_mtime, timezone.utc))
