"""A recommended model downloading in the background for the window (onboarding and Settings).

A download takes minutes, so it gets its own thread rather than a job on the app's worker (which
must stay free for questions and searches). Progress and the outcome come back as queued signals
on the GUI thread. The transfer itself is `app.models.download_model`, the same as the CLI's.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal

from app import models
from app.downloads import DownloadCancelled
from app.errors import AppError
from app.models import CatalogEntry
from app.paths import Paths
from app.worker import describe

log = logging.getLogger(__name__)


class ModelDownload(QObject):
    """One download; `start()` it, `cancel()` it (the part downloaded so far is kept to resume).

    Give it a parent widget: the thread then never holds the last reference to the Qt object."""

    progressed = Signal(object)  # app.downloads.DownloadProgress
    finished = Signal(object)  # Path of the installed, checked model
    failed = Signal(str)  # one line for the user
    cancelled = Signal()

    def __init__(self, paths: Paths, entry: CatalogEntry, parent: QObject) -> None:
        super().__init__(parent)
        self.paths = paths
        self.entry = entry
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="engram-model-download", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; False if it is still running after `timeout` seconds."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running()

    def _run(self) -> None:
        try:
            path = models.download_model(self.paths, self.entry, self._progress, self._cancel.is_set)
        except DownloadCancelled:
            self._emit(self.cancelled)
        except AppError as exc:
            self._emit(self.failed, str(exc))
        except Exception as exc:  # reported to the user, never lost
            log.exception("model download failed")
            self._emit(self.failed, describe(exc))
        else:
            self._emit(self.finished, path)

    def _progress(self, progress) -> None:
        if not self._cancel.is_set():
            self.progressed.emit(progress)

    @staticmethod
    def _emit(signal, *args) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the window went away meanwhile: nobody is listening
            pass
