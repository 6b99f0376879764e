"""The desktop app: QApplication, one instance per data directory, onboarding or unlock, the
window, the tray, capture, and the background work that keeps memories up to date."""

from __future__ import annotations

import getpass
import hashlib
import logging
import os
import signal
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication, QMessageBox

from app import archive, models, preferences
from app.cli._common import ENV_PASSPHRASE
from app.daemon import forget_window_process, record_window_process
from app.errors import AppError
from app.events import Events
from app.paths import Paths
from app.services import Engram, ProcessingElsewhere
from app.session import CaptureControl, Session
from app.storage import running_settings
from app.worker import Worker
from ui import theme
from ui.onboarding import OnboardingWizard
from ui.tray import Tray
from ui.unlock import UnlockDialog
from ui.window import MainWindow

log = logging.getLogger(__name__)

PROCESS_EVERY_MS = 60 * 1000  # how often waiting observations are looked at
PROCESS_AT_LEAST = 20  # ...and turned into memories once this many wait,
PROCESS_AFTER = timedelta(minutes=3)  # ...or once the oldest has waited this long (first memories come soon)
JOB_BATCHES = 3  # batches per job on the worker: a question waits behind at most these
IDLE_CHECK_MS = 60 * 1000  # how often loaded models are checked for idleness (the limit is a setting)


class SingleInstance(QObject):
    """One running Engram per data directory and user: a second launch asks the first to show
    itself and ends."""

    activated = Signal()

    def __init__(self, paths: Paths, parent: QObject | None = None) -> None:
        super().__init__(parent)
        digest = hashlib.sha256(f"{getpass.getuser()}\0{paths.root}".encode()).hexdigest()[:16]
        self.name = f"engram-{digest}"
        self.server: QLocalServer | None = None

    def claim(self) -> bool:
        """True if this is the only instance (and now listens); False after waking the other one."""
        probe = QLocalSocket()
        probe.connectToServer(self.name)
        if probe.waitForConnected(500):
            probe.write(b"show\n")
            probe.flush()
            probe.waitForBytesWritten(500)
            probe.disconnectFromServer()
            return False
        QLocalServer.removeServer(self.name)  # a stale socket left by a crash
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not self.server.listen(self.name):
            log.warning("single-instance server not listening: %s", self.server.errorString())
            return True
        self.server.newConnection.connect(self._knock)
        return True

    def _knock(self) -> None:
        while self.server is not None and self.server.hasPendingConnections():
            conn = self.server.nextPendingConnection()
            conn.readyRead.connect(lambda c=conn: c.readAll())
            conn.disconnected.connect(conn.deleteLater)
            self.activated.emit()

    def release(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None


def default_capture(engram: Engram) -> CaptureControl | None:
    """The real capture daemon, started (and paused if the user chose not to capture at start)."""
    from app.daemon import CaptureDaemon, load_capture_settings
    from app.vision import frame_captioner

    daemon = CaptureDaemon(engram, running_settings(load_capture_settings(engram)),
                           caption=frame_captioner(engram))
    daemon.start()
    if not preferences.capture_at_start(engram):
        daemon.pause(None)
    return daemon


def _unlock_quietly(paths: Paths) -> Engram:
    """Unlock without asking: the key cached in the keyring, else $ENGRAM_PASSPHRASE."""
    try:
        return Engram.unlock(paths)
    except AppError:
        if not os.environ.get(ENV_PASSPHRASE):
            raise
    return Engram.unlock(paths, os.environ[ENV_PASSPHRASE], use_keyring=False)


class Controller(QObject):
    """Walks the app through its states: onboarding or unlock, then the running window."""

    session_opened = Signal(object)  # Session

    def __init__(self, app: QApplication, paths: Paths, *,
                 capture_factory: Callable[[Engram], CaptureControl | None] = default_capture,
                 show_window: bool = True, build_index: bool = True, catalog: models.Catalog | None = None,
                 idle_check_ms: int = IDLE_CHECK_MS) -> None:
        super().__init__()
        self.app = app
        self.paths = paths
        self.capture_factory = capture_factory
        self.show_window = show_window
        self.build_index = build_index
        self.catalog = catalog  # the recommended models (None: the one shipped with Engram)
        self.events = Events()
        self.worker = Worker()
        self.session: Session | None = None
        self.window: MainWindow | None = None
        self.tray: Tray | None = None
        self.dialog: OnboardingWizard | UnlockDialog | None = None
        self.kdf = None  # tests pass a cheaper Argon2id cost for onboarding
        self._processing = False
        self._process_timer = QTimer(self, interval=PROCESS_EVERY_MS, timeout=self.process_pending)
        self._idle_timer = QTimer(self, interval=idle_check_ms, timeout=self.unload_idle_models)

    # -- before the data is open -------------------------------------------------------------------
    def begin(self) -> None:
        if not self.paths.is_initialized():
            self._ask(OnboardingWizard(self.paths, self.worker, catalog=self.catalog))
            return
        # The keyring may hold the key (the user chose "remember"), or a script may pass the passphrase
        # in the environment as for the CLI: try those before asking.
        self.worker.submit("unlock", _unlock_quietly, self.paths, done=self.open_session,
                           failed=lambda _e: self._ask(UnlockDialog(self.paths, self.worker)))

    def _ask(self, dialog: OnboardingWizard | UnlockDialog) -> None:
        self.dialog = dialog
        if isinstance(dialog, OnboardingWizard):
            dialog.kdf = self.kdf
            dialog.created.connect(self.open_session)
        else:
            dialog.unlocked.connect(self.open_session)
        dialog.rejected.connect(self._gave_up)
        dialog.show()

    def _gave_up(self) -> None:
        if self.session is None:
            self.quit()

    def show_front(self) -> None:
        """A second launch (or the tray) wants Engram in front."""
        if self.window is not None:
            self.window.bring_to_front()
        elif self.dialog is not None:
            self.dialog.show()
            self.dialog.raise_()
            self.dialog.activateWindow()

    # -- running -----------------------------------------------------------------------------------
    def open_session(self, engram: Engram) -> None:
        self.dialog = None
        theme.apply(self.app, preferences.theme(engram))
        try:
            capture = self.capture_factory(engram)
        except Exception as exc:  # capture trouble must not keep the user from their data
            log.exception("capture did not start")
            self.events.job_failed.emit(f"Capture did not start: {exc}")
            capture = None
        if capture is not None:
            capture.on_state_changed = lambda state: self.events.capture_state_changed.emit(
                getattr(state, "value", str(state)))
            capture.on_observation = self.events.observation_stored.emit
        self.session = Session(engram, self.events, self.worker, capture, self.catalog)
        # Timeline and memory reads run on their own thread, so they never wait behind an answer.
        self.session.reader = Worker()
        self.session.reader.job_failed.connect(self.worker.job_failed)
        # A capture daemon in another process ('engram capture') learns to skip this process's windows.
        self.session.run("note the window's process", record_window_process,
                         failed=lambda e: log.warning("the window's process was not noted: %s", e))
        self.window = MainWindow(self.session)
        self.window.settings.theme_chosen.connect(self._theme_chosen)
        self.window.erase_requested.connect(self.erase_everything)
        self.window.quit_requested.connect(self.quit)
        self.window.memory.process_requested.connect(lambda: self.process_pending(at_least=1))
        self.tray = Tray(self.session)
        self.tray.open_requested.connect(self.show_front)
        self.tray.quit_requested.connect(self.quit)
        has_tray = self.tray.show()
        self.window.setProperty("tray", has_tray)
        if self.show_window or not has_tray:
            self.window.show()
        self.window.start()
        if self.build_index:
            self.prepare_index()
        self._process_timer.start()
        self._idle_timer.start()
        self.session_opened.emit(self.session)

    def prepare_index(self) -> None:
        """Embed what is new and load the in-memory vector index (it is never kept on disk)."""
        if self.session is None:
            return
        self.events.progress.emit("Preparing search", 0, 0)
        self.session.run("prepare the search index", lambda engram: engram.prepare_index(),
                         done=lambda n: self.events.progress.emit("Search is ready", 1, 1),
                         failed=lambda e: self.events.job_failed.emit(f"Semantic search is unavailable: {e}"))

    def _theme_chosen(self, name: str) -> None:
        theme.apply(self.app, name)
        if self.window is not None:
            self.window.restyle()

    def process_pending(self, at_least: int = PROCESS_AT_LEAST) -> None:
        """Turn waiting observations into memories, on the worker, when `at_least` have gathered
        ("Process now" asks with 1)."""
        if self.session is None or self._processing:
            return
        store = self.session.engram.store
        oldest = store.observations(pending=True, limit=1)
        waited = bool(oldest) and datetime.now(UTC) - oldest[0].time >= PROCESS_AFTER
        if store.counts().pending_observations < at_least and not waited:
            if self.window is not None:
                self.window.memory.refresh()
            return
        self._processing = True

        def done(report) -> None:
            self._processing = False
            self.events.memories_changed.emit()
            if report.batches >= JOB_BATCHES:  # more may wait: the next small job, after queued questions
                QTimer.singleShot(0, lambda: self.process_pending(at_least=1))

        def failed(error: Exception) -> None:
            self._processing = False
            if not isinstance(error, ProcessingElsewhere):  # a terminal's `engram process` is at it
                self.events.job_failed.emit(f"Memories were not updated: {error}")

        self.session.run("update memories", lambda engram: engram.process_pending(
            lambda done_, total: self.events.progress.emit("Making memories", done_, total), JOB_BATCHES),
            done=done, failed=failed)

    def unload_idle_models(self) -> None:
        """Give back the memory of a model unused for longer than the user's setting (on the worker,
        so it never races a question, and a later question loads it there again)."""
        if self.session is not None:
            self.session.run("free an idle model", models.unload_idle)

    def erase_everything(self) -> None:
        if self.session is None:
            return
        session = self.session
        self.close(keep_worker=True)

        def done(_r) -> None:
            QMessageBox.information(None, "Engram", "Everything was deleted. You can set Engram up again.")
            self.begin()

        def failed(error: Exception) -> None:
            QMessageBox.warning(None, "Engram", f"Not everything could be deleted: {error}")
            self.begin()

        self.worker.submit("delete everything", archive.erase_everything, session.engram, done=done,
                           failed=failed)

    def close(self, keep_worker: bool = False) -> None:
        """Stop capture, close the window and tray, and (unless kept) the worker and the data."""
        self._process_timer.stop()
        self._idle_timer.stop()
        session, self.session = self.session, None
        if session is not None and session.reader is not None:
            session.reader.stop()
        if session is not None and session.capture is not None:
            session.capture.stop(timeout=10)
        if self.tray is not None:
            self.tray.hide()
            self.tray.deleteLater()
            self.tray = None
        if self.window is not None:
            self.window.settings.shut_down()
            self.window.quitting = True
            self.window.close()
            self.window.deleteLater()
            self.window = None
        if not keep_worker:
            self.worker.stop()
            if session is not None:
                try:
                    forget_window_process(session.engram)
                except Exception as exc:  # a full disk, say: the daemon sees the process gone anyway
                    log.warning("the window's process was not forgotten: %s", exc)
                session.engram.close()

    def quit(self) -> None:
        self.close()
        if self.dialog is not None:
            self.dialog.close()
        self.app.quit()


def display_available() -> bool:
    """Whether a window can be shown here (a display, or a Qt platform chosen explicitly)."""
    if os.environ.get("QT_QPA_PLATFORM") or not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(paths: Paths, *, hidden: bool = False) -> int:
    """Start the desktop app; returns its exit code."""
    if not display_available():
        raise AppError("no display to show the window on (DISPLAY is not set); use the command line, "
                       "e.g. 'engram status'")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Engram")
    app.setApplicationDisplayName("Engram")
    app.setDesktopFileName("engram")  # Wayland and docks match the window to engram.desktop and its icon
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(theme.app_icon())
    theme.apply(app, "system")
    instance = SingleInstance(paths)
    if not instance.claim():
        return 0
    controller = Controller(app, paths, show_window=not hidden)
    instance.activated.connect(controller.show_front)
    app.aboutToQuit.connect(instance.release)
    # Ctrl+C or a logout's SIGTERM: stop capture and close the data cleanly. Python only sees the
    # signal when it runs, so a timer wakes it now and then.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: QTimer.singleShot(0, controller.quit))
    wake = QTimer(interval=500, timeout=lambda: None)
    wake.start()
    controller.begin()
    code = app.exec()
    controller.close()
    return code
