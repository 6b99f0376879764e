"""Kept frames (screenshots): one AES-GCM encrypted file per frame, named by a random id.

The file is `EGF1` + 12-byte nonce + ciphertext; the id is the associated data, so a file
renamed to another frame's name does not decrypt. Retention prunes the oldest files first."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from memory.errors import StoreError

_MAGIC = b"EGF1"
_ID = re.compile(r"^[0-9a-f]{32}$")


class FrameMissing(StoreError):
    """No frame file has this id (never kept, pruned by retention, or forgotten)."""


class DiskFull(StoreError):
    """The disk (or the user's quota) is full: nothing was written."""


@dataclass(frozen=True)
class PruneReport:
    deleted: int
    freed_bytes: int
    kept: int
    kept_bytes: int
    ids: tuple[str, ...] = ()  # the frames deleted


class FrameStore:
    """Encrypted frame files in `folder`, under the 32-byte data `key`."""

    def __init__(self, folder: Path, key: bytes) -> None:
        if len(key) != 32:
            raise StoreError("the frame key must be 32 bytes")
        self.folder = Path(folder)
        self._aead = AESGCM(key)

    def _path(self, frame_id: str) -> Path:
        if not _ID.match(frame_id):
            raise FrameMissing(f"{frame_id!r} is not a frame id")
        return self.folder / frame_id

    def put(self, image: bytes) -> str:
        """Encrypt and write `image` (encoded image bytes); returns the new frame's id."""
        frame_id = secrets.token_hex(16)
        nonce = secrets.token_bytes(12)
        blob = _MAGIC + nonce + self._aead.encrypt(nonce, image, frame_id.encode())
        path = self._path(frame_id)
        tmp = path.with_name(path.name + ".tmp")
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
            os.replace(tmp, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.remove(tmp)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise DiskFull(f"the disk is full: could not write a frame in {self.folder}") from exc
            raise StoreError(f"could not write a frame in {self.folder}: {exc.strerror or exc}") from exc
        return frame_id

    def get(self, frame_id: str) -> bytes:
        """The image bytes of a frame; FrameMissing if there is none, StoreError if damaged."""
        try:
            blob = self._path(frame_id).read_bytes()
        except FileNotFoundError:
            raise FrameMissing(f"frame {frame_id} is not kept (pruned, forgotten, or never kept)") \
                from None
        except OSError as exc:
            raise StoreError(f"could not read frame {frame_id}: {exc.strerror or exc}") from exc
        if len(blob) < 16 + 12 + len(_MAGIC) or not blob.startswith(_MAGIC):
            raise StoreError(f"frame {frame_id} is damaged")
        try:
            return self._aead.decrypt(blob[4:16], blob[16:], frame_id.encode())
        except InvalidTag:
            raise StoreError(f"frame {frame_id} is damaged or was written under another key") \
                from None

    def delete(self, frame_id: str) -> bool:
        """Remove a frame; False if it was not there."""
        try:
            os.remove(self._path(frame_id))
        except FileNotFoundError:
            return False
        return True

    def ids(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return [p.name for p in self.folder.iterdir() if _ID.match(p.name)]

    def prune(self, *, max_age_days: float | None = None, max_bytes: int | None = None,
              now: float | None = None,
              unlink: Callable[[list[str]], object] | None = None) -> PruneReport:
        """Delete frames older than `max_age_days`, then the oldest until the rest fit in
        `max_bytes`. Ages come from file times (a frame file is written once).

        `unlink(ids)` is called with the frames about to go before any is deleted (so the
        observations that show them can say so); if it raises, nothing is deleted."""
        now = time.time() if now is None else now
        files = []
        for frame_id in self.ids():
            with contextlib.suppress(FileNotFoundError):
                st = (self.folder / frame_id).stat()
                files.append((st.st_mtime, st.st_size, frame_id))
        files.sort()
        total = sum(size for _, size, _ in files)
        doomed: list[tuple[int, str]] = []
        for mtime, size, frame_id in files:
            too_old = max_age_days is not None and now - mtime > max_age_days * 86400
            too_big = max_bytes is not None and total > max_bytes
            if not (too_old or too_big):
                break  # oldest first: the rest are newer, and they fit
            doomed.append((size, frame_id))
            total -= size
        if doomed and unlink is not None:
            unlink([frame_id for _, frame_id in doomed])
        for _, frame_id in doomed:
            self.delete(frame_id)
        # stale temp files from a crash mid-write
        if self.folder.is_dir():
            for p in self.folder.glob("*.tmp"):
                with contextlib.suppress(OSError):
                    if now - p.stat().st_mtime > 3600:
                        p.unlink()
        return PruneReport(len(doomed), sum(size for size, _ in doomed), len(files) - len(doomed), total,
                           tuple(frame_id for _, frame_id in doomed))
