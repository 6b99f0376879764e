"""The main window: a sidebar (Timeline, Ask, Memories, Settings) and the capture state."""

from __future__ import annotations

import re
import time

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.daemon import capture_status_lines
from app.session import Session
from ui import theme
from ui.ask import AskView
from ui.memories import MemoriesView
from ui.search import SearchView
from ui.settings import SettingsView
from ui.timeline import TimelineView
from ui.tray import CaptureMenu, state_text

CLOSE_QUIT, CLOSE_BACKGROUND, CLOSE_CANCEL = "quit", "background", "cancel"
PAGES = (("timeline", "Timeline"), ("search", "Search"), ("ask", "Ask"), ("memories", "Memories"),
         ("settings", "Settings"))


POLL_MS = 3000  # how often the sidebar reads capture's heartbeat
MEMORY_POLL_MS = 30_000
SETTLE_S = 2 * 5.0 + 1  # after a state change here, a heartbeat this old may still tell the state before it


def capture_line(engram) -> str | None:
    """The capture line of `engram status`, for the sidebar (without the process id and beat age);
    None when no capture daemon has written a heartbeat yet."""
    line = str(capture_status_lines(engram).get("capture", ""))
    if not line or line.startswith("never ran"):
        return None
    line = re.sub(r" \(pid \d+, heartbeat [^)]*\)", "", line)
    return line[:1].upper() + line[1:]


class CaptureBadge(QWidget):
    """The capture state under the sidebar, with a pause/resume button. The words come from capture's
    heartbeat, as `engram status` reads it (one source for both), refreshed every few seconds; a
    change made here shows at once and the heartbeat takes over when it has caught up."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._changed_at = 0.0
        self._job = None
        self.dot = QLabel()
        self.text = QLabel("")
        self.text.setWordWrap(True)
        self.text.setObjectName("muted")
        self.menu = CaptureMenu(session, self)
        self.button = QPushButton("Pause")
        self.button.clicked.connect(self._clicked)
        top = QHBoxLayout()
        top.addWidget(self.dot, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.text, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 14)
        layout.addLayout(top)
        layout.addWidget(self.button)
        session.events.capture_state_changed.connect(self._state_changed)
        self.show_state(session.capture_state())
        self._poll = QTimer(self, interval=POLL_MS, timeout=self.poll)
        self._poll.start()
        self.poll()

    def _state_changed(self, state: str) -> None:
        self._changed_at = time.monotonic()
        self.show_state(state)

    def poll(self) -> None:
        """Read the heartbeat's words (on the reader thread)."""
        if self._job is not None and not self._job.finished:
            return
        asked = time.monotonic()
        self._job = self.session.read("read capture status", capture_line,
                                      done=lambda line: self._show_line(line, asked))

    def _show_line(self, line: str | None, asked: float) -> None:
        if line is not None and asked - self._changed_at >= SETTLE_S:
            # Worded for where it is shown: the button below resumes, whether or not there is a tray.
            self.text.setText(line.replace("'engram resume' or the tray menu", "Resume below"))

    def show_state(self, state: str) -> None:
        self.dot.setPixmap(theme.state_pixmap(state, 16))
        self.text.setText(state_text(self.session, state))
        self.menu.refresh()
        paused = state == "paused"
        self.button.setText("Resume" if paused else "Pause…")
        self.button.setEnabled(self.session.capture is not None and state != "unavailable")

    def _clicked(self) -> None:
        if self.session.capture_state() == "paused":
            self.menu.resume()
        else:
            self.menu.popup(self.button.mapToGlobal(self.button.rect().bottomLeft()))


class MemoryBadge(QWidget):
    """How many observations wait to become memories (the "memory" line of `engram status`), with
    "Process now"; read when shown, when memories change, and every half minute."""

    process_requested = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.pending: int | None = None
        self._job = None
        self._again = False
        self.text = QLabel("")
        self.text.setObjectName("muted")
        self.text.setWordWrap(True)
        self.button = QPushButton("Process now")
        self.button.setToolTip("Turn the waiting observations into memories now, with the local model")
        self.button.clicked.connect(self._clicked)
        self.button.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 4, 14, 4)
        layout.addWidget(self.text)
        layout.addWidget(self.button)
        self._timer = QTimer(self, interval=MEMORY_POLL_MS, timeout=self.refresh)
        self._timer.start()
        session.events.memories_changed.connect(self._done)
        session.events.observations_changed.connect(self.refresh)
        session.events.job_failed.connect(lambda _m: self._done())

    def refresh(self) -> None:
        if self._job is not None and not self._job.finished:
            self._again = True  # a read under way may predate the change: read once more after it
            return
        self._again = False
        self._job = self.session.read("count what waits", lambda engram: engram.status(), done=self._show)

    def _show(self, status) -> None:
        if self._again:
            QTimer.singleShot(0, self.refresh)
        self.pending = status.pending_observations
        line = str(status.extra.get("memory", ""))
        self.text.setToolTip(f"Memory: {line}")
        if not self.pending:
            self.text.setText("Memories are up to date")
            self.button.hide()
            return
        n = self.pending
        self.text.setText(f"{n} observation{'s' if n != 1 else ''} wait{'' if n != 1 else 's'} to become memories")
        self.button.show()

    def _clicked(self) -> None:
        self.button.setEnabled(False)
        self.button.setText("Making memories…")
        self.process_requested.emit()

    def _done(self) -> None:
        self.button.setEnabled(True)
        self.button.setText("Process now")
        self.refresh()


class MainWindow(QMainWindow):
    """Emits `erase_requested` when the user confirmed "delete everything" in Settings."""

    erase_requested = Signal()
    quit_requested = Signal()  # Ctrl+Q, or the window closed where there is no tray to stay in
    background_chosen = Signal()  # closed without a tray, and the user chose to keep Engram running

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.quitting = False
        self.setWindowTitle("Engram")
        self.resize(1240, 800)
        self.setMinimumSize(900, 600)

        self.timeline = TimelineView(session)
        self.search = SearchView(session)
        self.ask = AskView(session)
        self.memories = MemoriesView(session)
        self.settings = SettingsView(session)
        self.pages = QStackedWidget()
        for view in (self.timeline, self.search, self.ask, self.memories, self.settings):
            self.pages.addWidget(view)

        brand = QLabel("Engram")
        brand.setFont(theme.heading_font(self.font(), 6, QFont.Weight.Bold))
        brand.setContentsMargins(18, 18, 18, 2)
        tagline = QLabel("private · on this computer")
        tagline.setObjectName("muted")
        tagline.setContentsMargins(18, 0, 18, 12)
        self.nav = QListWidget()
        self.nav.setObjectName("sidebar")
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._fill_nav()
        self.nav.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.badge = CaptureBadge(session)
        self.memory = MemoryBadge(session)
        side = QWidget()
        side.setObjectName("sidebar")
        side.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        side.setFixedWidth(210)
        column = QVBoxLayout(side)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(brand)
        column.addWidget(tagline)
        column.addWidget(self.nav, 1)
        column.addWidget(self.memory)
        column.addWidget(self.badge)

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(side)
        row.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        # The words sit beside the bar, not on it (drawn over a busy bar they were unreadable).
        self.progress_label = QLabel("")
        self.progress_label.setObjectName("muted")
        self.progress = QProgressBar(maximumWidth=160, textVisible=False)
        self.progress.setFixedHeight(10)
        self.progress.hide()
        self.progress_label.hide()
        self.statusBar().addPermanentWidget(self.progress_label)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().setSizeGripEnabled(False)

        self.ask.source_opened.connect(self.open_ref)
        self.memories.observation_opened.connect(self.open_observation)
        self.search.observation_opened.connect(self.open_observation)
        self.settings.erased.connect(self.erase_requested)
        session.events.job_failed.connect(self.show_message)
        session.worker.job_failed.connect(lambda name, message: self.show_message(f"Could not {name}: {message}"))
        session.events.progress.connect(self.show_progress)
        for n in range(len(PAGES)):
            QShortcut(QKeySequence(f"Ctrl+{n + 1}"), self, activated=lambda n=n: self.go(n))
        QShortcut(QKeySequence.StandardKey.Quit, self, activated=self.quit_requested)
        QShortcut(QKeySequence.StandardKey.Find, self, activated=lambda: self.go_to(self.search))
        self.nav.setCurrentRow(0)

    def _fill_nav(self) -> None:
        color = QColor(theme.current().text)
        self.nav.clear()
        for key, label in PAGES:
            item = QListWidgetItem(theme.nav_icon(key, color), label)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setSizeHint(QSize(0, 40))
            self.nav.addItem(item)

    def start(self) -> None:
        """Load every view's first content (on the worker)."""
        self.timeline.start()
        self.ask.start()
        self.memories.start()
        self.settings.start()
        self.memory.refresh()

    def restyle(self) -> None:
        """After a palette change: redraw the glyphs that carry colours."""
        row = self.nav.currentRow()
        self._fill_nav()
        self.nav.setCurrentRow(row)
        self.badge.show_state(self.session.capture_state())

    # -- navigation --------------------------------------------------------------------------------
    def go(self, index: int) -> None:
        self.nav.setCurrentRow(index)

    def go_to(self, view: QWidget) -> None:
        self.go(self.pages.indexOf(view))

    def open_ref(self, ref: str) -> None:
        """Open a cited source: an observation in the timeline, a memory in Memories."""
        kind, _, number = ref.partition(":")
        if kind == "obs" and number.isdigit():
            self.open_observation(int(number))
        else:
            self.memories.show_memory(ref)
            self.go_to(self.memories)

    def open_observation(self, observation_id: int) -> None:
        self.timeline.show_observation(observation_id)
        self.go_to(self.timeline)

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def show_progress(self, what: str, done: int, total: int) -> None:
        self.progress.show()
        self.progress_label.show()
        self.progress_label.setText(f"{what}: {done} of {total}" if total and done < total else what)
        self.progress.setRange(0, total or 0)
        self.progress.setValue(done)
        if total and done >= total:
            QTimer.singleShot(1500, self.progress.hide)
            QTimer.singleShot(1500, self.progress_label.hide)

    def bring_to_front(self) -> None:
        self.show()
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.raise_()
        self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:
        # With a tray icon, closing the window keeps Engram (and capture) running in the tray.
        if not self.quitting and self.property("tray") is True:
            event.ignore()
            self.hide()
            return
        if not self.quitting and self.property("tray") is False:
            # No tray on this desktop: closing would end capture without a word. Ask.
            choice = self.ask_close()
            if choice == CLOSE_CANCEL:
                event.ignore()
                return
            if choice == CLOSE_BACKGROUND:
                event.ignore()
                self.hide()
                self.background_chosen.emit()
                return
        super().closeEvent(event)
        if not self.quitting:
            self.quit_requested.emit()

    def ask_close(self) -> str:
        """Where there is no tray: quit, keep capturing with the window hidden, or cancel."""
        box = QMessageBox(QMessageBox.Icon.Question, "Close Engram",
                          "This desktop has no tray, so Engram cannot stay there when its window closes.",
                          parent=self)
        capturing = self.session.capture is not None and self.session.capture_state() != "unavailable"
        box.setInformativeText(
            ("Quitting stops capture until you open Engram again. " if capturing else "") +
            "You can keep Engram running in the background instead"
            + (", still capturing" if capturing else "") +
            ": run “engram” again (or open Engram from the applications menu) to bring this window back, "
            "and “engram pause” or “engram status” from a terminal meanwhile.")
        background = box.addButton("Keep running in the background", QMessageBox.ButtonRole.AcceptRole)
        quit_ = box.addButton("Quit Engram", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(background)
        box.exec()
        clicked = box.clickedButton()
        return CLOSE_BACKGROUND if clicked is background else CLOSE_QUIT if clicked is quit_ else CLOSE_CANCEL
