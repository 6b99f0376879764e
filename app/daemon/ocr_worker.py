"""The OCR worker process (`capture.ocr.serve`), owned by the capture daemon's index thread:
started on demand, asked one job at a time, restarted when it dies (with a back-off when it
keeps dying), killed when it hangs."""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
from collections.abc import Callable

from capture import OcrJob, OcrResult, serve

OCR_TIMEOUT_SECONDS = 120.0  # one job taking longer than this means the worker hangs
WORKER_START_SECONDS = 120.0


class WorkerCrashed(Exception):
    """The worker died, hung, or could not start: the job was not read."""


class OcrWorker:
    """One OCR worker process. `on_error(message)` hears of every restart; `on_unusable(error)`
    hears when the worker cannot run at all (its models are missing, say). `stop` is waited on
    for the back-off, so that stopping capture is never held up by it."""

    def __init__(self, threads: Callable[[], int], on_error: Callable[[str], None],
                 on_unusable: Callable[[str], None], stop: threading.Event) -> None:
        self._threads = threads
        self._on_error = on_error
        self._on_unusable = on_unusable
        self._stop = stop
        self._lock = threading.Lock()
        self._proc = None
        self._conn = None
        self._mp = multiprocessing.get_context("spawn")
        self.closing = False  # set while capture stops: the worker is not restarted
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.is_alive() else None

    def ensure(self) -> None:
        """Have a worker running and ready (start or restart it); WorkerCrashed if it cannot."""
        if self.closing:
            raise WorkerCrashed("capture is stopping: the OCR worker is not restarted")
        w = self._proc
        if w is not None and w.is_alive():
            return
        if w is not None:
            code = w.exitcode
            self.stop()
            with self._lock:
                self.restarts += 1
                restarts = self.restarts
            self._on_error(f"the OCR worker stopped (exit code {code}); restarted it")
            if restarts > 3:  # a worker that keeps dying: back off instead of spinning
                self._stop.wait(min(30.0, 2.0 ** min(restarts - 3, 5)))
        parent, child = self._mp.Pipe()
        proc = self._mp.Process(target=serve, args=(child, self._threads()), name="engram-ocr", daemon=True)
        proc.start()
        child.close()
        self._proc, self._conn = proc, parent
        deadline = time.monotonic() + WORKER_START_SECONDS
        while time.monotonic() < deadline and not self.closing:
            if parent.poll(0.2):
                try:
                    ready = parent.recv()
                except (EOFError, OSError):
                    break
                if ready.error:
                    self._on_unusable(ready.error)
                    raise WorkerCrashed(f"the OCR worker cannot run: {ready.error}")
                return
            if not proc.is_alive():
                break
        raise WorkerCrashed(f"the OCR worker did not start (exit code {proc.exitcode})")

    def ask(self, request: OcrJob) -> OcrResult:
        """Send one job and wait for its answer; WorkerCrashed if the worker dies or hangs."""
        conn, proc = self._conn, self._proc
        try:
            conn.send(request)
        except (BrokenPipeError, EOFError, OSError):
            raise WorkerCrashed(f"the OCR worker died (exit code {proc.exitcode})") from None
        deadline = time.monotonic() + OCR_TIMEOUT_SECONDS
        while True:
            if conn.poll(0.1):
                try:
                    return conn.recv()
                except (EOFError, OSError):
                    proc.join(1.0)
                    raise WorkerCrashed(f"the OCR worker died (exit code {proc.exitcode})") from None
            if not proc.is_alive():
                raise WorkerCrashed(f"the OCR worker died (exit code {proc.exitcode})")
            if time.monotonic() > deadline:
                proc.kill()
                proc.join(5.0)
                raise WorkerCrashed(f"the OCR worker hung for {OCR_TIMEOUT_SECONDS:.0f} s; killed it")

    def stop(self) -> None:
        """Ask the worker to exit, and kill it if it does not."""
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
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
