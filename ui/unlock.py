"""The unlock prompt shown on later runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.services import Engram
from app.worker import Worker, describe
from ui import theme

if TYPE_CHECKING:
    from app.paths import Paths


class UnlockDialog(QDialog):
    """Asks for the passphrase; emits `unlocked(engram)` and closes when it fits."""

    unlocked = Signal(object)

    def __init__(self, paths: Paths, worker: Worker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.worker = worker
        self._busy = False
        self.setWindowTitle("Unlock Engram")
        self.setMinimumWidth(440)
        title = QLabel("Engram is locked")
        title.setFont(theme.heading_font(self.font(), 5))
        where = QLabel(f"Your encrypted memory in {paths.root}")
        where.setObjectName("muted")
        where.setWordWrap(True)
        self.passphrase = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("Passphrase")
        self.passphrase.returnPressed.connect(self.try_unlock)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.current().danger}")
        self.error.hide()
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setProperty("primary", True)
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.try_unlock)
        quit_button = QPushButton("Quit")
        quit_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(quit_button)
        buttons.addWidget(self.unlock_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 22, 24, 18)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(where)
        layout.addSpacing(6)
        layout.addWidget(self.passphrase)
        layout.addWidget(self.error)
        layout.addSpacing(6)
        layout.addLayout(buttons)
        self.passphrase.setFocus(Qt.FocusReason.OtherFocusReason)

    def try_unlock(self) -> None:
        if self._busy:
            return
        if not self.passphrase.text():
            self._show_error("Type your passphrase.")
            return
        self._busy = True
        self.unlock_button.setEnabled(False)
        self.unlock_button.setText("Unlocking…")
        self.error.hide()
        self.worker.submit("unlock", Engram.unlock, self.paths, self.passphrase.text(),
                           done=self._unlocked, failed=self._failed)

    def _unlocked(self, engram: Engram) -> None:
        self._busy = False
        self.unlocked.emit(engram)
        self.accept()

    def _failed(self, error: Exception) -> None:
        self._busy = False
        self.unlock_button.setEnabled(True)
        self.unlock_button.setText("Unlock")
        message = describe(error)
        if "wrong passphrase" in message.lower():
            message = "Wrong passphrase. Nothing was opened or changed; try again."
        self._show_error(message)
        self.passphrase.selectAll()
        self.passphrase.setFocus()

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self.adjustSize()
