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
    """The app's single worker thread (Vorta's jobs manager, smaller).

    The worker thread never holds the last reference to a job's callbacks or arguments (often
    bound methods of widgets): Qt objects must be released on the GUI thread. So jobs live in a
    table owned by the GUI thread; the worker gets copies of the references, drops them before it
    reports, and a second queued signal tells the GUI thread when the job may be forgotten."""

    job_failed = Signal(str, str)  # job name, one-line message (for jobs without `failed`)
    busy_changed = Signal(bool)
    _delivered = Signal(int, object, object)  # job id, result, error: worker thread -> GUI thread
    _released = Signal(int)  # job id: the worker thread holds nothing of it any more

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: queue.Queue = queue.Queue()
        self._jobs: dict[int, Job] = {}
        self._next = 0
        self._lock = threading.Lock()
        self._delivered.connect(self._deliver)
        self._released.connect(self._release)
        self._thread = threading.Thread(target=self._run, name="engram-worker", daemon=True)
        self._thread.start()

    def submit(self, name: str, fn: Callable[..., Any], *args: Any, done: Callable[[Any], None] | None = None,
               failed: Callable[[Exception], None] | None = None, **kwargs: Any) -> Job:
        """Queue `fn(*args, **kwargs)`; `done(result)` or `failed(error)` follow on the GUI thread."""
        job = Job(name, fn, args, kwargs, done, failed)
        with self._lock:
            self._next += 1
            number = self._next
            self._jobs[number] = job
            first = len(self._jobs) == 1
        if first:
            self.busy_changed.emit(True)
        self._queue.put((number, fn, args, kwargs))
        return job

    def busy(self) -> bool:
        with self._lock:
            return any(not j.finished for j in self._jobs.values())

    def stop(self, timeout: float = 5.0) -> bool:
        """Finish the running job, drop the queued ones, and end the thread; False on timeout."""
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        with self._lock:
            for job in self._jobs.values():
                job.cancel()
        self._queue.put(_STOP)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _cancelled(self, number: int) -> bool:
        with self._lock:
            return self._jobs[number].cancelled

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            number, fn, args, kwargs = item
            del item
            result = error = None
            if not self._cancelled(number):
                try:
                    result = fn(*args, **kwargs)
                except Exception as exc:  # reported to the GUI thread, never lost
                    if not isinstance(exc, AppError):
                        log.exception("job %d failed", number)
                    error = exc
            del fn, args, kwargs
            self._delivered.emit(number, result, error)
            del result, error
            self._released.emit(number)

    def _deliver(self, number: int, result: Any, error: Exception | None) -> None:
        with self._lock:
            job = self._jobs[number]
        job.finished = True
        if job.cancelled:
            return
        if error is None:
            if job.done is not None:
                job.done(result)
        elif job.failed is not None:
            job.failed(error)
        else:
            self.job_failed.emit(job.name, describe(error))

    def _release(self, number: int) -> None:
        with self._lock:
            job = self._jobs.pop(number, None)
            idle = not self._jobs
        del job  # the last reference to the job's callbacks and arguments goes here, on the GUI thread
        if idle:
            self.busy_changed.emit(False)


def describe(error: Exception) -> str:
    """One line for the user: an AppError says it itself; anything else says what broke."""
    if isinstance(error, AppError):
        return str(error)
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
