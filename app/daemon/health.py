"""How capture is doing: its states and reasons, the health figures, and the encrypted heartbeat
the daemon writes for `engram status` in other processes (into the database, and into a slot
beside it that a full disk cannot refuse)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import struct
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HEALTH_KEY = "capture_health"
BEAT_FILE = "capture.beat"  # the heartbeat's reserved slot beside the database (see _BeatSlot)
HEARTBEAT_SECONDS = 5.0
_STATS = 10_000


class CaptureState(StrEnum):
    CAPTURING = "capturing"
    PAUSED = "paused"  # by the user, or because the disk is full (see health().detail)
    EXCLUDED = "excluded"  # an excluded app, title or private window is active
    IDLE = "idle"  # no input for a while, or the screen is locked
    ERROR = "error"  # the screen cannot be grabbed or the OCR worker cannot run
    STALLED = "stalled"  # running, but no capture or indexing progress for too long
    UNAVAILABLE = "unavailable"  # no screen to capture here (Wayland, no display)


class Reason(StrEnum):
    """Why capture is paused, idle or excluded (beside the state), so that status in another
    process can say it plainly."""

    NONE = ""
    USER = "user"  # paused by the user, until a time or until resumed
    DISK_FULL = "disk_full"
    STOPPED = "stopped"
    IDLE = "idle"  # no keyboard or mouse input for a while
    LOCKED = "locked"  # the screen is locked
    PRIVATE = "private"  # a private browsing window is in front
    OWN = "own"  # an Engram window is in front
    APP = "app"  # an excluded app is in front
    TITLE = "title"  # a window whose title matches an excluded pattern is in front


@dataclass(frozen=True)
class CaptureHealth:
    """How capture is doing. `indexed_share` is the share of active time (user present, not
    paused, not in an excluded window) in the last hour that was captured and indexed; None
    when there was no active time."""

    state: CaptureState
    detail: str = ""
    reason: Reason = Reason.NONE
    indexed_share: float | None = None
    active_seconds: float = 0.0
    queue_depth: int = 0
    dropped: int = 0
    last_error: str = ""
    last_error_at: datetime | None = None
    last_capture: datetime | None = None
    paused_until: datetime | None = None
    frames: int = 0  # frames grabbed
    skipped: int = 0  # frames that needed no OCR (unchanged, or a state already read)
    observations: int = 0
    ocr_restarts: int = 0


@dataclass
class CaptureStats:
    """Cost figures for `bench/capture.py` (CPU milliseconds, by kind of frame)."""

    grab_ms: dict[str, deque[float]] = field(default_factory=lambda: {
        k: deque(maxlen=_STATS) for k in ("unchanged", "repeat", "regions", "full")})
    ocr: deque[tuple[str, int, float, float]] = field(  # kind, regions, cpu ms, wall ms
        default_factory=lambda: deque(maxlen=_STATS))
    index_ms: deque[tuple[str, float]] = field(  # kind, cpu ms in the index thread
        default_factory=lambda: deque(maxlen=_STATS))


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.isoformat()


def _parse(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


class _BeatSlot:
    """A fixed-size file beside the database where each heartbeat is also written, in place.
    Overwriting bytes a file already holds needs no free space (on the usual, not copy-on-write,
    file systems), so when a full disk makes the database refuse every write, `engram status`
    in another process still learns that capture paused and why. Encrypted under the data key."""

    SIZE = 4096
    _AAD = b"engram capture heartbeat 1"

    def __init__(self, root, key: bytes) -> None:
        self.path = root / BEAT_FILE
        self._aead = AESGCM(key)

    def reserve(self) -> None:
        """Make the file its full size now, while there is room."""
        with contextlib.suppress(OSError):
            if self.path.stat().st_size == self.SIZE:
                return
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.pwrite(fd, bytes(self.SIZE), 0)
            os.fsync(fd)
        finally:
            os.close(fd)

    def write(self, record: dict) -> None:
        nonce = secrets.token_bytes(12)
        sealed = nonce + self._aead.encrypt(nonce, json.dumps(record).encode(), self._AAD)
        blob = struct.pack(">I", len(sealed)) + sealed
        if len(blob) > self.SIZE:
            return
        fd = os.open(self.path, os.O_WRONLY)  # never created or grown here: only reserved bytes
        try:
            os.pwrite(fd, blob.ljust(self.SIZE, b"\0"), 0)
        finally:
            os.close(fd)

    def read(self) -> dict | None:
        """The last record written, or None (no slot, half written, or another key)."""
        try:
            data = self.path.read_bytes()
            (size,) = struct.unpack(">I", data[:4])
            sealed = data[4:4 + size]
            record = json.loads(self._aead.decrypt(sealed[:12], sealed[12:], self._AAD))
        except (OSError, struct.error, ValueError, InvalidTag):
            return None
        return record if isinstance(record, dict) else None


def _latest_beat(engram) -> dict | None:
    """The newest heartbeat: from the database, or from the slot when the database could not
    take the last ones (a full disk)."""
    beats = [b for b in (engram.store.setting(HEALTH_KEY, None),
                         _BeatSlot(engram.paths.root, engram.data_key).read()) if isinstance(b, dict)]
    return max(beats, key=lambda b: _parse(b.get("updated_at")) or datetime.min.replace(tzinfo=UTC),
               default=None)
