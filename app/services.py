"""The services both front ends (CLI and window) use: one unlocked data directory at a time."""

from __future__ import annotations

import contextlib
import errno
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from app import keycache
from app.errors import AppError
from app.importer import parse_jsonl
from app.paths import Paths
from memory import (
    MEMORY_CLASSES,
    Answer,
    CoreBlock,
    EpisodicEvent,
    ForgetReport,
    FrameStore,
    HistoryEntry,
    KdfParams,
    Memory,
    MemoryStore,
    MemoryType,
    Observation,
    ProceduralEntry,
    ResourceItem,
    SearchHit,
    SemanticFact,
    StoreError,
    VaultEntry,
    clamped_time,
    create_key_file,
    rewrap_key_file,
    unlock_key_file,
)
from memory.answer import answer
from memory.embed import Embedder, MiniLMEmbedder, MultilingualEmbedder
from memory.errors import ModelError
from memory.llm import FakeModel, LanguageModel, LlamaModel
from memory.managers import (
    BATCH_MAX_OBSERVATIONS,
    FAILED,
    MAX_ATTEMPTS,
    MemoryManagers,
    ProcessReport,
    make_batches,
)
from memory.retrieval import MIN_COSINE, Filters, Retriever
from memory.store import clean_text
from memory.vectors import ChromaIndex
from memory.vision import Captioner, FakeCaptioner, LlamaCaptioner

# Typed values the front ends use; `ui/` imports them from here, never from `memory`.
__all__ = [
    "MEMORY_CLASSES", "Answer", "CoreBlock", "Engram", "EpisodicEvent", "FakeCaptioner", "FakeModel", "ForgetReport",
    "HistoryEntry", "ProcessReport",
    "ImportReport", "Memory", "MemoryType", "Observation", "ProceduralEntry", "ProcessingElsewhere", "ResourceItem",
    "SearchHit", "SemanticFact", "Status", "VaultEntry", "change_passphrase", "locked_status",
]


@dataclass(frozen=True)
class Status:
    """What `engram status` reports."""

    data_dir: Path
    initialized: bool
    unlocked: bool
    observations: int = 0
    pending_observations: int = 0
    memories: dict[str, int] = field(default_factory=dict)
    bytes_on_disk: int = 0
    schema_version: int = 0
    extra: dict[str, object] = field(default_factory=dict)


# Databases up to this size are checked page by page at every unlock (quick_check reads about 40 MB/s
# here: 4 MiB cost ~0.1 s), up to the second one before every import; all after an unclean shutdown.
QUICK_CHECK_BYTES = 4 * 1024 * 1024
IMPORT_CHECK_BYTES = 64 * 1024 * 1024
PROCESS_LOCK = "process.lock"  # in the data directory: held while memories are made
STATUS_BATCH_SCAN = 5000  # above this many pending observations, status estimates the batches


@dataclass(frozen=True)
class ImportReport:
    file: Path
    imported: int
    skipped: int  # already present (same source id)


def locked_status(paths: Paths) -> Status:
    return Status(data_dir=paths.root, initialized=paths.is_initialized(), unlocked=False,
                  bytes_on_disk=paths.size_bytes())


def change_passphrase(paths: Paths, old: str, new: str) -> None:
    """Re-wrap the data key under `new`; the data itself is not re-encrypted."""
    _check_initialized(paths)
    try:
        rewrap_key_file(paths.key_file, old, new)
    except StoreError as exc:
        raise AppError(str(exc)) from None
    keycache.clear(paths)


class ProcessingElsewhere(AppError):
    """Another process is turning this directory's observations into memories right now."""


@contextlib.contextmanager
def processing_lock(paths: Paths) -> Iterator[None]:
    """Hold the data directory's processing lock (an OS file lock: it is released when the
    process ends, however it ends), or raise ProcessingElsewhere at once if another process holds it.
    Without it two processes would both read the same pending batches and make each memory twice."""
    lock = paths.root / PROCESS_LOCK
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise AppError(f"cannot make memories: {lock} cannot be opened ({exc.strerror})") from None
    try:
        if not _try_lock(fd):
            try:
                os.lseek(fd, 0, os.SEEK_SET)
                holder = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
            except OSError:  # Windows: the holder's locked byte cannot be read
                holder = "?"
            raise ProcessingElsewhere(f"another Engram process (pid {holder}) is making memories from this data "
                                      "right now; nothing was done (try again when it has finished)")
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, str(os.getpid()).encode("ascii"))
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _try_lock(fd: int) -> bool:
    if os.name == "nt":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _check_initialized(paths: Paths) -> None:
    if not paths.is_initialized():
        raise AppError(f"no Engram data in {paths.root}; run 'engram init' first")


class Engram:
    """An unlocked data directory: the store and everything built over it."""

    def __init__(self, paths: Paths, store: MemoryStore, key: bytes) -> None:
        self.paths = paths
        self.store = store
        self._key = key
        self._model: LanguageModel | None = None
        self._captioner: Captioner | None = None
        self._embedder: Embedder | None = None
        self._retriever: Retriever | None = None
        # The search layers are made once, whichever thread asks first: search runs on the
        # window's reader while the worker prepares the index or makes memories.
        self._search_lock = threading.Lock()
        self._checked = False  # quick_check done since unlock

    # -- models ----------------------------------------------------------------------------------
    def model_path(self) -> Path | None:
        """The GGUF the language model loads (see `model_choice`); None if there is none."""
        return self.model_choice().path

    def model_choice(self):
        """The language model and why: $ENGRAM_MODEL (`engram --model PATH`) for this run, else the
        user's choice in settings, else the tier rule (`app.models.default_choice`). An
        `app.models.ModelChoice`."""
        from app import models  # app.models reads preferences, which need this module

        if os.environ.get("ENGRAM_MODEL"):
            return models.ModelChoice(Path(os.environ["ENGRAM_MODEL"]), "chosen for this run (--model)")
        if self.store.setting("model_path"):
            return models.ModelChoice(Path(self.store.setting("model_path")), "your choice")
        return models.default_choice(self.paths, models.Catalog.load())

    @property
    def model(self) -> LanguageModel:
        """The language model: the user's GGUF from settings, else the embedded default (lazy)."""
        if self._model is None:
            path = self.model_path()
            if path is None:
                raise AppError("no language model: run 'engram models install' or choose a GGUF file")
            self._model = LlamaModel(path)
        return self._model

    def set_model(self, model: LanguageModel | None) -> None:
        """Replace the language model (a user's GGUF, or a fake in tests); None: back to settings."""
        self._model = model

    def use_model_file(self, path: Path | None) -> None:
        """Remember a GGUF file as the model (None: the embedded default)."""
        if path is not None and not Path(path).is_file():
            raise AppError(f"model file {path} does not exist")
        self.store.set_setting("model_path", str(path) if path else None)
        self._drop_model()

    def _drop_model(self) -> None:
        old, self._model = self._model, None
        if isinstance(old, LlamaModel):
            old.unload()

    @property
    def captioner(self) -> Captioner | None:
        """The vision model that captions frames, if the user configured one (lazy); else None."""
        if self._captioner is None:
            model, mmproj = self.store.setting("vision_model_path"), self.store.setting("vision_mmproj_path")
            if not (model and mmproj):
                return None
            try:
                self._captioner = LlamaCaptioner(Path(model), Path(mmproj),
                                                 handler=self.store.setting("vision_chat_handler") or "auto")
            except ModelError as exc:
                raise AppError(str(exc)) from None
        return self._captioner

    def set_captioner(self, captioner: Captioner | None) -> None:
        """Replace the captioner (a fake in tests); None: back to settings."""
        self._captioner = captioner

    def use_vision_files(self, model: Path | None, mmproj: Path | None = None, handler: str = "auto") -> None:
        """Remember a vision GGUF and its projector to caption frames (None: no captions)."""
        if model is not None:
            for path in (model, mmproj):
                if path is None or not Path(path).is_file():
                    raise AppError(f"vision model file {path} does not exist")
            LlamaCaptioner(Path(model), Path(mmproj), handler=handler)  # checks the handler name
        self.store.set_setting("vision_model_path", str(model) if model else None)
        self.store.set_setting("vision_mmproj_path", str(mmproj) if model else None)
        self.store.set_setting("vision_chat_handler", handler if model else None)
        old, self._captioner = self._captioner, None
        if isinstance(old, LlamaCaptioner):
            old.unload()

    def unload_idle(self, idle_seconds: float, now: float | None = None) -> list[str]:
        """Unload every loaded model unused for `idle_seconds` (a `time.monotonic()` clock); returns
        their names. The next call that needs one loads it again."""
        now = time.monotonic() if now is None else now
        unloaded = []
        for model in (self._model, self._captioner):
            if getattr(model, "loaded", False) and now - model.last_used >= idle_seconds:
                model.unload()
                unloaded.append(model.name)
        return unloaded

    @property
    def embedder(self) -> Embedder:
        with self._search_lock:
            if self._embedder is None:
                self._embedder = MiniLMEmbedder()
            return self._embedder

    @property
    def retriever(self) -> Retriever:
        embedder = self.embedder
        with self._search_lock:
            if self._retriever is not None:
                return self._retriever
            # Exact search by default: at 200k vectors it answers as fast as Chroma's HNSW here (9.7 vs
            # 10.8 ms) and loads at unlock in 4.9 s instead of 94 s (bench/retrieval.py). Chroma is
            # the opt-in for larger stores: settings `vector_index` = "chroma".
            index = ChromaIndex(embedder.dim) if self.store.setting("vector_index", "exact") == "chroma" \
                else None
            # The multilingual model loads only once some text needs it (memory.embed).
            self._retriever = Retriever(self.store, embedder, index, multilingual=MultilingualEmbedder())
            return self._retriever

    def prepare_index(self) -> int:
        """Embed what is new and (re)build the in-memory vector index; returns vectors added."""
        return self.retriever.sync_index()

    def process_pending(self, progress: Callable[[int, int], None] | None = None,
                        max_batches: int | None = None) -> ProcessReport:
        """Run the memory managers over every pending observation (or the first `max_batches`
        batches, then retries of failed ones). One process at a time per data directory (the
        window's worker, a terminal): ProcessingElsewhere if another one is at it."""
        with processing_lock(self.paths):
            managers = MemoryManagers(self.store, self.model, self.embedder,
                                      allow_secrets_in_vault=bool(self.store.setting("vault_secrets", False)))
            try:
                return managers.process_pending(progress, max_batches)
            except ModelError as exc:
                raise AppError(str(exc)) from None

    def search(self, query: str, k: int = 10, *, kinds: list[MemoryType] | list[str] | None = None,
               app: str | None = None, since: datetime | None = None, until: datetime | None = None,
               now: datetime | None = None, min_cosine: float = MIN_COSINE) -> list[SearchHit]:
        """Hybrid search over the raw log and the six memory types (memory.retrieval.Retriever.search)."""
        names = tuple(k_.value if isinstance(k_, MemoryType) else k_ for k_ in kinds) if kinds else None
        # Bounds as aware times (a naive one is local time) within what the store keeps: comparing
        # naive and aware times, or showing year 9999 east of UTC, would fail further in.
        since, until = (None if t is None else clamped_time(t) for t in (since, until))
        filters = Filters(kinds=names, app=None if app is None else clean_text(app), since=since, until=until)
        return self.retriever.search(clean_text(query), k, filters, now=now or datetime.now().astimezone(),
                                     min_cosine=min_cosine)

    def ask(self, question: str, on_token: Callable[[str], None] | None = None, k: int = 8,
            now: datetime | None = None) -> Answer:
        """Answer a question about the user's history, streaming, with citations; time phrases in
        the question are read at `now` (default: the present)."""
        question = clean_text(question)
        now = now or datetime.now().astimezone()
        hits = self.search(question, k, now=now)
        try:
            return answer(question, hits, self.store, self.model, on_token, now=now)
        except ModelError as exc:
            raise AppError(str(exc)) from None

    # -- lifecycle -----------------------------------------------------------------------------
    @classmethod
    def create(cls, paths: Paths, passphrase: str, kdf: KdfParams | None = None) -> Engram:
        """Make a new data directory: key file and encrypted database."""
        if paths.is_initialized():
            raise AppError(f"{paths.root} already holds Engram data; nothing was changed")
        if not passphrase:
            raise AppError("the passphrase must not be empty")
        try:
            paths.ensure()
            key = create_key_file(paths.key_file, passphrase, kdf)
            store = MemoryStore.create(paths.database, key)
        except (StoreError, OSError) as exc:
            # Half a setup (a key without its database) would read as lost data next time: none is left.
            db = paths.database
            for file in (paths.key_file, db, *(db.with_name(db.name + end) for end in ("-wal", "-shm"))):
                with contextlib.suppress(OSError):
                    file.unlink(missing_ok=True)
            if isinstance(exc, StoreError):
                raise AppError(str(exc)) from None
            why = "the disk is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else \
                "it is read-only" if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM) else exc.strerror
            raise AppError(f"cannot set up Engram in {paths.root}: {why}; nothing was created") from None
        return cls(paths, store, key)

    @classmethod
    def unlock(cls, paths: Paths, passphrase: str | None = None, *, use_keyring: bool = True) -> Engram:
        """Open the data directory with the passphrase (or the key cached in the keyring)."""
        _check_initialized(paths)
        key = cls._data_key(paths, passphrase, use_keyring)
        try:
            # A small file is checked page by page at every unlock (it costs little); a larger one
            # after an unclean shutdown (the store knows) and before imports (check_before_writing).
            store = MemoryStore.open(paths.database, key, check=_size(paths.database) <= QUICK_CHECK_BYTES)
        except StoreError as exc:
            raise AppError(str(exc)) from None
        with contextlib.suppress(OSError):  # a read-only folder can still be read
            paths.ensure()
        return cls(paths, store, key)

    @staticmethod
    def _data_key(paths: Paths, passphrase: str | None, use_keyring: bool = True) -> bytes:
        key = keycache.load(paths) if use_keyring and passphrase is None else None
        if key is None:
            if passphrase is None:
                raise AppError("Engram is locked: a passphrase is needed")
            try:
                key = unlock_key_file(paths.key_file, passphrase)
            except StoreError as exc:
                raise AppError(str(exc)) from None
        return key

    @classmethod
    def unlock_to_restore(cls, paths: Paths, passphrase: str | None = None, *, use_keyring: bool = True) -> Engram:
        """Unlock to restore an archive into. Where the database is lost (missing, or empty, beside a
        key file that opens) a new one is made under the same key; what was left of the old one is
        kept aside as `engram.db.lost-TIME` (with its -wal, -shm). Otherwise the same as `unlock`."""
        _check_initialized(paths)
        db = paths.database
        if not (paths.key_file.exists() and (not db.exists() or db.stat().st_size == 0)):
            return cls.unlock(paths, passphrase, use_keyring=use_keyring)
        key = cls._data_key(paths, passphrase, use_keyring)
        aside = db.with_name(f"{db.name}.lost-{datetime.now():%Y%m%dT%H%M%S}")
        try:
            for end in ("", "-wal", "-shm"):
                old = db.with_name(db.name + end)
                if old.exists():
                    os.replace(old, aside.with_name(aside.name + end))
            store = MemoryStore.create(db, key)
        except OSError as exc:
            raise AppError(f"cannot make a new database in {paths.root}: {exc.strerror or exc}") from None
        except StoreError as exc:
            raise AppError(str(exc)) from None
        return cls(paths, store, key)

    def close(self) -> None:
        for model in (self._model, self._captioner):  # free llama.cpp before the interpreter shuts down
            if isinstance(model, (LlamaModel, LlamaCaptioner)):
                model.unload()
        self.store.close()

    def __enter__(self) -> Engram:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def data_key(self) -> bytes:
        return self._key

    def remember_key(self, enabled: bool) -> bool:
        """Cache (or stop caching) the data key in the OS keyring; False if there is none."""
        self.store.set_setting("keyring_cache", enabled)
        if not enabled:
            keycache.clear(self.paths)
            return True
        return keycache.store(self.paths, self._key)

    # -- queries -------------------------------------------------------------------------------
    def status(self) -> Status:
        from app.daemon import capture_status_lines  # here: capture loads numpy, which most commands skip
        from app.frames import frame_retention

        counts = self.store.counts()
        return Status(
            data_dir=self.paths.root,
            initialized=True,
            unlocked=True,
            observations=counts.observations,
            pending_observations=counts.pending_observations,
            memories={k.value: n for k, n in counts.memories.items()},
            bytes_on_disk=self.paths.size_bytes(),
            schema_version=self.store.schema_version(),
            extra={**self._store_lines(), "model": self._model_line(),
                   "memory": self._memory_line(counts.pending_observations), **capture_status_lines(self),
                   "frames": frame_retention(self).line()},
        )

    def _model_line(self) -> str:
        """The language model in use and why (the tier rule, the user's choice, --model)."""
        choice = self.model_choice()
        return f"{choice.path.name if choice.path else 'none'}: {choice.reason}"

    def _store_lines(self) -> dict[str, str]:
        """What is wrong with the database file, if anything: damaged, or read-only here."""
        if self.store.damage is not None:
            return {"database": f"DAMAGED: {self.store.damage}"}
        if self.store.read_only:
            return {"database": str(self.store.unwritable)}
        return {}

    def _memory_line(self, pending: int) -> str:
        """The memory worker's progress: what waits, and when it last finished a batch."""
        figures = self.store.batch_figures()
        last = self.store.last_batch_time()
        if pending <= STATUS_BATCH_SCAN:
            waiting = len(make_batches(self.store.observations(pending=True)))
        else:
            waiting = -(-pending // BATCH_MAX_OBSERVATIONS)  # at least this many
        line = (f"{pending} observation{'s' if pending != 1 else ''} waiting "
                f"({waiting} batch{'es' if waiting != 1 else ''})" if pending else "up to date")
        line += f"; {figures.get('done', 0)} batches done"
        states = self.store.processing_counts()  # counted, not loaded: status is read every few seconds
        retry = sum(states.get(FAILED + n, 0) for n in range(MAX_ATTEMPTS - 1))
        given_up = states.get(FAILED + MAX_ATTEMPTS - 1, 0)
        if retry:
            line += f"; {retry} observation{'s' if retry != 1 else ''} to retry (model pass failed)"
        if given_up:
            line += f"; {given_up} kept in the raw log only after {MAX_ATTEMPTS} failed passes"
        if last is not None:
            line += f"; last batch {last.astimezone():%Y-%m-%d %H:%M}"
        return line

    def observations(self, *, since: datetime | None = None, until: datetime | None = None,
                     app: str | None = None, limit: int | None = None) -> list[Observation]:
        return self.store.observations(since=since, until=until, app=None if app is None else clean_text(app),
                                       limit=limit)

    def memories(self, kind: MemoryType | None = None, limit: int | None = None) -> list[Memory]:
        return self.store.memories(kind, limit=limit)

    # -- changes -------------------------------------------------------------------------------
    def import_jsonl(self, path: Path) -> ImportReport:
        """Import a JSON-lines file; a bad line stores nothing of the file."""
        items = parse_jsonl(path)
        self.check_before_writing()
        try:
            ids = self.store.add_observations(items)
        except StoreError as exc:
            raise AppError(str(exc)) from None
        imported = sum(1 for i in ids if i is not None)
        return ImportReport(file=path, imported=imported, skipped=len(ids) - imported)

    def check_before_writing(self) -> None:
        """Read every page of the database (quick_check, up to IMPORT_CHECK_BYTES) before a bulk
        write; AppError if it is damaged, so nothing is written into a damaged file."""
        if self.store.damage is None and not self.store.read_only and not self._checked \
                and _size(self.paths.database) <= IMPORT_CHECK_BYTES:
            self.store.quick_check()
            self._checked = True
        if self.store.damage is not None:
            raise AppError(str(self.store.damage))

    def forget(self, *, memory_id: str | None = None, app: str | None = None,
               since: datetime | None = None, until: datetime | None = None) -> ForgetReport:
        """Erase from every layer: raw log, frames, memories, history, indexes."""
        try:
            report = self.store.forget(memory_id=memory_id, app=app, since=since, until=until)
        except StoreError as exc:
            raise AppError(str(exc)) from None
        if self._retriever is not None:
            # A line whose context was a forgotten line leaves the index too; the next index
            # sync embeds it again without it.
            self._retriever.forget(list(report.memories) + [
                f"obs:{i}" for i in (*report.observation_ids, *report.changed_observation_ids)])
        try:  # a frame inside a chunk goes by rewriting the chunk without it (and its pixels)
            FrameStore(self.paths.frames, self.data_key).forget(report.frames)
        except StoreError as exc:
            raise AppError(f"forgotten everywhere but in the kept frames: {exc}") from None
        return report
