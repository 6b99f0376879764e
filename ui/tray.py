"""The tray icon: capture state at a glance; pause, resume, open, quit."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from app.session import Session
from ui import theme

PAUSES: tuple[tuple[str, float | None], ...] = (
    ("Pause for 15 minutes", 15 * 60.0),
    ("Pause for 1 hour", 3600.0),
    ("Pause until resumed", None),
)
STATE_TEXT = {
    "capturing": "Capturing",
    "paused": "Paused",
    "excluded": "Not capturing: an excluded app is in front",
    "idle": "Idle: you are away or the screen is locked",
    "error": "Needs attention: capture failed",
    "stalled": "Needs attention: capture has stalled",
    "unavailable": "Capture is not available here",
}


def state_text(session: Session, state: str | None = None) -> str:
    """One line on the capture state, with the end of a pause and the reason for trouble."""
    state = state or session.capture_state()
    text = STATE_TEXT.get(state, state.capitalize())
    if session.capture is None:
        return text
    health = session.capture.health()
    if state == "paused":
        if health.paused_until is not None:
            text += f" until {health.paused_until.astimezone():%H:%M}"
        elif health.detail and health.detail not in ("paused by the user", "not started"):
            text += f": {health.detail}"
        else:
            text += " until resumed"
    elif state in ("error", "stalled", "unavailable") and health.detail:
        text += f": {health.detail}"
    elif state in ("excluded", "idle") and health.detail:  # which window, or why idle
        text = {"excluded": "Not capturing", "idle": "Idle"}[state] + f": {health.detail}"
    return text


def health_text(session: Session) -> str:
    if session.capture is None:
        return ""
    share = session.capture.health().indexed_share
    return "No active time in the last hour" if share is None else \
        f"{share:.0%} of active time in the last hour captured"


class CaptureMenu(QMenu):
    """Pause and resume actions, shared by the tray and the window."""

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.pause_actions: list[QAction] = []
        for label, seconds in PAUSES:
            action = self.addAction(label)
            action.triggered.connect(lambda _=False, s=seconds: self.pause(s))
            self.pause_actions.append(action)
        self.resume_action = self.addAction("Resume capture")
        self.resume_action.triggered.connect(self.resume)
        self.refresh()

    def pause(self, seconds: float | None) -> None:
        if self.session.capture is not None:
            self.session.capture.pause(seconds)
            self.session.events.capture_state_changed.emit(self.session.capture_state())

    def resume(self) -> None:
        if self.session.capture is not None:
            self.session.capture.resume()
            self.session.events.capture_state_changed.emit(self.session.capture_state())

    def refresh(self) -> None:
        state = self.session.capture_state()
        has = self.session.capture is not None and state != "unavailable"
        for action in self.pause_actions:
            action.setEnabled(has and state != "paused")
        self.resume_action.setEnabled(has and state == "paused")


class Tray(QObject):
    """The tray icon. `available()` is False where the desktop has no tray (the window opens instead)."""

    open_requested = Signal()
    quit_requested = Signal()

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.state = ""
        self.icon = QSystemTrayIcon(self)
        self.menu = QMenu()
        self.status_action = self.menu.addAction("")
        self.status_action.setEnabled(False)
        self.health_action = self.menu.addAction("")
        self.health_action.setEnabled(False)
        self.menu.addSeparator()
        self.capture_menu = CaptureMenu(session, self.menu)
        for action in self.capture_menu.actions():
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction("Open Engram").triggered.connect(self.open_requested)
        self.menu.addSeparator()
        self.menu.addAction("Quit Engram").triggered.connect(self.quit_requested)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.menu.aboutToShow.connect(self.refresh)
        session.events.capture_state_changed.connect(self.show_state)
        self._timer = QTimer(self, interval=15_000, timeout=self.refresh)  # pauses end, health moves
        self._timer.start()
        self.show_state(session.capture_state())

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> bool:
        """Show the icon; False (and nothing shown) where there is no tray."""
        if not self.available():
            return False
        self.icon.show()
        return True

    def hide(self) -> None:
        self.icon.hide()

    def refresh(self) -> None:
        self.show_state(self.session.capture_state())

    def show_state(self, state: str) -> None:
        self.state = state
        self.icon.setIcon(theme.state_icon(state))
        text = state_text(self.session, state)
        health = health_text(self.session)
        self.status_action.setText(text)
        self.health_action.setText(health)
        self.health_action.setVisible(bool(health))
        self.icon.setToolTip(f"Engram — {text}" + (f"\n{health}" if health else ""))
        self.capture_menu.refresh()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.open_requested.emit()
