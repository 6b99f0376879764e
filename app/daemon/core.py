"""The capture daemon: screen -> change detection -> privacy gate -> OCR worker -> raw log.

Three threads and one process, all owned here:
- the capture thread grabs each monitor every `interval` seconds, skips what did not change,
  and puts changed frames on a bounded queue (never blocking: a full queue counts a drop);
- the index thread sends each queued frame to the OCR worker process (`ocr_worker`), files
  what was read under the window it was read in (`capture.reading`), redacts secrets and stores
  new text (and the frame, when kept) in the encrypted store, one observation per window;
- the heartbeat thread polls the cross-process pause setting, writes the daemon's health into
  the store (`health`; `engram status` in another process reads it), and prunes old frames.

A full disk pauses capture with a clear status; nothing already read is lost.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import queue
import secrets
import socket
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from app.daemon.health import (
    HEALTH_KEY,
    HEARTBEAT_SECONDS,
    CaptureHealth,
    CaptureState,
    CaptureStats,
    Reason,
    _BeatSlot,
    _iso,
    _now,
)
from app.daemon.ocr_worker import OCR_TIMEOUT_SECONDS, OcrWorker, WorkerCrashed
from app.daemon.owners import _process_start, own_processes
from app.daemon.pause import PAUSE_KEY, _read_pause, pause_capture, resume_capture
from app.daemon.pruning import prune_frames
from app.daemon.settings import load_capture_settings
from app.daemon.status import DISK_FULL_RETRY_SECONDS
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
    WindowText,
    active_window,
    idle_seconds,
    redact,
    redact_lines,
    release,
    screen_problem,
    secret_boxes,
    split_by_window,
    visible_parts,
    visible_windows,
)
from memory import DiskFull, FrameStore, NewObservation, StoreError

PRUNE_EVERY_SECONDS = 3600.0
HOUR = 3600.0
STALL_SECONDS = 5.0  # a grab takes milliseconds: a capture thread silent this long is stuck
_UNSAVED = 64  # observations kept in memory while the disk is full


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
    # The other windows showing on this monitor that may be captured, with their visible parts
    # in frame pixels: what is read there is filed under them, not under the active window.
    others: tuple[tuple[WindowInfo, tuple[Region, ...]], ...] = ()
    retried: bool = False


@dataclass(frozen=True)
class _Kept:
    stream: str  # one a monitor: its frames are stored as changes from the one before
    pixels: np.ndarray


@dataclass(frozen=True)
class _Stack:
    """The windows on screen at a grab: the parts to black out (excluded windows, with their
    title bars, where nothing covers them), and the other windows that may be captured."""

    hidden: tuple[Region, ...] = ()
    others: tuple[tuple[WindowInfo, tuple[Region, ...]], ...] = ()

    def on(self, monitor: Monitor) -> tuple[tuple[WindowInfo, tuple[Region, ...]], ...]:
        """The other windows' visible parts on `monitor`, in its frame pixels."""
        out = []
        for window, parts in self.others:
            moved = (Region(p.x - monitor.left, p.y - monitor.top, p.width, p.height) for p in parts)
            local = tuple(r for m in moved if (r := m.clip(monitor.width, monitor.height)).area)
            if local:
                out.append((window, local))
        return tuple(out)


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
        self._texts: OrderedDict[str, WindowText] = OrderedDict()
        self._started_at: datetime | None = None
        self._ocr = OcrWorker(lambda: self.settings.ocr_threads, self._record_error,
                              lambda error: self._set_state(CaptureState.ERROR, error), self._stop)

    # -- public interface --------------------------------------------------------------------
    def start(self) -> None:
        """Start capturing (in background threads). Does nothing if already running."""
        with self._lock:
            if self._running:
                return
            self._running = True
            self._ocr.closing = False
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
        self._ocr.closing = True
        for t in self._threads:
            t.join(5.0)
        self._threads = []
        self._ocr.stop()
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
                ocr_restarts=self._ocr.restarts)

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
        return self._ocr.pid

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
        stack: _Stack | None = None  # the windows on screen, asked only on a change
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
            if stack is None:
                stack = self._stack(window)
            frame = self._mask(frame, stack.hidden)
            with self._lock:
                self._seq += 1
                seq = self._seq
                tick.pending += 1
            job = _Job(seq, tick, change.kind, frame, window, key, change.regions, stack.on(monitor))
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

    def _stack(self, active: WindowInfo) -> _Stack:
        """The window stack now: the visible parts of the windows the gate excludes (not the
        active one: an excluded active window stops capture altogether), title bars and
        borders included, and only what no window above covers; and the other windows that
        may be captured, each with its visible part."""
        try:
            windows = self._visible_query()
        except Exception as exc:  # a window list failure must not leak: hide nothing known
            self._record_error(f"could not list windows: {exc}")
            return _Stack()
        hidden: list[Region] = []
        others: list[tuple[WindowInfo, tuple[Region, ...]]] = []
        for w, parts in zip(windows, visible_parts(windows), strict=True):
            if not parts:
                continue
            if self._gate.excluded(w):
                hidden += parts
            elif w.key != active.key and not (w.window_id and w.window_id == active.window_id):
                others.append((w, tuple(parts)))
        return _Stack(tuple(hidden), tuple(others))

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
            self._ocr.ensure()  # load the models before the first frame arrives
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
        # Each window's lines under its own app and title: one observation per window that changed.
        rest, by_window = split_by_window(result.lines, [parts for _, parts in job.others])
        views = [(job.window, job.window_key, rest, None)]
        views += [(w, w.key, by_window.get(i, []), parts) for i, (w, parts) in enumerate(job.others)]
        for n, (window, key, lines, parts) in enumerate(views):
            if n and not lines:
                continue
            new_lines, all_lines = self._merge(job, key, lines, active=n == 0)
            if new_lines:
                self._store(job, window, key, n, new_lines, all_lines, self._view(job, parts))
        with self._lock:
            job.tick.pending = max(0, job.tick.pending - 1)

    @staticmethod
    def _view(job: _Job, parts: tuple[Region, ...] | None) -> np.ndarray:
        """What of the frame belongs to one window: for the active window (`parts` None), all
        but the other captured windows' parts; for another, only its own visible parts. So each
        observation's frame shows its own window, and forgetting an app forgets its pixels."""
        pixels = job.frame.pixels
        if parts is None:
            if not job.others:
                return pixels
            pixels = pixels.copy()
            for _, others in job.others:
                for r in others:
                    pixels[r.y:r.y + r.height, r.x:r.x + r.width] = 0
            return pixels
        view = np.zeros_like(pixels)
        for r in parts:
            view[r.y:r.y + r.height, r.x:r.x + r.width] = pixels[r.y:r.y + r.height, r.x:r.x + r.width]
        return view

    def _read(self, job: _Job) -> OcrResult | None:
        """OCR the job's regions in the worker; restarts a crashed worker and tries once more."""
        crops = tuple(np.ascontiguousarray(job.frame.pixels[r.y:r.y + r.height, r.x:r.x + r.width])
                      for r in job.regions)
        request = OcrJob(job.seq, job.regions, crops)
        for attempt in (1, 2):
            try:
                self._ocr.ensure()
                result = self._ocr.ask(request)
            except WorkerCrashed as exc:
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

    def _merge(self, job: _Job, key: str, lines: list[TextLine], *, active: bool) -> tuple[
            list[TextLine], list[TextLine]]:
        """Fold what was read in one window into its text; returns (lines never stored before
        for this window, all the window's current lines)."""
        with self._lock:
            text = self._texts.get(key)
            if text is None:
                text = self._texts[key] = WindowText()
                if active and job.kind is not Change.FULL:  # its unchanged part was forgotten: read it anew
                    self._reread.add(job.frame.monitor.index)
            self._texts.move_to_end(key)
            while len(self._texts) > 64:
                self._texts.popitem(last=False)
        new = text.update(lines, job.regions, job.kind is Change.FULL, job.frame.height)
        return new, list(text.lines)

    def _remember(self, key: str, lines: list[TextLine]) -> None:
        text = self._texts.get(key)
        if text is not None:
            text.remember(lines)

    def _store(self, job: _Job, window: WindowInfo, key: str, n: int, new_lines: list[TextLine],
               all_lines: list[TextLine], pixels: np.ndarray) -> None:
        # Secrets by each line's text and by the form around it (a label beside or above).
        redacted = dict(zip(map(id, all_lines), redact_lines(all_lines), strict=True))
        text = "\n".join(redacted.get(id(ln)) or redact_lines([ln])[0] for ln in new_lines)
        hidden = secret_boxes(all_lines)
        caption = self._describe(pixels, hidden)
        body, _ = redact(f"{text}\n[Screen: {caption}]" if caption else text)
        title, _ = redact(window.title)
        url, _ = redact(window.url)
        image = self._image(job, key, pixels, hidden) if self.settings.keep_frames else None
        obs = NewObservation(time=job.frame.time, text=body, app=window.app, title=title,
                             url=url, source_kind="screen",
                             source_id=f"{self._session}:{job.seq}" + (f":{n}" if n else ""))
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
                self._remember(key, new_lines)  # kept in memory, saved when there is room
                return
            raise
        self._remember(key, new_lines)
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

    def _describe(self, pixels: np.ndarray, hidden: list[Region]) -> str:
        """The vision model's caption of the frame (secrets blacked out first); "" without one."""
        if self._caption is None:
            return ""
        try:
            return self._caption(self._without_secrets(pixels, hidden)).strip()
        except Exception as exc:  # a caption is extra: the text is stored without it
            self._record_error(f"the vision model could not caption a frame: {exc}")
            return ""

    @staticmethod
    def _without_secrets(pixels: np.ndarray, hidden: list[Region]) -> np.ndarray:
        """The pixels with every box that holds a secret blacked out (and a margin around it)."""
        if not hidden:
            return pixels
        pixels = pixels.copy()
        height, width = pixels.shape[:2]
        for box in hidden:
            r = box.clip(width, height)
            pixels[max(0, r.y - 2):r.y + r.height + 2, max(0, r.x - 2):r.x + r.width + 2] = 0
        return pixels

    def _image(self, job: _Job, window_key: str, pixels: np.ndarray, hidden: list[Region]) -> _Kept:
        """The frame to keep, with every box that holds a secret blacked out. The frame store keeps
        what changed since this window's last kept frame on this monitor: each window's frame has
        the others masked, so one stream for the monitor would store the masks' flips as changes
        (capture bench: 21.7 MB an hour stored with one stream a monitor)."""
        return _Kept(f"monitor {job.frame.monitor.index} {window_key}", self._without_secrets(pixels, hidden))

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
            "running": running, "pid": os.getpid(), "pid_start": _process_start(os.getpid()),
            "host": socket.gethostname(),
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
