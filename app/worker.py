"""One background thread that runs small jobs in order and reports back on the GUI thread.

Model loads, questions, searches, imports and index rebuilds run here, never on the GUI thread. A
job's `done` or `failed` callback is called on the thread the Worker was created on (the GUI
thread), through a queued Qt signal.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.errors import AppError

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Job:
    """A submitted piece of work. `cancel()` drops its result (the work itself runs to its end)."""

    name: str
    fn: Callable[..., Any]
    args: tuple
    kwargs: dict
    done: Callable[[Any], None] | None = None
    failed: Callable[[Exception], None] | None = None
    cancelled: bool = field(default=False)
    finished: bool = field(default=False)

    def cancel(self) -> None:
        self.cancelled = True


_STOP = object()


class Worker(QObject):
    """The app's single worker thread (Vorta's jobs manager, smaller)."""

    job_failed = Signal(str, str)  # job name, one-line message (for jobs without `failed`)
    busy_changed = Signal(bool)
    _delivered = Signal(object, object, object)  # job, result, error: worker thread -> GUI thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: queue.Queue = queue.Queue()
        self._pending = 0
        self._lock = threading.Lock()
        self._delivered.connect(self._deliver)
        self._thread = threading.Thread(target=self._run, name="engram-worker", daemon=True)
        self._thread.start()

    def submit(self, name: str, fn: Callable[..., Any], *args: Any, done: Callable[[Any], None] | None = None,
               failed: Callable[[Exception], None] | None = None, **kwargs: Any) -> Job:
        """Queue `fn(*args, **kwargs)`; `done(result)` or `failed(error)` follow on the GUI thread."""
        job = Job(name, fn, args, kwargs, done, failed)
        with self._lock:
            self._pending += 1
            first = self._pending == 1
        if first:
            self.busy_changed.emit(True)
        self._queue.put(job)
        return job

    def busy(self) -> bool:
        with self._lock:
            return self._pending > 0

    def stop(self, timeout: float = 5.0) -> bool:
        """Finish the running job, drop the queued ones, and end the thread; False on timeout."""
        while True:
            try:
                dropped = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(dropped, Job):
                dropped.cancel()
        self._queue.put(_STOP)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is _STOP:
                return
            if job.cancelled:
                self._delivered.emit(job, None, None)
                continue
            try:
                result = job.fn(*job.args, **job.kwargs)
            except Exception as exc:  # reported to the GUI thread, never lost
                if not isinstance(exc, AppError):
                    log.exception("job %s failed", job.name)
                self._delivered.emit(job, None, exc)
            else:
                self._delivered.emit(job, result, None)

    def _deliver(self, job: Job, result: Any, error: Exception | None) -> None:
        job.finished = True
        with self._lock:
            self._pending -= 1
            idle = self._pending == 0
        try:
            if job.cancelled:
                return
            if error is None:
                if job.done is not None:
                    job.done(result)
            elif job.failed is not None:
                job.failed(error)
            else:
                self.job_failed.emit(job.name, describe(error))
        finally:
            if idle:
                self.busy_changed.emit(False)


def describe(error: Exception) -> str:
    """One line for the user: an AppError says it itself; anything else says what broke."""
    if isinstance(error, AppError):
        return str(error)
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
