"""Choosing a passphrase: typed twice, with an honest strength hint."""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from app import archive
from ui import theme

COMMON = ("password", "passwort", "123456", "qwerty", "letmein", "welcome", "iloveyou", "admin", "engram",
          "abc123", "monkey", "dragon", "sunshine", "azerty")
LEVELS = ("very weak", "weak", "fair", "good", "strong")
MIN_LEVEL = 2  # fair: onboarding and the passphrase change refuse less


def strength(passphrase: str) -> tuple[int, str]:
    """A rough 0–4 score and a hint. Not a guarantee: it only catches the obvious."""
    p = passphrase
    if not p:
        return 0, "Four or more unrelated words make a strong passphrase that is easy to remember."
    lowered = p.lower()
    pool = 0
    pool += 26 if any(c.islower() for c in p) else 0
    pool += 26 if any(c.isupper() for c in p) else 0
    pool += 10 if any(c.isdigit() for c in p) else 0
    pool += 33 if any(not c.isalnum() for c in p) else 0
    distinct = len(set(p))
    bits = min(len(p), distinct * 2) * math.log2(max(pool, 2))
    words = [w for w in p.split() if len(w) >= 3]
    if len(words) >= 3:
        bits = max(bits, 11 * len(words))
    if any(c in lowered for c in COMMON):
        bits = min(bits, 20)
    score = 0 if bits < 28 else 1 if bits < 40 else 2 if bits < 60 else 3 if bits < 80 else 4
    if score >= 3:
        hint = "A good passphrase. Keep it somewhere safe: it cannot be recovered."
    elif any(c in lowered for c in COMMON):
        hint = "It contains a very common password; choose something less guessable."
    elif len(p) < 12:
        hint = "Longer is stronger: use 12 characters or more, or four unrelated words."
    else:
        hint = "Add another word, or mix in digits and symbols."
    return score, hint


class PassphraseFields(QWidget):
    """Passphrase, confirmation, a strength bar and a hint."""

    changed = Signal()

    def __init__(self, first_label: str = "Passphrase", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.first = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.first.setObjectName("passphrase")
        self.second = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.second.setObjectName("confirmation")
        self.meter = QProgressBar(minimum=0, maximum=4, textVisible=False)
        self.meter.setFixedHeight(8)
        self.verdict = QLabel("")
        self.hint = QLabel("")
        self.hint.setObjectName("muted")
        self.hint.setWordWrap(True)
        self.reason = QLabel("")  # why the passphrase cannot be used yet (why Next or OK is disabled)
        self.reason.setWordWrap(True)
        self.show_box = QCheckBox("Show the passphrase")
        self.show_box.toggled.connect(self._reveal)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(first_label, self.first)
        form.addRow("Again", self.second)
        form.addRow("", self.meter)
        form.addRow("", self.verdict)
        form.addRow("", self.hint)
        form.addRow("", self.reason)
        form.addRow("", self.show_box)
        self.first.textChanged.connect(self._update)
        self.second.textChanged.connect(self._update)
        self._update()

    def value(self) -> str:
        return self.first.text()

    def problem(self) -> str | None:
        """Why the passphrase cannot be used yet, or None."""
        score, _ = strength(self.first.text())
        if not self.first.text():
            return "Choose a passphrase."
        if score < MIN_LEVEL:
            return f"This passphrase is {LEVELS[score]}; choose a stronger one."
        if self.first.text() != self.second.text():
            return "The two passphrases differ." if self.second.text() else "Type the passphrase again."
        return None

    def acceptable(self) -> bool:
        return self.problem() is None

    def _reveal(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.first.setEchoMode(mode)
        self.second.setEchoMode(mode)

    def _update(self) -> None:
        s = theme.current()
        score, hint = strength(self.first.text())
        color = (s.danger, s.danger, s.warning, s.success, s.success)[score]
        self.meter.setValue(score if self.first.text() else 0)
        self.meter.setStyleSheet(
            f"QProgressBar {{ border: none; background: {s.border}; border-radius: 4px; }}"
            f"QProgressBar::chunk {{ background: {color}; border-radius: 4px; }}")
        problem = self.problem()
        # The strength, then (once) why the passphrase cannot be used yet.
        self.verdict.setText(f"Strength: {LEVELS[score]}" if self.first.text() else "")
        self.hint.setText(hint)
        self.reason.setText(f"Not yet: {problem[:1].lower()}{problem[1:]}" if problem else "")
        self.reason.setStyleSheet(f"color: {s.warning}")
        self.changed.emit()


class NewPassphraseDialog(QDialog):
    """A passphrase chosen for something that cannot be opened without it (an archive): typed
    twice, with the strength hint; OK stays disabled, saying why, until it is acceptable."""

    def __init__(self, title: str, explanation: str, ok_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        text = QLabel(explanation)
        text.setWordWrap(True)
        self.fields = PassphraseFields()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.fields.changed.connect(lambda: self.ok_button.setEnabled(self.fields.acceptable()))
        self.ok_button.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.fields)
        layout.addWidget(self.buttons)

    def accept(self) -> None:
        if self.fields.acceptable():
            super().accept()

    def passphrase(self) -> str:
        return self.fields.value()


def ask_archive_to_open(parent: QWidget, title: str) -> tuple[Path, str] | None:
    """Ask for an archive file and its passphrase (onboarding's restore, Settings' import); None
    when the user cancels either question."""
    chosen, _ = QFileDialog.getOpenFileName(parent, title, str(Path.home()),
                                            f"Engram archives (*{archive.SUFFIX});;All files (*)")
    if not chosen:
        return None
    passphrase, ok = QInputDialog.getText(parent, "Archive passphrase", "The archive's passphrase:",
                                          QLineEdit.EchoMode.Password)
    return (Path(chosen), passphrase) if ok else None
