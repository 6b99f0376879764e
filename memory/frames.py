"""Kept frames (screenshots), AES-GCM encrypted, stored as changes.

`keep(pixels, stream=monitor)` puts a monitor's frames into a chunk file (up to CHUNK_FRAMES
frames or CHUNK_SECONDS): a key frame (the whole screen, lossless WebP), then for each later frame
only what changed since the frame before it, in 32-pixel tiles: a tile that scrolled is a
reference to where it was, every other changed tile is pixels, all of them in one lossless WebP
mosaic. A new key frame starts every KEY_EVERY frames, or when most of the screen is new, so a
frame is decoded from at most KEY_EVERY records. Lossless: a decoded frame is the kept frame.

Files in the folder:
  `<28 hex>.egc`  a chunk: `EGC1`, then records `EGR1` + length (4) + slot (2) + kind (1) + base
                  slot (2) + 12-byte nonce + ciphertext. The chunk's name and the record header
                  are the associated data, so a record moved to another slot or chunk, or a delta
                  put on another base, does not decrypt. A damaged record costs the frames that
                  are decoded through it (up to the next key frame), never the rest of the chunk.
  `<32 hex>`      one frame as an encoded image (`put`, and every frame of earlier versions):
                  `EGF1` + 12-byte nonce + ciphertext, the id as associated data.

A frame id is 32 hex digits: the chunk's name and the frame's slot in it (4 hex), or the name of
a single file. Forgetting a frame inside a chunk rewrites the chunk without it (the frame after
it is encoded again from its own pixels), so no forgotten pixels stay behind. Retention removes
whole chunks (and single files), the oldest first."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import secrets
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from memory.errors import StoreError

try:  # a writer and a rewriter of one chunk take turns (POSIX); elsewhere the inode check remains
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

_BINARY = getattr(os, "O_BINARY", 0)  # Windows opens files as text otherwise
_MAGIC = b"EGF1"
_CHUNK_MAGIC = b"EGC1"
_MARK = b"EGR1"
_HEAD = struct.Struct("<4sIHBH")  # mark, length of nonce + ciphertext, slot, kind, base slot
_KEY, _DELTA = 1, 2
_SUFFIX = ".egc"
_ID = re.compile(r"^[0-9a-f]{32}$")
_CHUNK = re.compile(r"^([0-9a-f]{28})\.egc$")
_TILE = 32
KEY_EVERY = 20  # frames from one key frame to the next, at most (bounds the open time)
CHUNK_FRAMES = 240  # frames in a chunk, at most
MAX_STREAMS = 8  # open streams, each holding its last frame in memory (~6 MB at 1080p)
CHUNK_SECONDS = 15 * 60  # how long a chunk stays open for new frames
_NEW_SHARE = 0.5  # a frame with more than this share of its tiles new (not moved) is a key frame
# Lossless WebP at a quicker method but more effort: on the capture bench's frames 22.4 -> 11.3 MB
# an hour for a few CPU ms a frame.
_WEBP = {"lossless": True, "method": 1, "quality": 75}
_MOSAIC = 60  # tiles a row in a delta's mosaic (the decoder reads it from the mosaic's width)
_SIZE = struct.Struct("<HH")
_COUNTS = struct.Struct("<HHHH")  # width, height, moved tiles, new tiles
_LEN = struct.Struct("<I")  # of the zlib block of where the moved and new tiles go
_MOVED = np.dtype([("r", "<u2"), ("c", "<u2"), ("d", "<i2")])
_NEW = np.dtype([("r", "<u2"), ("c", "<u2")])
# Row signatures of a tile column: equal rows give equal signatures, so a scrolled tile is found
# by looking its rows up in the frame before (and then compared pixel for pixel).
_SIG = np.random.default_rng(20261129).random(_TILE * 3)


class FrameMissing(StoreError):
    """No frame has this id (never kept, pruned by retention, or forgotten)."""


class DiskFull(StoreError):
    """The disk (or the user's quota) is full: nothing was written."""


@dataclass(frozen=True)
class PruneReport:
    deleted: int  # frames
    freed_bytes: int
    kept: int  # frames
    kept_bytes: int
    ids: tuple[str, ...] = ()  # the frames deleted


@dataclass(frozen=True)
class FrameFile:
    """One file of the store: a chunk or a single frame."""

    name: str
    modified: float  # when its newest frame was written (epoch seconds)
    bytes: int
    frames: tuple[str, ...]


@dataclass(frozen=True)
class MigrateReport:
    moved: int  # single-file frames now in chunks
    unreadable: tuple[str, ...]  # single files that could not be read (left as they are)
    bytes_before: int
    bytes_after: int


@dataclass(frozen=True)
class _Record:
    slot: int
    kind: int
    base: int
    start: int  # offset of its header in the chunk
    end: int


@dataclass
class _Open:
    """The chunk a stream writes into, and the frame it holds last (for the next delta)."""

    name: str
    path: Path
    shape: tuple[int, ...]
    last: np.ndarray  # padded pixels of the newest frame
    slot: int
    since_key: int
    size: int
    inode: int
    started: float


class FrameStore:
    """Encrypted frames in `folder`, under the 32-byte data `key`.

    One FrameStore may be used from several threads; several processes may read a store while
    one of them keeps frames."""

    def __init__(self, folder: Path, key: bytes) -> None:
        if len(key) != 32:
            raise StoreError("the frame key must be 32 bytes")
        self.folder = Path(folder)
        self._aead = AESGCM(key)
        self._lock = threading.RLock()
        self._streams: dict[str, _Open] = {}

    # -- keeping -----------------------------------------------------------------------------
    def keep(self, pixels: np.ndarray, *, stream: str = "") -> str:
        """Keep a frame (RGB pixels, (height, width, 3) uint8) as what changed since the last
        frame of `stream` (one stream a window of a monitor: each is kept with the other windows
        masked, so a window's frames differ little from each other, and much from another's);
        returns its id. At most MAX_STREAMS streams stay open (each holds its last frame)."""
        if not (isinstance(pixels, np.ndarray) and pixels.ndim == 3 and pixels.shape[2] == 3
                and pixels.dtype == np.uint8 and 0 < pixels.shape[0] < 65536 and 0 < pixels.shape[1] < 65536):
            raise StoreError("a frame must be RGB pixels, (height, width, 3) uint8")
        padded = _pad(np.ascontiguousarray(pixels))
        with self._lock:
            state = self._streams.pop(stream, None)
            if state is not None and (state.shape != pixels.shape or state.slot + 1 >= CHUNK_FRAMES
                                      or time.monotonic() - state.started > CHUNK_SECONDS):
                state = None
            if state is not None:
                frame_id = self._append(state, padded, pixels.shape)
                if frame_id is not None:
                    self._streams[stream] = state
                    return frame_id
            state = self._start(padded, pixels)
            self._streams[stream] = state
            while len(self._streams) > MAX_STREAMS:  # the stream unused longest ends its chunk there
                del self._streams[next(iter(self._streams))]
            return state.name + f"{state.slot:04x}"

    def put(self, image: bytes) -> str:
        """Keep `image` (encoded image bytes, such as a PNG) as it is, in a file of its own;
        returns the new frame's id."""
        frame_id = secrets.token_hex(16)
        nonce = secrets.token_bytes(12)
        blob = _MAGIC + nonce + self._aead.encrypt(nonce, image, frame_id.encode())
        path = self.folder / frame_id
        tmp = path.with_name(path.name + ".tmp")
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
            os.replace(tmp, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.remove(tmp)
            raise _write_error(exc, self.folder) from exc
        return frame_id

    def _start(self, padded: np.ndarray, pixels: np.ndarray) -> _Open:
        name = secrets.token_hex(14)
        path = self.folder / (name + _SUFFIX)
        blob = _CHUNK_MAGIC + self._record(name, 0, _KEY, 0, _key_payload(pixels))
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, 0o600)
            try:
                _write_all(fd, blob)
                inode = os.fstat(fd).st_ino
            finally:
                os.close(fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.remove(path)
            raise _write_error(exc, self.folder) from exc
        return _Open(name, path, pixels.shape, padded, 0, 0, len(blob), inode, time.monotonic())

    def _append(self, state: _Open, padded: np.ndarray, shape: tuple[int, ...]) -> str | None:
        """Append the frame to the stream's chunk; None when the chunk changed under us (it was
        rewritten or removed by another FrameStore), and a new chunk must start."""
        try:
            fd = os.open(state.path, os.O_RDWR | _BINARY)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _write_error(exc, self.folder) from exc
        try:
            _lock(fd)
            st = os.fstat(fd)
            if st.st_nlink == 0 or st.st_ino != state.inode or st.st_size != state.size:
                return None
            slot = state.slot + 1
            delta = None if state.since_key + 1 >= KEY_EVERY else _delta(state.last, padded, shape)
            if delta is None:
                record = self._record(state.name, slot, _KEY, 0, _key_payload(_crop(padded, shape)))
            else:
                record = self._record(state.name, slot, _DELTA, state.slot, delta)
            try:
                os.lseek(fd, state.size, os.SEEK_SET)
                _write_all(fd, record)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, state.size)  # no half record left behind
                raise _write_error(exc, self.folder) from exc
        finally:
            os.close(fd)  # closing drops the lock
        state.slot, state.last, state.size = slot, padded, state.size + len(record)
        state.since_key = 0 if delta is None else state.since_key + 1
        return state.name + f"{slot:04x}"

    def _record(self, name: str, slot: int, kind: int, base: int, payload: bytes) -> bytes:
        nonce = secrets.token_bytes(12)
        length = 12 + len(payload) + 16
        head = _HEAD.pack(_MARK, length, slot, kind, base)
        return head + nonce + self._aead.encrypt(nonce, payload, name.encode() + head)

    # -- reading -----------------------------------------------------------------------------
    def get(self, frame_id: str, *, quick: bool = False) -> bytes:
        """The frame as encoded image bytes: a single file's own image (PNG or WebP), or a
        lossless WebP of a chunk frame (`quick`: an uncompressed PPM, which costs no encoding,
        for showing it at once). FrameMissing if there is none, StoreError if damaged."""
        kind, path = self._locate(frame_id)
        if kind == "file":
            return self._read_file(frame_id, path)
        if quick:
            pixels = self.pixels(frame_id)
            return b"P6\n%d %d\n255\n" % (pixels.shape[1], pixels.shape[0]) + pixels.tobytes()
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(self.pixels(frame_id)).save(buf, "WEBP", lossless=True, method=0, quality=0)
        return buf.getvalue()

    def pixels(self, frame_id: str) -> np.ndarray:
        """The frame's RGB pixels, (height, width, 3) uint8, decrypted in memory only."""
        kind, path = self._locate(frame_id)
        if kind == "file":
            return _decode_image(self._read_file(frame_id, path), frame_id)
        data = _read(path, frame_id)
        records, damaged = _records(data)
        slot = int(frame_id[28:], 16)
        index = next((i for i, r in enumerate(records) if r.slot == slot), None)
        if index is None:
            if damaged:
                raise StoreError(f"frame {frame_id} cannot be shown: its chunk is damaged")
            raise FrameMissing(f"frame {frame_id} is not kept (pruned, forgotten, or never kept)")
        return self._decode(frame_id[:28], data, records, index)

    def _locate(self, frame_id: str) -> tuple[str, Path]:
        if not isinstance(frame_id, str) or not _ID.match(frame_id):
            raise FrameMissing(f"{frame_id!r} is not a frame id")
        single = self.folder / frame_id
        if single.exists():
            return "file", single
        chunk = self.folder / (frame_id[:28] + _SUFFIX)
        if chunk.exists():
            return "chunk", chunk
        raise FrameMissing(f"frame {frame_id} is not kept (pruned, forgotten, or never kept)")

    def _read_file(self, frame_id: str, path: Path) -> bytes:
        blob = _read(path, frame_id)
        if len(blob) < 16 + 12 + len(_MAGIC) or not blob.startswith(_MAGIC):
            raise StoreError(f"frame {frame_id} is damaged")
        try:
            return self._aead.decrypt(blob[4:16], blob[16:], frame_id.encode())
        except InvalidTag:
            raise StoreError(f"frame {frame_id} is damaged or was written under another key") \
                from None

    def _decode(self, name: str, data: bytes, records: list[_Record], index: int) -> np.ndarray:
        """The pixels of `records[index]`, decoded from the key frame before it."""
        frame_id = name + f"{records[index].slot:04x}"
        first = index
        while first >= 0 and records[first].kind != _KEY:
            first -= 1
        if first < 0:
            raise StoreError(f"frame {frame_id} cannot be shown: its chunk is damaged "
                             "(the key frame it is decoded from is gone)")
        canvas: np.ndarray | None = None
        size: tuple[int, int] = (0, 0)
        for n in range(first, index + 1):
            r = records[n]
            if r.kind == _DELTA and (n == first or records[n - 1].slot != r.base):
                raise StoreError(f"frame {frame_id} cannot be shown: its chunk is damaged "
                                 "(a frame it is decoded from is gone)")
            payload = self._open_record(name, data, r, frame_id)
            try:
                canvas, size = (_apply_key(payload) if r.kind == _KEY
                                else _apply_delta(canvas, payload))
            except (ValueError, OSError, struct.error, IndexError, zlib.error) as exc:
                raise StoreError(f"frame {frame_id} cannot be shown: its chunk is damaged ({exc})") \
                    from None
        assert canvas is not None
        return np.ascontiguousarray(canvas[: size[1], : size[0]])

    def _open_record(self, name: str, data: bytes, r: _Record, frame_id: str) -> bytes:
        head = data[r.start:r.start + _HEAD.size]
        nonce = data[r.start + _HEAD.size:r.start + _HEAD.size + 12]
        try:
            return self._aead.decrypt(nonce, data[r.start + _HEAD.size + 12:r.end], name.encode() + head)
        except InvalidTag:
            what = "frame" if r.slot == int(frame_id[28:], 16) else "a frame it is decoded from"
            raise StoreError(f"frame {frame_id} cannot be shown: {what} is damaged in its chunk, "
                             "or was written under another key") from None

    # -- listing -----------------------------------------------------------------------------
    def files(self) -> list[FrameFile]:
        """Every file of the store with the frames it holds, the oldest first."""
        out = []
        if not self.folder.is_dir():
            return out
        for p in self.folder.iterdir():
            m = _CHUNK.match(p.name)
            if not (m or _ID.match(p.name)):
                continue
            try:
                st = p.stat()
                frames = tuple(m.group(1) + f"{s:04x}" for s in _slots(p)) if m else (p.name,)
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise StoreError(f"could not read {p.name}: {exc.strerror or exc}") from exc
            out.append(FrameFile(p.name, st.st_mtime, st.st_size, frames))
        out.sort(key=lambda f: (f.modified, f.name))
        return out

    def ids(self) -> list[str]:
        return [frame_id for f in self.files() for frame_id in f.frames]

    def single_files(self) -> list[str]:
        """Frames kept one to a file (by `put`, or by an earlier Engram)."""
        if not self.folder.is_dir():
            return []
        return [p.name for p in self.folder.iterdir() if _ID.match(p.name)]

    # -- removing ----------------------------------------------------------------------------
    def delete(self, frame_id: str) -> bool:
        """Remove a frame; False if it was not there."""
        return self.forget([frame_id]) == 1

    def forget(self, frame_ids: Iterable[str]) -> int:
        """Remove these frames, rewriting each chunk that held one of them so that what is left
        holds none of their pixels. Returns how many frames were removed."""
        by_chunk: dict[str, set[int]] = {}
        removed = 0
        for frame_id in frame_ids:
            if not isinstance(frame_id, str) or not _ID.match(frame_id):
                continue
            single = self.folder / frame_id
            try:
                os.remove(single)
                removed += 1
                continue
            except FileNotFoundError:
                pass
            by_chunk.setdefault(frame_id[:28], set()).add(int(frame_id[28:], 16))
        for name, slots in by_chunk.items():
            removed += self._rewrite(name, slots)
        return removed

    def _rewrite(self, name: str, drop: set[int]) -> int:
        path = self.folder / (name + _SUFFIX)
        with self._lock:
            for stream, state in list(self._streams.items()):
                if state.name == name:
                    del self._streams[stream]
            try:
                fd = os.open(path, os.O_RDWR | _BINARY)
            except FileNotFoundError:
                return 0
            try:
                _lock(fd)
                st = os.fstat(fd)
                with os.fdopen(os.dup(fd), "rb") as f:
                    data = f.read()
                records, _ = _records(data)
                gone = {r.slot for r in records} & drop
                if not gone:
                    return 0
                kept = [n for n, r in enumerate(records) if r.slot not in drop]
                if not kept:
                    fd = _release(fd)  # Windows removes no open file
                    os.remove(path)
                    return len(gone)
                out = bytearray(_CHUNK_MAGIC)
                last: int | None = None  # index in `records` of the last frame written
                for n in kept:
                    r = records[n]
                    follows = n > 0 and last == n - 1
                    if r.kind == _KEY or follows:  # unchanged: the same bytes
                        out += data[r.start:r.end]
                        last = n
                        continue
                    # The frame before it is gone: encode it again, from its own pixels, as a
                    # change from the last frame kept (or as a key frame).
                    try:
                        pixels = self._decode(name, data, records, n)
                    except StoreError:
                        continue  # it could not be shown before either
                    key_gone = any(records[m].kind == _KEY for m in range(
                        (last if last is not None else -1) + 1, n))
                    delta = None
                    if last is not None and not key_gone:
                        with contextlib.suppress(StoreError):
                            base = _pad(self._decode(name, data, records, last))
                            delta = _delta(base, _pad(pixels), pixels.shape)
                    if delta is None:
                        out += self._record(name, r.slot, _KEY, 0, _key_payload(pixels))
                    else:
                        out += self._record(name, r.slot, _DELTA, records[last].slot, delta)
                    last = n
                tmp = path.with_name(path.name + ".tmp")
                try:
                    tfd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _BINARY, 0o600)
                    with os.fdopen(tfd, "wb") as f:
                        f.write(out)
                        f.flush()
                        os.fsync(f.fileno())
                    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))  # its age is its frames'
                    fd = _release(fd)
                    os.replace(tmp, path)
                except OSError as exc:
                    with contextlib.suppress(OSError):
                        os.remove(tmp)
                    raise _write_error(exc, self.folder) from exc
                return len(gone)
            finally:
                if fd >= 0:
                    os.close(fd)

    def prune(self, *, max_age_days: float | None = None, max_bytes: int | None = None,
              now: float | None = None,
              unlink: Callable[[list[str]], object] | None = None) -> PruneReport:
        """Delete the files whose newest frame is older than `max_age_days`, then the oldest
        files until the rest fit in `max_bytes` (a chunk goes whole).

        `unlink(ids)` is called with the frames about to go before any is deleted (so the
        observations that show them can say so); if it raises, nothing is deleted."""
        now = time.time() if now is None else now
        files = self.files()
        total = sum(f.bytes for f in files)
        doomed: list[FrameFile] = []
        for f in files:
            too_old = max_age_days is not None and now - f.modified > max_age_days * 86400
            too_big = max_bytes is not None and total > max_bytes
            if not (too_old or too_big):
                break  # oldest first: the rest are newer, and they fit
            doomed.append(f)
            total -= f.bytes
        ids = [frame_id for f in doomed for frame_id in f.frames]
        if doomed and unlink is not None:
            unlink(ids)
        with self._lock:
            names = {f.name.removesuffix(_SUFFIX) for f in doomed}
            for stream, state in list(self._streams.items()):
                if state.name in names:
                    del self._streams[stream]
            for f in doomed:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(self.folder / f.name)
        # stale temp files from a crash mid-write
        if self.folder.is_dir():
            for p in self.folder.glob("*.tmp"):
                with contextlib.suppress(OSError):
                    if now - p.stat().st_mtime > 3600:
                        p.unlink()
        kept = sum(len(f.frames) for f in files) - len(ids)
        return PruneReport(len(ids), sum(f.bytes for f in doomed), kept, total, tuple(ids))

    # -- earlier versions --------------------------------------------------------------------
    def migrate(self, frame_ids: Sequence[str], relink: Callable[[dict[str, str]], object], *,
                progress: Callable[[int, int], object] | None = None, batch: int = 50) -> MigrateReport:
        """Move single-file frames (in the order given: oldest first gives the smallest chunks)
        into chunks. `relink({old id: new id})` must point the observations at the new ids; the
        old files are removed only after it returned. Files that cannot be read stay as they are."""
        todo = [f for f in frame_ids if isinstance(f, str) and _ID.match(f) and (self.folder / f).is_file()]
        before = sum((self.folder / f).stat().st_size for f in todo)
        stream = "migrate-" + secrets.token_hex(4)
        unreadable: list[str] = []
        moved = 0
        new_ids: list[str] = []
        moved_ids: list[str] = []
        try:
            for start in range(0, len(todo), batch):
                mapping: dict[str, str] = {}
                for old in todo[start:start + batch]:
                    try:
                        pixels = self.pixels(old)
                    except StoreError:
                        unreadable.append(old)
                        continue
                    mapping[old] = self.keep(pixels, stream=stream)
                    new_ids.append(mapping[old])
                if mapping:
                    relink(mapping)
                    new_ids.clear()
                    for old in mapping:
                        with contextlib.suppress(FileNotFoundError):
                            os.remove(self.folder / old)
                    moved += len(mapping)
                    moved_ids.extend(mapping.values())
                if progress is not None:
                    progress(min(start + batch, len(todo)), len(todo))
        except BaseException:
            self.forget(new_ids)  # not linked: the old files still hold these frames
            raise
        finally:
            with self._lock:
                self._streams.pop(stream, None)
        chunks = {frame_id[:28] + _SUFFIX for frame_id in moved_ids}
        after = sum(f.bytes for f in self.files() if f.name in chunks)
        return MigrateReport(moved, tuple(unreadable), before, after)


# -- chunk format ---------------------------------------------------------------------------
def _records(data: bytes) -> tuple[list[_Record], list[int]]:
    """The records of a chunk, and where damage was skipped (the next record is found by its
    mark)."""
    records: list[_Record] = []
    damaged: list[int] = []
    if not data.startswith(_CHUNK_MAGIC):
        damaged.append(0)
    pos = len(_CHUNK_MAGIC)
    while pos < len(data):
        ok = data.startswith(_MARK, pos) and pos + _HEAD.size <= len(data)
        if ok:
            _, length, slot, kind, base = _HEAD.unpack_from(data, pos)
            end = pos + _HEAD.size + length
            ok = kind in (_KEY, _DELTA) and length >= 28 and end <= len(data)
        if ok:
            records.append(_Record(slot, kind, base, pos, end))
            pos = end
            continue
        damaged.append(pos)
        pos = data.find(_MARK, pos + 1)
        if pos < 0:
            break
    return records, damaged


def _slots(path: Path) -> list[int]:
    """The slots of a chunk, from its record headers only."""
    slots = []
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        pos = len(_CHUNK_MAGIC)
        f.seek(pos)
        while pos + _HEAD.size <= size:
            head = f.read(_HEAD.size)
            mark, length, slot, kind, _ = _HEAD.unpack(head)
            if mark != _MARK or kind not in (_KEY, _DELTA) or pos + _HEAD.size + length > size:
                f.seek(0)  # damaged: find the records that are left the slow way
                records, _ = _records(f.read())
                return [r.slot for r in records]
            slots.append(slot)
            pos += _HEAD.size + length
            f.seek(pos)
    return slots


def _key_payload(pixels: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "WEBP", **_WEBP)
    return _SIZE.pack(pixels.shape[1], pixels.shape[0]) + buf.getvalue()


def _apply_key(payload: bytes) -> tuple[np.ndarray, tuple[int, int]]:
    width, height = _SIZE.unpack_from(payload)
    pixels = _decode_image(payload[_SIZE.size:], "")
    if pixels.shape != (height, width, 3):
        raise ValueError("a key frame has the wrong size")
    return _pad(pixels), (width, height)


def _delta(last: np.ndarray, padded: np.ndarray, shape: tuple[int, ...]) -> bytes | None:
    """What changed from `last` to `padded` (both padded), or None when most of it is new
    (then a key frame is smaller and quicker to decode)."""
    h, w = padded.shape[:2]
    gh, gw = h // _TILE, w // _TILE
    tiles = padded.reshape(gh, _TILE, gw, _TILE, 3).swapaxes(1, 2)
    before = last.reshape(gh, _TILE, gw, _TILE, 3).swapaxes(1, 2)
    changed = np.argwhere((tiles != before).any(axis=(2, 3, 4)))
    moved: list[tuple[int, int, int]] = []
    new: list[tuple[int, int]] = []
    shifts = _shifts(last, padded, changed) if len(changed) else []
    for r, c in changed.tolist():
        y, x = r * _TILE, c * _TILE
        here = padded[y:y + _TILE, x:x + _TILE]
        for d in shifts:
            if 0 <= y + d <= h - _TILE and np.array_equal(here, last[y + d:y + d + _TILE, x:x + _TILE]):
                moved.append((r, c, d))
                break
        else:
            new.append((r, c))
    if len(new) > _NEW_SHARE * gh * gw:
        return None
    where = zlib.compress(np.array(moved, _MOVED).tobytes() + np.array(new, _NEW).tobytes())
    out = [_COUNTS.pack(shape[1], shape[0], len(moved), len(new)), _LEN.pack(len(where)), where]
    if new:
        from PIL import Image

        cols = min(len(new), _MOSAIC)
        mosaic = np.zeros((-(-len(new) // cols) * _TILE, cols * _TILE, 3), np.uint8)
        for i, (r, c) in enumerate(new):
            mosaic[(i // cols) * _TILE:(i // cols + 1) * _TILE, (i % cols) * _TILE:(i % cols + 1) * _TILE] = tiles[r, c]
        buf = io.BytesIO()
        Image.fromarray(mosaic).save(buf, "WEBP", **_WEBP)
        out.append(buf.getvalue())
    return b"".join(out)


def _shifts(last: np.ndarray, padded: np.ndarray, changed: np.ndarray, most: int = 3) -> list[int]:
    """The likeliest vertical scroll distances of the changed tiles: rows of changed tiles
    looked up, by signature, in the same tile column of the frame before."""
    h, w = padded.shape[:2]
    gw = w // _TILE
    cols = sorted({int(c) for c in changed[:, 1]})
    now = padded[:, :, :].reshape(h, gw, _TILE * 3)[:, cols].astype(np.float64) @ _SIG
    was = last.reshape(h, gw, _TILE * 3)[:, cols].astype(np.float64) @ _SIG
    where = {c: i for i, c in enumerate(cols)}
    votes: dict[int, int] = {}
    for r, c in changed[:: max(1, len(changed) // 64)].tolist():
        i = where[c]
        for y in range(r * _TILE, r * _TILE + _TILE, 8):
            row = padded[y, c * _TILE:(c + 1) * _TILE]
            if (row == row[0]).all():
                continue  # a plain row matches anywhere
            for y2 in np.flatnonzero(was[:, i] == now[y, i])[:4].tolist():
                if y2 != y:
                    votes[y2 - y] = votes.get(y2 - y, 0) + 1
    return [d for d, _ in sorted(votes.items(), key=lambda kv: -kv[1])[:most]]


def _apply_delta(canvas: np.ndarray | None, payload: bytes) -> tuple[np.ndarray, tuple[int, int]]:
    if canvas is None:
        raise ValueError("a change without the frame before it")
    width, height, n_moved, n_new = _COUNTS.unpack_from(payload)
    (length,) = _LEN.unpack_from(payload, _COUNTS.size)
    pos = _COUNTS.size + _LEN.size + length
    where = zlib.decompress(payload[_COUNTS.size + _LEN.size:pos])
    moved = np.frombuffer(where, _MOVED, n_moved)
    new = np.frombuffer(where, _NEW, n_new, n_moved * _MOVED.itemsize)
    if (height + -height % _TILE, width + -width % _TILE) != canvas.shape[:2]:
        raise ValueError("a change of another size than the frame before it")
    out = canvas.copy() if n_moved else canvas  # moved tiles come from the frame before: keep it whole
    h = canvas.shape[0]
    for r, c, d in moved.tolist():
        y, x = r * _TILE, c * _TILE
        if not 0 <= y + d <= h - _TILE:
            raise ValueError("a moved tile from outside the frame")
        out[y:y + _TILE, x:x + _TILE] = canvas[y + d:y + d + _TILE, x:x + _TILE]
    if n_new:
        mosaic = _decode_image(payload[pos:], "")
        cols = mosaic.shape[1] // _TILE
        if cols < 1 or -(-n_new // cols) * _TILE > mosaic.shape[0]:
            raise ValueError("a mosaic too small for its tiles")
        for i, (r, c) in enumerate(new.tolist()):
            tile = mosaic[(i // cols) * _TILE:(i // cols + 1) * _TILE, (i % cols) * _TILE:(i % cols + 1) * _TILE]
            out[r * _TILE:(r + 1) * _TILE, c * _TILE:(c + 1) * _TILE] = tile
    return out, (width, height)


def _pad(pixels: np.ndarray) -> np.ndarray:
    ph, pw = -pixels.shape[0] % _TILE, -pixels.shape[1] % _TILE
    if not (ph or pw):
        return pixels.copy()
    return np.pad(pixels, ((0, ph), (0, pw), (0, 0)), mode="edge")


def _crop(padded: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return np.ascontiguousarray(padded[: shape[0], : shape[1]])


def _decode_image(data: bytes, frame_id: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            return np.asarray(im if im.mode == "RGB" else im.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        if not frame_id:
            raise ValueError(f"an image that does not decode: {exc}") from None
        raise StoreError(f"frame {frame_id} is damaged: its image does not decode") from None


def _read(path: Path, frame_id: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FrameMissing(f"frame {frame_id} is not kept (pruned, forgotten, or never kept)") from None
    except OSError as exc:
        raise StoreError(f"could not read frame {frame_id}: {exc.strerror or exc}") from exc


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _release(fd: int) -> int:
    """Where a chunk is locked (POSIX), keep it open and locked while it is replaced: a writer
    that waited for it then sees it gone. Elsewhere close it: Windows replaces no open file."""
    if fcntl is not None:
        return fd
    os.close(fd)
    return -1


def _lock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)


def _write_error(exc: OSError, folder: Path) -> StoreError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(f"the disk is full: could not write a frame in {folder}")
    return StoreError(f"could not write a frame in {folder}: {exc.strerror or exc}")
