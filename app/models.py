"""Language models: the recommended catalog, what is installed, which one is active, downloads,
and unloading a model nobody has used for a while.

The catalog is data (assets/models/catalog.json); tests and `--catalog FILE` pass another one.
Recommended models are downloaded into the data directory's `models/` folder; the active model is
the `model_path` setting (a downloaded model is simply a GGUF file there).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from app import downloads, preferences
from app.downloads import DownloadProgress
from app.errors import AppError
from app.paths import Paths
from assets import ASSETS
from memory.llm import default_model_path

if TYPE_CHECKING:
    from app.services import Engram

CATALOG_FILE = ASSETS / "models" / "catalog.json"
DEFAULT = "default"  # `engram models use default`: back to the embedded model


@dataclass(frozen=True)
class CatalogEntry:
    """One recommended model: where it comes from and how to check it."""

    name: str
    title: str
    file: str
    url: str
    size: int
    sha256: str | None  # None: no published digest known, so it is never downloaded
    licence: str
    description: str = ""
    chat_template: str = ""
    suggested: bool = False

    @property
    def verifiable(self) -> bool:
        return bool(self.sha256)


@dataclass(frozen=True)
class Catalog:
    """The recommended models, in the order they are offered."""

    entries: tuple[CatalogEntry, ...]

    @classmethod
    def load(cls, path: Path | None = None) -> Catalog:
        """The catalog in `path` (JSON), else the one shipped with Engram."""
        path = Path(path) if path is not None else CATALOG_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            fields = set(CatalogEntry.__dataclass_fields__)
            entries = tuple(CatalogEntry(**{k: v for k, v in item.items() if k in fields})
                            for item in data["models"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AppError(f"cannot read the model catalog {path}: {exc}") from None
        for entry in entries:
            if Path(entry.file).name != entry.file or not entry.file.endswith(".gguf"):
                raise AppError(f"model catalog {path}: {entry.name} has a bad file name {entry.file!r}")
        return cls(entries)

    def get(self, name: str) -> CatalogEntry:
        for entry in self.entries:
            if entry.name == name:
                return entry
        raise AppError(f"no recommended model is called {name!r}; choose one of "
                       + ", ".join(e.name for e in self.entries))

    def suggested(self) -> CatalogEntry | None:
        return next((e for e in self.entries if e.suggested), self.entries[0] if self.entries else None)


@dataclass(frozen=True)
class InstalledModel:
    """A GGUF file Engram can use now."""

    name: str
    path: Path
    size: int
    source: str  # "embedded" | "downloaded" | "chosen"
    active: bool


@dataclass(frozen=True)
class Recommended:
    entry: CatalogEntry
    installed: bool
    active: bool


@dataclass(frozen=True)
class ModelListing:
    installed: list[InstalledModel] = field(default_factory=list)
    recommended: list[Recommended] = field(default_factory=list)
    active: Path | None = None  # None: unknown (the data is locked) or no model at all


def installed_path(paths: Paths, entry: CatalogEntry) -> Path:
    return paths.models / entry.file


def listing(paths: Paths, catalog: Catalog, active: Path | None, chosen: Path | None = None) -> ModelListing:
    """What `engram models` shows: the embedded default, the user's chosen GGUF, downloaded models
    (recommended or not), and the catalog with what is installed and active."""
    active = _resolved(active)

    def item(name: str, path: Path, source: str) -> InstalledModel:
        return InstalledModel(name, path, path.stat().st_size, source, _resolved(path) == active)

    found: list[InstalledModel] = []
    embedded = default_model_path()
    if embedded is not None:
        found.append(item("default", embedded, "embedded"))
    by_file = {e.file: e for e in catalog.entries}
    if paths.models.is_dir():
        for path in sorted(paths.models.glob("*.gguf")):
            entry = by_file.get(path.name)
            found.append(item(entry.name if entry else path.stem, path, "downloaded"))
    if chosen is not None and chosen.is_file() and all(_resolved(m.path) != _resolved(chosen) for m in found):
        found.append(item(chosen.stem, chosen, "chosen"))
    if active is not None and active.is_file() and all(_resolved(m.path) != active for m in found):
        found.append(item(active.stem, active, "this run"))  # engram --model PATH / $ENGRAM_MODEL
    recommended = []
    for entry in catalog.entries:
        path = installed_path(paths, entry)
        recommended.append(Recommended(entry, path.is_file(), path.is_file() and _resolved(path) == active))
    return ModelListing(found, recommended, active)


def engram_listing(engram: Engram, catalog: Catalog) -> ModelListing:
    return listing(engram.paths, catalog, engram.model_path(), preferences.model_path(engram))


def download_model(paths: Paths, entry: CatalogEntry,
                   progress: Callable[[DownloadProgress], None] | None = None,
                   cancelled: Callable[[], bool] | None = None) -> Path:
    """Download a recommended model (resuming a partial download) and check its SHA-256; returns
    its path. A model already installed is not fetched again."""
    dest = installed_path(paths, entry)
    if dest.is_file():
        return dest
    if not entry.verifiable:
        raise AppError(f"no published SHA-256 is known for {entry.name}, so Engram does not download it; "
                       "download it yourself and choose the file instead")
    paths.ensure()
    paths.models.mkdir(mode=0o700, exist_ok=True)
    return downloads.download(entry.url, dest, sha256=entry.sha256, size=entry.size, progress=progress,
                              cancelled=cancelled)


def resolve_choice(paths: Paths, catalog: Catalog, choice: str) -> Path | None:
    """`default` -> None; a recommended model's name -> its downloaded file; else a GGUF path."""
    if choice == DEFAULT:
        return None
    names = {e.name: e for e in catalog.entries}
    if choice in names:
        path = installed_path(paths, names[choice])
        if not path.is_file():
            raise AppError(f"{choice} is not downloaded yet: run 'engram models download {choice}'")
        return path
    if not Path(choice).expanduser().exists():
        raise AppError(f"{choice!r} is neither 'default', a recommended model ({', '.join(names)}), nor a file")
    return preferences.check_model_file(Path(choice))


def use_model(engram: Engram, catalog: Catalog, choice: str) -> Path | None:
    """Make `choice` (see `resolve_choice`) the active model; returns its path (None: the default)."""
    path = resolve_choice(engram.paths, catalog, choice)
    preferences.set_model_path(engram, path)
    return path


def unload_idle(engram: Engram, now: float | None = None) -> list[str]:
    """Unload the models idle for longer than the user's setting; returns their names."""
    minutes = preferences.idle_unload_minutes(engram)
    return engram.unload_idle(minutes * 60, now) if minutes > 0 else []


def _resolved(path: Path | None) -> Path | None:
    return Path(path).expanduser().resolve() if path is not None else None
