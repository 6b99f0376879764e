"""The main window: a sidebar (Timeline, Ask, Memories, Settings) and the capture state."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.session import Session
from ui import theme
from ui.ask import AskView
from ui.memories import MemoriesView
from ui.settings import SettingsView
from ui.timeline import TimelineView
from ui.tray import CaptureMenu, state_text

PAGES = (("timeline", "Timeline"), ("ask", "Ask"), ("memories", "Memories"), ("settings", "Settings"))


class CaptureBadge(QWidget):
    """The capture state under the sidebar, with a pause/resume button."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
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
        session.events.capture_state_changed.connect(self.show_state)
        self.show_state(session.capture_state())

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


class MainWindow(QMainWindow):
    """Emits `erase_requested` when the user confirmed "delete everything" in Settings."""

    erase_requested = Signal()
    quit_requested = Signal()  # Ctrl+Q, or the window closed where there is no tray to stay in

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.quitting = False
        self.setWindowTitle("Engram")
        self.resize(1240, 800)
        self.setMinimumSize(900, 600)

        self.timeline = TimelineView(session)
        self.ask = AskView(session)
        self.memories = MemoriesView(session)
        self.settings = SettingsView(session)
        self.pages = QStackedWidget()
        for view in (self.timeline, self.ask, self.memories, self.settings):
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
        column.addWidget(self.badge)

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(side)
        row.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self.progress = QProgressBar(maximumWidth=220, textVisible=True)
        self.progress.hide()
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().setSizeGripEnabled(False)

        self.ask.source_opened.connect(self.open_ref)
        self.memories.observation_opened.connect(self.open_observation)
        self.settings.erased.connect(self.erase_requested)
        session.events.job_failed.connect(self.show_message)
        session.worker.job_failed.connect(lambda name, message: self.show_message(f"Could not {name}: {message}"))
        session.events.progress.connect(self.show_progress)
        for n in range(len(PAGES)):
            QShortcut(QKeySequence(f"Ctrl+{n + 1}"), self, activated=lambda n=n: self.go(n))
        QShortcut(QKeySequence.StandardKey.Quit, self, activated=self.quit_requested)
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

    def restyle(self) -> None:
        """After a palette change: redraw the glyphs that carry colours."""
        row = self.nav.currentRow()
        self._fill_nav()
        self.nav.setCurrentRow(row)
        self.badge.show_state(self.session.capture_state())

    # -- navigation --------------------------------------------------------------------------------
    def go(self, index: int) -> None:
        self.nav.setCurrentRow(index)

    def open_ref(self, ref: str) -> None:
        """Open a cited source: an observation in the timeline, a memory in Memories."""
        kind, _, number = ref.partition(":")
        if kind == "obs" and number.isdigit():
            self.open_observation(int(number))
        else:
            self.memories.show_memory(ref)
            self.go(2)

    def open_observation(self, observation_id: int) -> None:
        self.timeline.show_observation(observation_id)
        self.go(0)

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def show_progress(self, what: str, done: int, total: int) -> None:
        self.progress.show()
        self.progress.setFormat(f"{what}: %p%" if total else what)
        self.progress.setRange(0, total or 0)
        self.progress.setValue(done)
        if total and done >= total:
            QTimer.singleShot(1500, self.progress.hide)

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
        super().closeEvent(event)
        if not self.quitting:
            self.quit_requested.emit()
