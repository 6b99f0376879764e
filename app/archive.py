"""Export and import an encrypted archive of everything; and "delete everything".

An archive is one file: a short header (format, version, Argon2id salt and cost), then records,
each AES-GCM sealed under a key derived from the archive's passphrase, numbered in the associated
data so that records cannot be dropped, reordered or swapped unnoticed, and closed by an end record
so a cut-off file is refused. Records hold observations, memories with their change history, and
settings (compressed JSON), and kept frames (image bytes). Nothing in an archive is readable without
the passphrase. Settings that describe one machine (the keyring, the capture daemon's heartbeat
and pause) stay out.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import json
import os
import secrets
import shutil
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app import conversation, keycache
from app.errors import AppError
from app.importer import screened
from app.services import MEMORY_CLASSES, PROCESS_LOCK, Engram, HistoryEntry, Memory, MemoryType, Observation
from memory import FrameMissing, FrameStore, KdfParams, NewObservation, StoreError, ValidationError, checked_time
from memory.store import DAMAGE_MARKER, USERS_SUFFIX

MAGIC = b"ENGRAM-ARCHIVE\n"
VERSION = 2  # 2 adds settings, memory history and ids, and the processed flag; 1 is still read
READABLE = (1, 2)
SUFFIX = ".engram-archive"
_CHUNK = 500  # observations per record
_MAX_RECORD = 256 * 1024 * 1024
IMPORT_CAUSE = "imported from an archive"
# Settings of this machine and this run, never exported: the key cached in this keyring, the capture
# daemon's heartbeat and pause, the desktop app's process (app.daemon HEALTH_KEY, PAUSE_KEY,
# WINDOW_PROCESS_KEY).
LOCAL_SETTINGS = frozenset({"keyring_cache", "capture_health", "capture_pause", "capture_window_process"})
MODEL_PATH = "model_path"  # a file on the exporting machine: restored only where it exists

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ArchiveReport:
    path: Path
    observations: int = 0
    memories: int = 0
    frames: int = 0
    skipped: int = 0  # already present (imports only)
    settings: int = 0
    out_of_range: int = 0  # observations dated outside what Engram keeps, left out (imports only)
    unreadable: int = 0  # rows on damaged pages that could not be saved (exports of a damaged file)

    def summary(self, verb: str) -> str:
        text = (f"{verb} {self.observations} observations, {self.memories} memories, {self.frames} frames "
                f"and {self.settings} settings")
        text += f" ({self.skipped} already present, skipped)" if self.skipped else ""
        text += f"; {self.out_of_range} observations dated outside 1900-2199 left out" if self.out_of_range else ""
        return text + (f"; {self.unreadable} rows on damaged pages could not be read" if self.unreadable else "")


@dataclass(frozen=True)
class ArchiveContents:
    """What an archive holds, decrypted and checked (JSON documents, frames by id)."""

    observations: list[dict]
    memories: list[dict]
    frames: dict[str, bytes]
    settings: dict[str, object]


# -- sealing ------------------------------------------------------------------------------------
class _Sealer:
    def __init__(self, key: bytes, header: bytes) -> None:
        self._aead = AESGCM(key)
        self._header = hashlib.sha256(header).digest()
        self.count = 0

    def _aad(self, n: int, last: bool) -> bytes:
        return self._header + struct.pack(">Q?", n, last)

    def seal(self, payload: bytes, last: bool = False) -> bytes:
        nonce = secrets.token_bytes(12)
        sealed = nonce + self._aead.encrypt(nonce, payload, self._aad(self.count, last))
        self.count += 1
        return struct.pack(">I", len(sealed)) + sealed

    def open(self, sealed: bytes, last: bool) -> bytes:
        """The payload of the next record; InvalidTag if it is not that record (or not `last`)."""
        payload = self._aead.decrypt(sealed[:12], sealed[12:], self._aad(self.count, last))
        self.count += 1
        return payload


def _header(params: KdfParams, salt: bytes) -> bytes:
    doc = {"version": VERSION, "kdf": {"name": "argon2id", "salt": base64.b64encode(salt).decode(),
                                       **dataclasses.asdict(params)}}
    return MAGIC + json.dumps(doc, sort_keys=True).encode() + b"\n"


def _json_record(kind: str, items: list[dict]) -> bytes:
    return b"J" + zlib.compress(json.dumps({"kind": kind, "items": items}).encode("utf-8"), 6)


# -- export -------------------------------------------------------------------------------------
def export_archive(engram: Engram, path: Path, passphrase: str, *, include_frames: bool = True,
                   progress: Progress | None = None, kdf: KdfParams | None = None) -> ArchiveReport:
    """Write everything to an encrypted archive at `path` (replaced only once complete)."""
    if not passphrase:
        raise AppError("the archive needs a passphrase")
    path = Path(path)
    params = kdf or KdfParams()
    salt = secrets.token_bytes(16)
    header = _header(params, salt)
    sealer = _Sealer(params.derive(passphrase, salt), header)
    frames = FrameStore(engram.paths.frames, engram.data_key)
    # Every page is read now, so that a damaged one is known before the first record (then the
    # export saves every row still readable, around the damage).
    if engram.store.damage is None:
        engram.store.quick_check()
    engram.store.unreadable = 0
    try:
        total = engram.store.counts().observations
    except StoreError:
        total = 0
    tmp = path.with_name(path.name + ".part")
    n_obs = n_frames = 0
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(header)
            for page in _observation_pages(engram):
                out.write(sealer.seal(_json_record("observations", [_obs_doc(o) for o in page])))
                n_obs += len(page)
                if include_frames:
                    for o in page:
                        if o.frame_id and _write_frame(out, sealer, frames, o.frame_id):
                            n_frames += 1
                if progress:
                    progress("Exporting observations", n_obs, total)
            damaged = engram.store.damage is not None
            memories = engram.store.readable_memories() if damaged else engram.memories()
            for start in range(0, len(memories), _CHUNK):
                out.write(sealer.seal(_json_record("memories", [
                    _memory_doc(m, _history(engram, m)) for m in memories[start:start + _CHUNK]])))
            settings = {k: v for k, v in _settings(engram).items() if k not in LOCAL_SETTINGS}
            out.write(sealer.seal(_json_record("settings", [{"key": k, "value": v} for k, v in settings.items()])))
            end = {"observations": n_obs, "memories": len(memories), "frames": n_frames, "settings": len(settings)}
            out.write(sealer.seal(b"E" + json.dumps(end).encode(), last=True))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise AppError(f"could not write the archive {path}: {exc.strerror or exc}") from None
    except StoreError as exc:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise AppError(str(exc)) from None
    return ArchiveReport(path, observations=n_obs, memories=len(memories), frames=n_frames,
                         settings=len(settings), unreadable=engram.store.unreadable)


def _observation_pages(engram: Engram) -> Iterator[list[Observation]]:
    """Every observation, a page at a time; from a damaged file, every one still readable."""
    if engram.store.damage is not None:
        yield from engram.store.readable_observations(_CHUNK)
        return
    offset = 0
    while True:
        page = engram.store.observations(limit=_CHUNK, offset=offset)
        if not page:
            return
        offset += len(page)
        yield page


def _history(engram: Engram, memory: Memory) -> list[HistoryEntry]:
    try:
        return engram.store.history(memory.id)
    except StoreError:  # on a damaged page: the memory is saved without it
        if engram.store.damage is None:
            raise
        engram.store.unreadable += 1
        return []


def _settings(engram: Engram) -> dict[str, object]:
    try:
        return engram.store.settings()
    except StoreError:
        if engram.store.damage is None:
            raise
        engram.store.unreadable += 1
        return {}


def _write_frame(out: BinaryIO, sealer: _Sealer, frames: FrameStore, frame_id: str) -> bool:
    try:
        png = frames.get(frame_id)
    except FrameMissing:
        return False
    out.write(sealer.seal(b"F" + frame_id.encode("ascii") + png))
    return True


def _obs_doc(o: Observation) -> dict:
    return {"id": o.id, "time": o.time.isoformat(), "app": o.app, "title": o.title, "url": o.url,
            "text": o.text, "source_kind": o.source_kind, "source_id": o.source_id, "frame_id": o.frame_id,
            "processed": o.processed}


def _memory_doc(m: Memory, history: list[HistoryEntry] = ()) -> dict:
    content = {k: (v.isoformat() if isinstance(v, datetime) else list(v) if isinstance(v, tuple) else v)
               for k, v in m.content().items()}
    return {"type": m.type.value, "id": m.id, "content": content, "sources": list(m.sources),
            "history": [{"operation": e.operation, "at": e.at.isoformat(), "cause": e.cause, "old": e.old,
                         "new": e.new} for e in history]}


# -- import -------------------------------------------------------------------------------------
def _records(fh: BinaryIO, passphrase: str) -> Iterator[bytes]:
    """The opened records of an archive, in order, ending with the end record."""
    magic = fh.read(len(MAGIC))
    if magic != MAGIC:
        raise AppError("this file is not an Engram archive")
    line = fh.readline(4096)
    try:
        doc = json.loads(line)
        kdf = doc["kdf"]
        if doc.get("version") not in READABLE:
            raise AppError(f"this archive was written by a newer Engram (format {doc.get('version')})")
        params = KdfParams(kdf["iterations"], kdf["lanes"], kdf["memory_cost"]).check()
        salt = base64.b64decode(kdf["salt"], validate=True)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise AppError("the archive's header is damaged; nothing was imported") from None
    sealer = _Sealer(params.derive(passphrase, salt), magic + line)
    first = True
    while True:
        size_bytes = fh.read(4)
        if len(size_bytes) < 4:
            raise AppError("the archive is cut short; nothing was imported")
        (size,) = struct.unpack(">I", size_bytes)
        if size > _MAX_RECORD:
            raise AppError("the archive is damaged (a record is too large)")
        sealed = fh.read(size)
        if len(sealed) < size:
            raise AppError("the archive is cut short; nothing was imported")
        last = False
        try:
            payload = sealer.open(sealed, last=False)
        except InvalidTag:
            try:
                payload, last = sealer.open(sealed, last=True), True
            except InvalidTag:
                if first:
                    raise AppError("wrong passphrase for this archive (or it is damaged); nothing was "
                                   "imported") from None
                raise AppError("the archive is damaged; nothing was imported") from None
        if last:
            if fh.read(1):  # the end record closes the file: anything after it was added since
                raise AppError("the archive has bytes after its end record (it was changed after it "
                               "was written); nothing was imported")
            yield payload
            return
        first = False
        yield payload


def read_archive(path: Path, passphrase: str) -> ArchiveContents:
    """What an archive holds, all checked before anything is stored."""
    found = ArchiveContents([], [], {}, {})
    try:
        with open(path, "rb") as fh:
            for payload in _records(fh, passphrase):
                kind, body = payload[:1], payload[1:]
                if kind == b"J":
                    doc = json.loads(zlib.decompress(body))
                    if doc["kind"] == "settings":
                        found.settings.update((item["key"], item["value"]) for item in doc["items"])
                    elif doc["kind"] in ("observations", "memories"):
                        getattr(found, doc["kind"]).extend(doc["items"])
                    else:
                        raise AppError("the archive holds a record this Engram does not know")
                elif kind == b"F":
                    found.frames[body[:32].decode("ascii")] = body[32:]
                elif kind != b"E":
                    raise AppError("the archive holds a record this Engram does not know")
    except OSError as exc:
        raise AppError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, zlib.error):
        raise AppError("the archive is damaged; nothing was imported") from None
    return found


def import_archive(engram: Engram, path: Path, passphrase: str, *,
                   progress: Progress | None = None) -> ArchiveReport:
    """Add an archive's observations, frames and memories (with their change history) to this
    Engram, and restore its settings (what is already here is skipped; the Ask history is merged).
    The whole archive is decrypted and checked before anything is stored."""
    return import_contents(engram, read_archive(Path(path), passphrase), Path(path), progress=progress)


def import_contents(engram: Engram, found: ArchiveContents, path: Path, *,
                    progress: Progress | None = None) -> ArchiveReport:
    """Store what `read_archive` found in the archive at `path` (see `import_archive`); nothing
    into a database that is damaged or cannot be written."""
    engram.check_before_writing()
    kept = [doc for doc in found.observations if _keepable(doc)]
    out_of_range = len(found.observations) - len(kept)
    found = dataclasses.replace(found, observations=kept)
    try:
        added, n_frames, skipped, new_ids = _import_observations(engram, found, progress)
        n_mem, skipped_mem, memory_ids = _import_memories(engram, found.memories, new_ids)
        n_settings = _import_settings(engram, found.settings, new_ids, memory_ids)
    except StoreError as exc:
        raise AppError(f"the import stopped: {exc}") from None
    except (TypeError, ValueError, KeyError) as exc:
        raise AppError(f"the archive holds a value this Engram cannot read: {exc}") from None
    return ArchiveReport(Path(path), observations=added, memories=n_mem, frames=n_frames,
                         skipped=skipped + skipped_mem, settings=n_settings, out_of_range=out_of_range)


def _keepable(doc: dict) -> bool:
    """Whether an archived observation's time is one Engram keeps (an older Engram stored any)."""
    try:
        checked_time(datetime.fromisoformat(doc["time"]))
    except (ValidationError, ValueError, TypeError, KeyError):
        return False
    return True


def _import_observations(engram: Engram, found: ArchiveContents,
                         progress: Progress | None) -> tuple[int, int, int, dict[int, int]]:
    """(added, frames added, skipped, archive id -> id here)."""
    store = FrameStore(engram.paths.frames, engram.data_key)
    new_ids: dict[int, int] = {}
    added = skipped = n_frames = 0
    observations = found.observations
    for start in range(0, len(observations), _CHUNK):
        batch = observations[start:start + _CHUNK]
        items = []
        for doc in batch:
            png = found.frames.get(doc.get("frame_id") or "")
            items.append(_new_observation(doc, store.put(png) if png is not None else None))
        ids = engram.store.add_observations(items)
        processed = []
        for doc, new_id, item in zip(batch, ids, items, strict=True):
            if new_id is None:
                skipped += 1
                if item.frame_id:
                    store.delete(item.frame_id)
                existing = _existing(engram, item)
                if existing is not None:
                    new_ids[doc["id"]] = existing
            else:
                added += 1
                n_frames += 1 if item.frame_id else 0
                new_ids[doc["id"]] = new_id
                if doc.get("processed"):  # its memories come with the archive: not made again
                    processed.append(new_id)
        if processed:
            engram.store.mark_observations(processed, 1)
        if progress:
            progress("Importing observations", start + len(batch), len(observations))
    return added, n_frames, skipped, new_ids


def _import_memories(engram: Engram, docs: list[dict],
                     new_ids: dict[int, int]) -> tuple[int, int, dict[str, str]]:
    """(added, skipped, archive memory id -> id here)."""
    known = {(m.type, _fingerprint(_memory_doc(m)["content"])): m.id for m in engram.memories()}
    memory_ids: dict[str, str] = {}
    added = skipped = 0
    for doc in docs:
        kind = MemoryType(doc["type"])
        same = known.get((kind, _fingerprint(doc["content"])))
        if same is not None:
            skipped += 1
        else:
            memory = _memory(kind, doc["content"])
            sources = [new_ids[i] for i in doc.get("sources", []) if i in new_ids]
            history = [HistoryEntry(memory_id="", operation=e["operation"], at=datetime.fromisoformat(e["at"]),
                                    cause=e["cause"], old=e.get("old"), new=e.get("new"))
                       for e in doc.get("history") or ()]
            stored = (engram.store.restore(memory, sources=sources, history=history) if history
                      else engram.store.add(memory, sources=sources, cause=IMPORT_CAUSE))
            same = stored.id
            added += 1
        if doc.get("id"):
            memory_ids[doc["id"]] = same
    return added, skipped, memory_ids


def _import_settings(engram: Engram, settings: dict[str, object], new_ids: dict[int, int],
                     memory_ids: dict[str, str]) -> int:
    """Restore the archive's settings; returns how many. The Ask history is merged, its sources
    pointed at the imported items; a model file is kept only if it exists on this machine."""
    def ref_here(ref: str) -> str | None:
        kind, _, number = ref.partition(":")
        if kind == "obs":
            here = new_ids.get(int(number)) if number.isdigit() else None
            return None if here is None else f"obs:{here}"
        return memory_ids.get(ref)

    restored = 0
    for key, value in settings.items():
        if key in LOCAL_SETTINGS:
            continue
        if key == conversation.KEY:
            conversation.merge(engram, value if isinstance(value, list) else [], ref_here)
        elif key == MODEL_PATH and value and not Path(str(value)).is_file():
            continue
        else:
            engram.store.set_setting(key, value)
        restored += 1
    return restored


def _new_observation(doc: dict, frame_id: str | None) -> NewObservation:
    source_id = doc.get("source_id")
    if source_id is None:  # identify it by content, so importing twice adds nothing
        basis = json.dumps([doc["time"], doc["app"], doc["title"], doc["text"]], ensure_ascii=False)
        source_id = "archive:" + hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()[:32]
    # An archive of an older Engram may hold text stored before imports were redacted: it passes
    # the privacy gate again (redacting twice changes nothing).
    return screened(NewObservation(time=datetime.fromisoformat(doc["time"]), text=doc["text"], app=doc["app"],
                                   title=doc["title"], url=doc["url"], source_kind=doc["source_kind"],
                                   source_id=str(source_id), frame_id=frame_id))


def _existing(engram: Engram, item: NewObservation) -> int | None:
    """The id of the stored observation an import skipped as already present."""
    for o in engram.store.observations(since=item.time, until=item.time + timedelta(microseconds=1)):
        if o.text == item.text and o.app == item.app:
            return o.id
    return None


def _fingerprint(content: dict) -> str:
    return json.dumps(content, sort_keys=True, ensure_ascii=False)


def _memory(kind: MemoryType, content: dict) -> Memory:
    cls = MEMORY_CLASSES[kind]
    values = {}
    for f in dataclasses.fields(cls):
        if f.name not in content:
            continue
        value = content[f.name]
        annotation = str(f.type)
        if annotation.startswith("datetime") and isinstance(value, str):
            value = datetime.fromisoformat(value)
        elif annotation.startswith("tuple") and isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    return cls(**values)


# -- delete everything --------------------------------------------------------------------------
def erase_everything(engram: Engram) -> None:
    """Close the store and remove every file of the data directory, the key file first (without
    it nothing left behind could ever be read), and the key cached in the keyring."""
    from app.daemon import BEAT_FILE  # here: the daemon loads numpy, which archives do not need

    paths = engram.paths
    engram.close()
    keycache.clear(paths)
    errors = []
    db = paths.database
    for file in (paths.key_file, db, *(db.with_name(db.name + end) for end in ("-wal", "-shm", USERS_SUFFIX,
                                                                            DAMAGE_MARKER)),
                 paths.root / BEAT_FILE, paths.root / PROCESS_LOCK):
        try:
            file.unlink(missing_ok=True)
        except OSError as exc:
            errors.append(f"{file.name}: {exc.strerror or exc}")
    for folder in (paths.frames, paths.vector_index):
        shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):
        paths.root.rmdir()  # only if nothing of the user's is left in it
    if errors:
        raise AppError("some files could not be removed: " + "; ".join(errors))
