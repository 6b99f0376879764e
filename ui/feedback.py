"""Small labels under forms: a muted note, and a status line (what happened, or what went wrong)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QSizePolicy

from ui import theme


def note(text: str) -> QLabel:
    """A muted, wrapping explanation."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setObjectName("muted")
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return label


class Feedback(QLabel):
    """A line under a form that says what happened (green) or went wrong (red)."""

    def __init__(self) -> None:
        super().__init__("")
        self.setWordWrap(True)

    def ok(self, text: str) -> None:
        self.setStyleSheet(f"color: {theme.current().success}")
        self.setText(text)

    def error(self, text: str) -> None:
        self.setStyleSheet(f"color: {theme.current().danger}")
        self.setText(text)

    def plain(self, text: str) -> None:
        self.setStyleSheet(f"color: {theme.current().muted}")
        self.setText(text)
