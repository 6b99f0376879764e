"""The capture daemon: screen -> change detection -> privacy gate -> OCR worker -> raw log.

Three threads and one process, all owned here:
- the capture thread grabs each monitor every `interval` seconds, skips what did not change,
  and puts changed frames on a bounded queue (never blocking: a full queue counts a drop);
- the index thread sends each queued frame to the OCR worker process, keeps the text of each
  window, redacts secrets and stores new text (and the frame, when kept) in the encrypted store;
- the heartbeat thread polls the cross-process pause setting, writes the daemon's health into
  the store (so `engram status` in another process sees it), and prunes old frames.

The OCR worker is a separate process (`capture.ocr.serve`); when it dies it is restarted and the
error recorded. A full disk pauses capture with a clear status; nothing already read is lost.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import multiprocessing
import os
import queue
import re
import secrets
import shutil
import socket
import struct
import sys
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from capture import (
    CaptureSettings,
    Change,
    ChangeDetector,
    Frame,
    FrameSource,
    Monitor,
    MssFrameSource,
    OcrJob,
    OcrResult,
    PrivacyGate,
    Region,
    ScreenError,
    TextLine,
    WindowInfo,
    active_window,
    idle_seconds,
    redact,
    release,
    screen_problem,
    screen_warning,
    secret_lines,
    serve,
    visible_windows,
    wayland_only,
)
from memory import DiskFull, FrameStore, NewObservation, PruneReport, StoreError

SETTINGS_KEY = "capture"
HEALTH_KEY = "capture_health"
PAUSE_KEY = "capture_pause"
WINDOW_PROCESS_KEY = "capture_window_process"  # the desktop app's process: its windows are never captured
BEAT_FILE = "capture.beat"  # the heartbeat's reserved slot beside the database (see _BeatSlot)
LOW_DISK_BYTES = 64 * 1024 * 1024  # below this, a silent daemon is taken to be stopped by a full disk
HEARTBEAT_SECONDS = 5.0
DISK_FULL_RETRY_SECONDS = 60.0
OCR_TIMEOUT_SECONDS = 120.0  # one job taking longer than this means the worker hangs
WORKER_START_SECONDS = 120.0
PRUNE_EVERY_SECONDS = 3600.0
HOUR = 3600.0
STALL_SECONDS = 5.0  # a grab takes milliseconds: a capture thread silent this long is stuck
_KNOWN_LINES = 5000  # per window: lines already stored, so text that comes back is not stored again
_UNSAVED = 64  # observations kept in memory while the disk is full
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


# -- settings, pause and status across processes --------------------------------------------------
def load_capture_settings(engram) -> CaptureSettings:
    """The capture settings stored in `engram` (defaults where none are stored)."""
    data = engram.store.setting(SETTINGS_KEY, None)
    if not isinstance(data, dict):
        return CaptureSettings()
    try:
        return CaptureSettings.from_dict(data)
    except (TypeError, ValueError):
        return CaptureSettings()


def save_capture_settings(engram, settings: CaptureSettings) -> None:
    engram.store.set_setting(SETTINGS_KEY, settings.to_dict())


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


def pause_capture(engram, seconds: float | None = None) -> datetime | None:
    """Pause capture (for `seconds`, or until resumed) in every process using this data
    directory: the running daemon polls this setting. Returns when the pause ends (None: never)."""
    until = None if seconds is None else _now() + timedelta(seconds=seconds)
    engram.store.set_setting(PAUSE_KEY, {"until": _iso(until), "at": _iso(_now())})
    return until


def resume_capture(engram) -> None:
    engram.store.set_setting(PAUSE_KEY, None)


def _read_pause(value: object) -> tuple[bool, datetime | None]:
    """(paused?, until) from the stored pause setting."""
    if not isinstance(value, dict):
        return False, None
    until = _parse(value.get("until"))
    if until is None:
        return True, None
    return until > _now(), until


def record_window_process(engram) -> None:
    """Note that this process shows Engram's windows (the desktop app), so that a capture daemon
    in another process ('engram capture') never captures them either."""
    engram.store.set_setting(WINDOW_PROCESS_KEY, {"pid": os.getpid(), "host": socket.gethostname()})


def forget_window_process(engram) -> None:
    record = engram.store.setting(WINDOW_PROCESS_KEY, None)
    if isinstance(record, dict) and record.get("pid") == os.getpid():
        engram.store.set_setting(WINDOW_PROCESS_KEY, None)


def own_processes(engram) -> frozenset[int]:
    """The processes whose windows capture skips: this one, and the desktop app's when it runs here."""
    pids = {os.getpid()}
    record = engram.store.setting(WINDOW_PROCESS_KEY, None)
    if isinstance(record, dict) and record.get("host") == socket.gethostname() and not _pid_gone(record):
        with contextlib.suppress(TypeError, ValueError):
            pids.add(int(record["pid"]))
    return frozenset(pids)


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


def _free_bytes(engram) -> int | None:
    try:
        return shutil.disk_usage(engram.paths.root).free
    except OSError:
        return None


def _size(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def _disk_full_text(engram) -> str:
    free = _free_bytes(engram)
    where = f"{_size(free)} free on the disk of {engram.paths.root}" if free is not None else \
        f"the disk of {engram.paths.root} is full"
    return (f"paused: disk full ({where}). Free some space, or keep fewer frames (Settings › Capture, "
            f"retention); capture retries every {DISK_FULL_RETRY_SECONDS:.0f} s, or run 'engram resume'")


def _state_text(engram, health: dict, until: datetime | None) -> str:
    """What the daemon is doing, in words, from its heartbeat's state and reason."""
    state = str(health.get("state") or "unknown")
    detail = str(health.get("detail") or "")
    reason = str(health.get("reason") or "")
    if reason == Reason.DISK_FULL:
        return _disk_full_text(engram)
    if reason == Reason.USER:
        until = _parse(health.get("paused_until")) or until
        return f"paused by you {_until_text(until)} (resume with 'engram resume' or the tray menu)"
    if reason == Reason.IDLE:
        return f"idle: {detail or 'no input for a while'}; capture resumes at the next input"
    if reason == Reason.LOCKED:
        return "idle: the screen is locked; capture resumes when it is unlocked"
    if reason in (Reason.PRIVATE, Reason.OWN, Reason.APP, Reason.TITLE):
        return f"not capturing: {detail}" if detail else "not capturing: an excluded window is in front"
    return state + (f": {detail}" if detail else "")


def capture_status_lines(engram) -> dict[str, object]:
    """What `engram status` shows about capture, read from the daemon's heartbeat."""
    lines: dict[str, object] = {}
    problem = screen_problem() if wayland_only() else screen_warning()
    if problem:
        lines["display"] = problem
    health = _latest_beat(engram)
    paused, until = _read_pause(engram.store.setting(PAUSE_KEY, None))
    if not isinstance(health, dict):
        lines["capture"] = "never ran (start it with 'engram capture' or the tray app)"
        if paused:
            lines["capture"] += f"; paused {_until_text(until)}"
        return _with_url_note(lines)
    updated = _parse(health.get("updated_at"))
    age = (_now() - updated).total_seconds() if updated else None
    beat = float(health.get("heartbeat_seconds") or HEARTBEAT_SECONDS)
    interval = float(health.get("interval") or 0)
    state = str(health.get("state") or "unknown")
    if not health.get("running"):
        lines["capture"] = f"stopped {_ago(age)}" if age is not None else "stopped"
    elif age is None or age > max(30.0, 3 * beat + 2 * interval):
        gone = _pid_gone(health)
        free = _free_bytes(engram)
        if not gone and free is not None and free < LOW_DISK_BYTES:
            # Neither the database nor the slot took a heartbeat: the disk is the likely cause.
            lines["capture"] = _disk_full_text(engram) + \
                f" (no heartbeat from pid {health.get('pid')} for {_ago(age, bare=True)})"
        else:
            lines["capture"] = (f"STALLED: no heartbeat from the capture daemon (pid {health.get('pid')}) "
                                f"for {_ago(age, bare=True)}" + ("; that process is gone" if gone else "")
                                + f" (it last said: {state})")
    else:
        lines["capture"] = _state_text(engram, health, until) + \
            f" (pid {health.get('pid')}, heartbeat {_ago(age)})"
    if paused and "paused" not in str(lines["capture"]):
        lines["capture"] = f"{lines['capture']}; paused {_until_text(until)}"
    share = health.get("indexed_share")
    lines["health"] = ("no active time in the last hour" if share is None else
                       f"{float(share):.0%} of active time in the last hour captured and indexed")
    if not health.get("running"):
        lines["health"] += " (when it last ran)"
    lines["queue"] = f"{health.get('queue_depth', 0)} waiting, {health.get('dropped', 0)} dropped"
    last = _parse(health.get("last_capture"))
    lines["last capture"] = last.astimezone().strftime("%Y-%m-%d %H:%M:%S") if last else "none"
    if health.get("last_error"):
        at = _parse(health.get("last_error_at"))
        lines["last error"] = str(health["last_error"]) + (
            f" ({at.astimezone().strftime('%H:%M:%S')})" if at else "")
    return _with_url_note(lines)


def _with_url_note(lines: dict[str, object]) -> dict[str, object]:
    if sys.platform.startswith("linux"):  # said plainly rather than guessed
        lines["browser URLs"] = ("not available on X11 (browsers do not publish their address); one is "
                                 "kept only when the window title shows it")
    return lines


def _until_text(until: datetime | None) -> str:
    return "until resumed" if until is None else f"until {until.astimezone().strftime('%H:%M:%S')}"


def _ago(seconds: float | None, bare: bool = False) -> str:
    if seconds is None:
        return "an unknown time" if bare else "at an unknown time"
    s = max(0, int(seconds))
    text = f"{s} s" if s < 120 else f"{s // 60} min" if s < 7200 else f"{s // 3600} h"
    return text if bare else f"{text} ago"


def _pid_gone(health: dict) -> bool:
    if health.get("host") != socket.gethostname():
        return False
    try:
        os.kill(int(health.get("pid") or 0), 0)
    except ProcessLookupError:
        return True
    except (OSError, ValueError):
        return False
    return False


def _disk_full(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says the disk or quota is full."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, DiskFull):
            return True
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if "disk is full" in str(exc) or "No space left" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def prune_frames(engram, frames: FrameStore, settings: CaptureSettings) -> PruneReport:
    """Apply the retention limits (days, GB) to kept frames. The observations that showed a
    deleted frame lose the link first and say "retention", so the timeline never points at a
    missing file; links to files already gone (an older Engram pruned them) are cleared too."""
    report = frames.prune(max_age_days=settings.retention_days or None,
                          max_bytes=int(settings.retention_gb * 1e9) if settings.retention_gb else None,
                          unlink=lambda ids: engram.store.unlink_frames(ids, "retention"))
    missing = engram.store.linked_frames() - set(frames.ids())
    if missing:
        engram.store.unlink_frames(sorted(missing), "missing")
    return report


# -- internal values --------------------------------------------------------------------------------
@dataclass
class _Tick:
    at: float  # monotonic
    seconds: float
    pending: int = 0
    failed: bool = False


@dataclass
class _Job:
    seq: int
    tick: _Tick
    kind: Change
    frame: Frame
    window: WindowInfo
    window_key: str
    regions: tuple[Region, ...]
    retried: bool = False


@dataclass(frozen=True)
class _Kept:
    stream: str  # one a monitor: its frames are stored as changes from the one before
    pixels: np.ndarray


class _WorkerCrashed(Exception):
    pass


@dataclass
class _WindowText:
    """The text last read in one window, and the lines of it already stored."""

    lines: list[TextLine] = field(default_factory=list)
    stored: OrderedDict[str, None] = field(default_factory=OrderedDict)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _cut(box: Region, band: Region, frame_height: int) -> bool:
    top_cut = band.y > 0 and box.y <= band.y + 1
    bottom_cut = band.y + band.height < frame_height and box.y + box.height >= band.y + band.height - 1
    return top_cut or bottom_cut


def _centred_in(box: Region, band: Region) -> bool:
    cy = box.y + box.height // 2
    return band.y <= cy < band.y + band.height and box.overlaps(band)


def _reading_order(lines: list[TextLine]) -> list[TextLine]:
    return sorted(lines, key=lambda ln: (ln.box.y // 12, ln.box.x))


# -- the daemon -------------------------------------------------------------------------------------
class CaptureDaemon:
    """Captures the screen into `engram` until stopped.

    Callbacks `on_state_changed(state)` and `on_observation(observation_id)` are called from the
    daemon's threads (a GUI must hand them over to its own thread)."""

    def __init__(self, engram, settings: CaptureSettings | None = None,
                 frame_source: FrameSource | None = None,
                 window_query: Callable[[], WindowInfo] | None = None, *,
                 idle_query: Callable[[], float] | None = None,
                 visible_query: Callable[[], list[WindowInfo]] | None = None,
                 caption: Callable[[np.ndarray], str] | None = None) -> None:
        self.engram = engram
        self._caption = caption  # a vision model's words for a frame (app.vision), when one is configured
        self.settings = settings or load_capture_settings(engram)
        self.on_state_changed: Callable[[CaptureState], None] | None = None
        self.on_observation: Callable[[int], None] | None = None
        self.stats = CaptureStats()
        self._real_screen = frame_source is None
        self._source: FrameSource = frame_source or MssFrameSource()
        real_windows = window_query is None
        self._window_query = window_query or active_window
        self._visible_query = visible_query or (visible_windows if real_windows else list)
        self._idle_query = idle_query or (idle_seconds if real_windows else (lambda: 0.0))
        self._own_pids = frozenset({os.getpid()})  # and the desktop app's, polled (own_processes)
        self._gate = self._make_gate(self.settings)
        self._frames = FrameStore(engram.paths.frames, engram.data_key)
        self._slot = _BeatSlot(engram.paths.root, engram.data_key)
        self._detector = ChangeDetector()
        self._queue: queue.Queue[_Job] = queue.Queue(maxsize=self.settings.queue_size)
        self._lock = threading.RLock()
        self._pause_lock = threading.Lock()  # the stored pause and its copy here change together
        self._save_lock = threading.Lock()
        self._reread: set[int] = set()  # monitors to read in full on the next grab
        self._closing = False
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._session = secrets.token_hex(4)
        self._seq = 0
        self._state = CaptureState.PAUSED
        self._detail = "not started"
        self._reason = Reason.STOPPED
        self._running = False
        self._pause_until: float | None | bool = False  # False: not paused; None: until resumed
        self._pause_until_wall: datetime | None = None
        self._pause_local = False  # paused here, but the stored setting could not be written
        self._disk_full_until = 0.0
        self._unsaved: deque[tuple[NewObservation, _Kept | None]] = deque(maxlen=_UNSAVED)
        self._ticks: deque[_Tick] = deque()
        self._last_active_tick = 0.0
        self._last_tick = 0.0
        self._last_progress = 0.0
        self._last_capture: datetime | None = None
        self._last_error = ""
        self._last_error_at: datetime | None = None
        self._dropped = 0
        self._frames_seen = 0
        self._skipped = 0
        self._observations = 0
        self._restarts = 0
        self._texts: OrderedDict[str, _WindowText] = OrderedDict()
        self._worker = None
        self._conn = None
        self._mp = multiprocessing.get_context("spawn")
        self._started_at: datetime | None = None

    # -- public interface --------------------------------------------------------------------
    def start(self) -> None:
        """Start capturing (in background threads). Does nothing if already running."""
        with self._lock:
            if self._running:
                return
            self._running = True
            self._closing = False
            self._stop.clear()
            self._started_at = _now()
            self._last_tick = self._last_progress = time.monotonic()
        with contextlib.suppress(OSError):
            self._slot.reserve()
        self._poll_own_windows()
        self._poll_pause()
        if self._paused():
            self._set_state(CaptureState.PAUSED, "paused by the user", Reason.USER)
        else:
            self._set_state(CaptureState.CAPTURING, "")
        for name, target in (("engram-capture", self._capture_loop),
                             ("engram-index", self._index_loop),
                             ("engram-heartbeat", self._heartbeat_loop)):
            t = threading.Thread(target=target, name=name, daemon=True)
            self._threads.append(t)
            t.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Stop capturing; frames already queued are indexed first (for up to `timeout` s)."""
        with self._lock:
            if not self._running:
                return
            self._running = False
        self._stop.set()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.1, deadline - time.monotonic()))
        self._closing = True
        for t in self._threads:
            t.join(5.0)
        self._threads = []
        self._stop_worker()
        if self._unsaved:
            try:
                with self._save_lock:
                    self._flush_unsaved()
            except StoreError as exc:
                self._record_error(f"{len(self._unsaved)} observations could not be saved: {exc}")
        self._set_state(CaptureState.PAUSED, "capture is stopped", Reason.STOPPED)
        self._write_health(running=False)

    def pause(self, seconds: float | None = None) -> None:
        """Pause capture for `seconds`, or until `resume()` when None. Also seen by other
        processes (`engram status`, a daemon started elsewhere on the same data)."""
        with self._pause_lock:
            with self._lock:
                self._pause_until = None if seconds is None else time.monotonic() + seconds
                self._pause_until_wall = None if seconds is None else \
                    _now() + timedelta(seconds=seconds)
            try:
                pause_capture(self.engram, seconds)
                self._pause_local = False
            except StoreError as exc:  # e.g. a full disk: the pause still holds in this process
                self._pause_local = True
                self._record_error(f"could not save the pause: {exc}")
        self._set_state(CaptureState.PAUSED, "paused by the user", Reason.USER)

    def resume(self) -> None:
        """Resume after `pause()`, after a full disk, or after `engram pause`."""
        with self._pause_lock:
            with self._lock:
                self._pause_until = False
                self._pause_until_wall = None
                self._disk_full_until = 0.0
            self._pause_local = False
            try:
                resume_capture(self.engram)
            except StoreError as exc:
                self._record_error(f"could not save the resume: {exc}")
        if self._running:
            self._set_state(CaptureState.CAPTURING, "")

    def state(self) -> CaptureState:
        with self._lock:
            if self._running and self._stalled():
                return CaptureState.STALLED
            return self._state

    def health(self) -> CaptureHealth:
        with self._lock:
            share, active = self._share()
            state = self.state()
            detail, reason = self._detail, self._reason
            if state is CaptureState.STALLED:
                detail, reason = self._stall_reason(), Reason.NONE
            return CaptureHealth(
                state=state, detail=detail, reason=reason, indexed_share=share, active_seconds=active,
                queue_depth=self._queue.qsize(), dropped=self._dropped, last_error=self._last_error,
                last_error_at=self._last_error_at, last_capture=self._last_capture,
                paused_until=self._pause_until_wall if self._pause_until is not False else None,
                frames=self._frames_seen, skipped=self._skipped, observations=self._observations,
                ocr_restarts=self._restarts)

    def update_settings(self, settings: CaptureSettings) -> None:
        """Use new settings from the next grab on (the queue size stays as it was)."""
        with self._lock:
            self.settings = settings
            self._gate = self._make_gate(settings)

    def _make_gate(self, settings: CaptureSettings) -> PrivacyGate:
        return PrivacyGate(settings.excluded_apps, settings.excluded_titles, self._own_pids)

    def _poll_own_windows(self) -> None:
        """Follow the desktop app's process (it may start or stop while this daemon runs)."""
        try:
            pids = own_processes(self.engram)
        except StoreError:
            return
        with self._lock:
            if pids != self._own_pids:
                self._own_pids = pids
                self._gate = self._make_gate(self.settings)

    @property
    def ocr_worker_pid(self) -> int | None:
        w = self._worker
        return w.pid if w is not None and w.is_alive() else None

    # -- state ---------------------------------------------------------------------------------
    def _set_state(self, state: CaptureState, detail: str, reason: Reason = Reason.NONE) -> None:
        with self._lock:
            changed = state is not self._state
            self._state, self._detail, self._reason = state, detail, reason
        if changed and self.on_state_changed is not None:
            try:
                self.on_state_changed(state)
            except Exception as exc:  # a broken listener must not stop capture
                self._record_error(f"the state listener failed: {exc}")

    def _record_error(self, message: str) -> None:
        with self._lock:
            self._last_error = message
            self._last_error_at = _now()

    def _stall_limit(self) -> float:
        return max(STALL_SECONDS, 4 * self.settings.interval)

    def _stalled(self) -> bool:
        now = time.monotonic()
        if now - self._last_tick > self._stall_limit():
            return True
        return self._queue.qsize() > 0 and now - self._last_progress > OCR_TIMEOUT_SECONDS + 30

    def _stall_reason(self) -> str:
        now = time.monotonic()
        if now - self._last_tick > self._stall_limit():
            return f"the capture thread has not grabbed for {now - self._last_tick:.0f} s"
        return f"nothing was indexed for {now - self._last_progress:.0f} s with frames waiting"

    def _share(self) -> tuple[float | None, float]:
        cutoff = time.monotonic() - HOUR
        while self._ticks and self._ticks[0].at < cutoff:
            self._ticks.popleft()
        active = sum(t.seconds for t in self._ticks)
        if active <= 0:
            return None, 0.0
        done = sum(t.seconds for t in self._ticks if not t.failed and t.pending == 0)
        return done / active, active

    def _paused(self) -> bool:
        with self._lock:
            if self._pause_until is False:
                return False
            if self._pause_until is not None and time.monotonic() >= self._pause_until:
                self._pause_until = False
                self._pause_until_wall = None
                return False
            return True

    # -- capture thread ------------------------------------------------------------------------
    def _capture_loop(self) -> None:
        try:
            self._capture_until_stopped()
        finally:
            release()  # this thread's window-system connection
            self._source.close()

    def _capture_until_stopped(self) -> None:
        problem = screen_problem() if self._real_screen else None
        while not self._stop.is_set():
            started = time.monotonic()
            self._last_tick = started
            if problem:
                self._set_state(CaptureState.UNAVAILABLE, problem)
                self._active_tick(started, failed=True)
            else:
                try:
                    self._tick(started)
                except Exception as exc:  # the capture thread must survive anything
                    self._record_error(f"capture failed: {type(exc).__name__}: {exc}")
                    self._set_state(CaptureState.ERROR, f"capture failed: {exc}")
            self._last_tick = time.monotonic()
            self._stop.wait(max(0.05, self.settings.interval - (time.monotonic() - started)))

    def _active_tick(self, now: float, failed: bool = False) -> _Tick:
        with self._lock:
            gap = now - self._last_active_tick if self._last_active_tick else self.settings.interval
            tick = _Tick(now, min(gap, 2 * self.settings.interval), failed=failed)
            self._last_active_tick = now
            self._ticks.append(tick)
        return tick

    def _tick(self, now: float) -> None:
        if self._paused():
            self._set_state(CaptureState.PAUSED, "paused by the user", Reason.USER)
            self._last_active_tick = 0.0
            return
        if now < self._disk_full_until:
            self._set_state(CaptureState.PAUSED, self._disk_full_detail(), Reason.DISK_FULL)
            self._active_tick(now, failed=True)
            return
        limit = self.settings.idle_seconds
        if limit and self._idle_query() >= limit:
            self._set_state(CaptureState.IDLE, f"no input for {limit:.0f} s", Reason.IDLE)
            self._last_active_tick = 0.0
            return
        window = self._window_query()
        exclusion = self._gate.exclusion(window)
        if exclusion is not None:
            locked = exclusion.kind == "locked"
            self._set_state(CaptureState.IDLE if locked else CaptureState.EXCLUDED, exclusion.reason,
                            Reason(exclusion.kind))
            self._last_active_tick = 0.0
            return
        tick = self._active_tick(now)
        try:
            monitors = self._source.monitors()
        except ScreenError as exc:
            tick.failed = True
            self._record_error(str(exc))
            self._set_state(CaptureState.ERROR, str(exc))
            return
        chosen = [m for m in monitors if not self.settings.monitors or m.index in self.settings.monitors]
        if not chosen:
            tick.failed = True
            message = ("none of the chosen monitors is connected" if monitors
                       else "no monitor to capture")
            self._record_error(message)
            self._set_state(CaptureState.ERROR, message)
            return
        with self._lock:
            reread, self._reread = self._reread, set()
        for index in reread:
            self._detector.reset(index)
        grabs: list[tuple[Monitor, Frame, float]] = []
        for monitor in chosen:
            cpu = time.thread_time()
            try:
                frame = self._source.grab(monitor)
            except ScreenError as exc:
                tick.failed = True
                self._record_error(str(exc))
                self._detector.reset(monitor.index)
                continue
            grabs.append((monitor, frame, time.thread_time() - cpu))
        if not grabs:
            self._set_state(CaptureState.ERROR, self._last_error)
            return
        # The focus may have moved while grabbing (to an excluded window, say): then these
        # frames are not attributed to any window, and not read at all.
        if self._window_query().key != window.key:
            with self._lock:
                self._skipped += len(grabs)
                self._frames_seen += len(grabs)
            return
        hidden: list[Region] | None = None  # excluded windows on screen, asked only on a change
        for monitor, frame, grab_cpu in grabs:
            cpu = time.thread_time() - grab_cpu
            with self._lock:
                self._frames_seen += 1
                self._last_capture = frame.time
            on_this = self._window_on(window, monitor)
            key = window.key if on_this else f"monitor:{monitor.index}"
            rect = self._rect(window, monitor) if on_this else None
            change = self._detector.detect(frame, key, rect)
            if change.kind is Change.NONE:
                with self._lock:
                    self._skipped += 1
                self.stats.grab_ms["repeat" if change.repeat else "unchanged"].append(
                    (time.thread_time() - cpu) * 1000)
                continue
            if self._paused():  # paused while grabbing: what was grabbed is not read
                return
            if hidden is None:
                hidden = self._hidden_regions(window)
            frame = self._mask(frame, hidden)
            with self._lock:
                self._seq += 1
                seq = self._seq
                tick.pending += 1
            job = _Job(seq, tick, change.kind, frame, window, key, change.regions)
            try:
                self._queue.put_nowait(job)
            except queue.Full:
                with self._lock:
                    self._dropped += 1
                    tick.pending -= 1
                    tick.failed = True
                # Read this screen in full next time, so the dropped change is not lost for good.
                self._detector.reset(monitor.index)
            self.stats.grab_ms["full" if change.kind is Change.FULL else "regions"].append(
                (time.thread_time() - cpu) * 1000)
        if not self._paused():
            self._set_state(CaptureState.CAPTURING, "")

    @staticmethod
    def _window_on(window: WindowInfo, monitor: Monitor) -> bool:
        g = window.geometry
        if g is None:
            return True
        return g.overlaps(Region(monitor.left, monitor.top, monitor.width, monitor.height))

    @staticmethod
    def _rect(window: WindowInfo, monitor: Monitor) -> Region | None:
        """The window's rectangle in this monitor's frame pixels, if known and on it."""
        g = window.geometry
        if g is None or g.width <= 0 or g.height <= 0:
            return None
        local = Region(g.x - monitor.left, g.y - monitor.top, g.width, g.height).clip(
            monitor.width, monitor.height)
        return local if local.area else None

    def _hidden_regions(self, active: WindowInfo) -> list[Region]:
        """Screen rectangles of visible windows the gate excludes (not the active one: an
        excluded active window stops capture altogether)."""
        out = []
        try:
            windows = self._visible_query()
        except Exception as exc:  # a window list failure must not leak: hide nothing known
            self._record_error(f"could not list windows: {exc}")
            return []
        for w in windows:
            if w.geometry is not None and self._gate.excluded(w):
                out.append(w.geometry)
        return out

    @staticmethod
    def _mask(frame: Frame, hidden: list[Region]) -> Frame:
        if not hidden:
            return frame
        pixels = frame.pixels.copy()
        m = frame.monitor
        for r in hidden:
            local = Region(r.x - m.left, r.y - m.top, r.width, r.height).clip(frame.width, frame.height)
            if local.area:
                pixels[local.y:local.y + local.height, local.x:local.x + local.width] = 0
        return Frame(frame.monitor, frame.time, pixels)

    # -- index thread --------------------------------------------------------------------------
    def _index_loop(self) -> None:
        with contextlib.suppress(Exception):
            self._ensure_worker()  # load the models before the first frame arrives
        while True:
            try:
                job = self._queue.get(timeout=0.5)
            except queue.Empty:
                if self._stop.is_set():
                    return
                continue
            cpu = time.thread_time()
            try:
                self._index(job)
            except Exception as exc:  # the index thread must survive anything
                self._fail(job, f"indexing failed: {type(exc).__name__}: {exc}")
            finally:
                self.stats.index_ms.append((job.kind.value, (time.thread_time() - cpu) * 1000))
                self._last_progress = time.monotonic()

    def _fail(self, job: _Job, message: str) -> None:
        with self._lock:
            job.tick.pending = max(0, job.tick.pending - 1)
            job.tick.failed = True
        self._record_error(message)
        # The change was not indexed: read that screen in full next time.
        with self._lock:
            self._reread.add(job.frame.monitor.index)

    def _index(self, job: _Job) -> None:
        result = self._read(job)
        if result is None:
            return
        self.stats.ocr.append((job.kind.value, len(job.regions), result.cpu_ms, result.wall_ms))
        new_lines, all_lines = self._merge(job, result.lines)
        if new_lines:
            self._store(job, new_lines, all_lines)
        with self._lock:
            job.tick.pending = max(0, job.tick.pending - 1)

    def _read(self, job: _Job) -> OcrResult | None:
        """OCR the job's regions in the worker; restarts a crashed worker and tries once more."""
        crops = tuple(np.ascontiguousarray(job.frame.pixels[r.y:r.y + r.height, r.x:r.x + r.width])
                      for r in job.regions)
        request = OcrJob(job.seq, job.regions, crops)
        for attempt in (1, 2):
            try:
                self._ensure_worker()
                result = self._ask(request)
            except _WorkerCrashed as exc:
                self._record_error(str(exc))
                if attempt == 2:
                    self._fail(job, f"{exc}; the frame was dropped")
                    return None
                continue
            if result.error:
                self._fail(job, f"OCR error: {result.error}")
                return None
            return result
        return None

    def _ensure_worker(self) -> None:
        if self._closing:
            raise _WorkerCrashed("capture is stopping: the OCR worker is not restarted")
        w = self._worker
        if w is not None and w.is_alive():
            return
        if w is not None:
            code = w.exitcode
            self._stop_worker()
            with self._lock:
                self._restarts += 1
                restarts = self._restarts
            self._record_error(f"the OCR worker stopped (exit code {code}); restarted it")
            if restarts > 3:  # a worker that keeps dying: back off instead of spinning
                self._stop.wait(min(30.0, 2.0 ** min(restarts - 3, 5)))
        parent, child = self._mp.Pipe()
        proc = self._mp.Process(target=serve, args=(child, self.settings.ocr_threads),
                                name="engram-ocr", daemon=True)
        proc.start()
        child.close()
        self._worker, self._conn = proc, parent
        deadline = time.monotonic() + WORKER_START_SECONDS
        while time.monotonic() < deadline and not self._closing:
            if parent.poll(0.2):
                try:
                    ready = parent.recv()
                except (EOFError, OSError):
                    break
                if ready.error:
                    self._set_state(CaptureState.ERROR, ready.error)
                    raise _WorkerCrashed(f"the OCR worker cannot run: {ready.error}")
                return
            if not proc.is_alive():
                break
        raise _WorkerCrashed(f"the OCR worker did not start (exit code {proc.exitcode})")

    def _ask(self, request: OcrJob) -> OcrResult:
        conn, proc = self._conn, self._worker
        try:
            conn.send(request)
        except (BrokenPipeError, EOFError, OSError):
            raise _WorkerCrashed(f"the OCR worker died (exit code {proc.exitcode})") from None
        deadline = time.monotonic() + OCR_TIMEOUT_SECONDS
        while True:
            if conn.poll(0.1):
                try:
                    return conn.recv()
                except (EOFError, OSError):
                    proc.join(1.0)
                    raise _WorkerCrashed(f"the OCR worker died (exit code {proc.exitcode})") from None
            if not proc.is_alive():
                raise _WorkerCrashed(f"the OCR worker died (exit code {proc.exitcode})")
            if time.monotonic() > deadline:
                proc.kill()
                proc.join(5.0)
                raise _WorkerCrashed(f"the OCR worker hung for {OCR_TIMEOUT_SECONDS:.0f} s; killed it")

    def _stop_worker(self) -> None:
        proc, conn = self._worker, self._conn
        self._worker = self._conn = None
        if conn is not None:
            with contextlib.suppress(Exception):
                if proc is not None and proc.is_alive():
                    conn.send(None)
            with contextlib.suppress(Exception):
                conn.close()
        if proc is not None:
            proc.join(3.0)
            if proc.is_alive():
                proc.kill()
                proc.join(3.0)
            with contextlib.suppress(Exception):
                proc.close()

    def _merge(self, job: _Job, lines: tuple[TextLine, ...]) -> tuple[list[TextLine], list[TextLine]]:
        """Fold what was read into the window's text; returns (lines never stored before for this
        window, all the window's current lines)."""
        with self._lock:
            text = self._texts.get(job.window_key)
            if text is None:
                text = self._texts[job.window_key] = _WindowText()
                if job.kind is not Change.FULL:  # its unchanged part was forgotten: read it anew
                    self._reread.add(job.frame.monitor.index)
            self._texts.move_to_end(job.window_key)
            while len(self._texts) > 64:
                self._texts.popitem(last=False)
        if job.kind is Change.FULL:
            text.lines = list(lines)
        else:
            height = job.frame.height
            # A line cut by a band's edge is a neighbour of the change, read whole before.
            lines = tuple(ln for ln in lines if not any(_cut(ln.box, r, height) for r in job.regions))
            text.lines = [ln for ln in text.lines
                          if not any(_centred_in(ln.box, r) for r in job.regions)] + list(lines)
        new = []
        for ln in _reading_order(list(lines)):
            n = _norm(ln.text)
            if n and n not in text.stored:
                new.append(ln)
        return new, text.lines

    def _remember(self, job: _Job, lines: list[TextLine]) -> None:
        text = self._texts.get(job.window_key)
        if text is None:
            return
        for ln in lines:
            text.stored[_norm(ln.text)] = None
        while len(text.stored) > _KNOWN_LINES:
            text.stored.popitem(last=False)

    def _store(self, job: _Job, new_lines: list[TextLine], all_lines: list[TextLine]) -> None:
        text = "\n".join(ln.text for ln in new_lines)
        caption = self._describe(job.frame, all_lines)
        body, _ = redact(f"{text}\n[Screen: {caption}]" if caption else text)
        title, _ = redact(job.window.title)
        url, _ = redact(job.window.url)
        image = self._image(job.frame, all_lines) if self.settings.keep_frames else None
        obs = NewObservation(time=job.frame.time, text=body, app=job.window.app, title=title,
                             url=url, source_kind="screen",
                             source_id=f"{self._session}:{job.seq}")
        try:
            with self._save_lock:
                self._flush_unsaved()
                obs_id = self._save(obs, image)
        except StoreError as exc:
            if _disk_full(exc):
                self._unsaved.append((obs, image))
                self._on_disk_full(exc)
                with self._lock:
                    job.tick.failed = True
                self._remember(job, new_lines)  # kept in memory, saved when there is room
                return
            raise
        self._remember(job, new_lines)
        self._after_save(obs_id)

    def _save(self, obs: NewObservation, image: _Kept | None) -> int | None:
        frame_id = self._frames.keep(image.pixels, stream=image.stream) if image is not None else None
        try:
            ids = self.engram.store.add_observations([dataclasses.replace(obs, frame_id=frame_id)])
        except BaseException:
            if frame_id is not None:
                self._frames.delete(frame_id)
            raise
        return ids[0]

    def _flush_unsaved(self) -> None:
        while self._unsaved:
            obs, image = self._unsaved[0]
            obs_id = self._save(obs, image)
            self._unsaved.popleft()
            self._after_save(obs_id)

    def _after_save(self, obs_id: int | None) -> None:
        if obs_id is None:
            return
        with self._lock:
            self._observations += 1
        if self.on_observation is not None:
            try:
                self.on_observation(obs_id)
            except Exception as exc:
                self._record_error(f"the observation listener failed: {exc}")

    def _on_disk_full(self, exc: BaseException) -> None:
        with self._lock:
            self._disk_full_until = time.monotonic() + DISK_FULL_RETRY_SECONDS
        self._record_error(f"the disk is full: {exc}")
        self._set_state(CaptureState.PAUSED, self._disk_full_detail(), Reason.DISK_FULL)

    def _disk_full_detail(self) -> str:
        kept = len(self._unsaved)
        return ("the disk is full: capture is paused and retries every "
                f"{DISK_FULL_RETRY_SECONDS:.0f} s (free some space, or resume)"
                + (f"; {kept} observations wait in memory" if kept else ""))

    def _describe(self, frame: Frame, lines: list[TextLine]) -> str:
        """The vision model's caption of the frame (secrets blacked out first); "" without one."""
        if self._caption is None:
            return ""
        try:
            return self._caption(self._without_secrets(frame, lines)).strip()
        except Exception as exc:  # a caption is extra: the text is stored without it
            self._record_error(f"the vision model could not caption a frame: {exc}")
            return ""

    @staticmethod
    def _without_secrets(frame: Frame, lines: list[TextLine]) -> np.ndarray:
        """The frame's pixels with every line that holds a secret blacked out."""
        pixels = frame.pixels
        lines = _reading_order(lines)
        hidden = secret_lines([ln.text for ln in lines])
        if hidden:
            pixels = pixels.copy()
            for i in hidden:
                r = lines[i].box.clip(frame.width, frame.height)
                pixels[max(0, r.y - 2):r.y + r.height + 2, max(0, r.x - 2):r.x + r.width + 2] = 0
        return pixels

    def _image(self, frame: Frame, lines: list[TextLine]) -> _Kept:
        """The frame to keep, with every line that holds a secret blacked out (the frame store
        keeps what changed since the monitor's last kept frame)."""
        return _Kept(f"monitor {frame.monitor.index}", self._without_secrets(frame, lines))

    # -- heartbeat thread ----------------------------------------------------------------------
    def _heartbeat_loop(self) -> None:
        last_beat = last_prune = 0.0
        while not self._stop.wait(min(1.0, HEARTBEAT_SECONDS)):
            now = time.monotonic()
            self._poll_pause()
            self._poll_own_windows()
            if self._unsaved and now >= self._disk_full_until:
                self._retry_unsaved()
            if now - last_beat >= HEARTBEAT_SECONDS:
                self._write_health(running=True)
                last_beat = now
            if now - last_prune >= PRUNE_EVERY_SECONDS:
                self._prune()
                last_prune = now
        # a last word before the threads are joined
        self._write_health(running=True)

    def _poll_pause(self) -> None:
        with self._pause_lock:
            if self._pause_local:
                return
            try:
                paused, until = _read_pause(self.engram.store.setting(PAUSE_KEY, None))
            except StoreError:
                return
            with self._lock:
                if paused:
                    self._pause_until = None if until is None else \
                        time.monotonic() + (until - _now()).total_seconds()
                    self._pause_until_wall = until
                elif self._pause_until is not False:
                    self._pause_until = False
                    self._pause_until_wall = None
        if not paused and self._running and self._state is CaptureState.PAUSED \
                and time.monotonic() >= self._disk_full_until:
            self._set_state(CaptureState.CAPTURING, "")

    def _retry_unsaved(self) -> None:
        try:
            with self._save_lock:
                self._flush_unsaved()
        except StoreError as exc:
            if _disk_full(exc):
                self._on_disk_full(exc)
            else:
                self._record_error(f"could not save observations: {exc}")

    def _prune(self) -> None:
        try:
            prune_frames(self.engram, self._frames, self.settings)
        except (OSError, StoreError) as exc:
            self._record_error(f"could not prune old frames: {exc}")

    def _write_health(self, *, running: bool) -> None:
        """The heartbeat, into the database and the reserved slot (which still takes it when a
        full disk makes the database refuse it)."""
        data = self._health_record(running)
        try:
            self.engram.store.set_setting(HEALTH_KEY, data)
        except StoreError as exc:
            if _disk_full(exc):
                self._on_disk_full(exc)
                data = self._health_record(running)
        with contextlib.suppress(OSError):
            self._slot.write(data)

    def _health_record(self, running: bool) -> dict[str, object]:
        h = self.health()
        return {
            "running": running, "pid": os.getpid(), "host": socket.gethostname(),
            "state": h.state.value if running else "stopped", "detail": h.detail,
            "reason": h.reason.value if running else Reason.STOPPED.value,
            "paused_until": _iso(h.paused_until),
            "updated_at": _iso(_now()), "started_at": _iso(self._started_at),
            "heartbeat_seconds": HEARTBEAT_SECONDS, "interval": self.settings.interval,
            "indexed_share": h.indexed_share, "active_seconds": round(h.active_seconds, 1),
            "queue_depth": h.queue_depth, "dropped": h.dropped, "last_error": h.last_error[:600],
            "last_error_at": _iso(h.last_error_at), "last_capture": _iso(h.last_capture),
            "frames": h.frames, "skipped": h.skipped, "observations": h.observations,
            "ocr_restarts": h.ocr_restarts,
        }


__all__ = [
    "BEAT_FILE", "CaptureDaemon", "CaptureHealth", "CaptureSettings", "CaptureState", "CaptureStats", "Reason",
    "capture_status_lines", "forget_window_process", "load_capture_settings", "own_processes", "pause_capture",
    "prune_frames", "record_window_process", "resume_capture", "save_capture_settings",
]
