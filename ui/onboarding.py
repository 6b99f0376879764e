"""First run: passphrase, what to capture, which model, and what is stored where."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app import archive, firstrun
from app.errors import AppError
from app.firstrun import FirstRun, MonitorChoice
from app.models import Catalog
from app.worker import Worker, describe
from ui import theme
from ui.model_choice import ModelChooser, automatic_text
from ui.passphrase import PassphraseFields, ask_archive_to_open
from ui.tray import Tray

if TYPE_CHECKING:
    from app.paths import Paths


def _paragraph(text: str, muted: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if muted:
        label.setObjectName("muted")
    return label


def pause_where(has_tray: bool) -> str:
    """Where this desktop lets the user pause capture."""
    return "from the tray icon" if has_tray else "from the sidebar of Engram's window (or with “engram pause”)"


class WelcomePage(QWizardPage):
    def __init__(self, paths: Paths, has_tray: bool) -> None:
        super().__init__()
        self.setTitle("Welcome to Engram")
        self.setSubTitle("A private memory of what you see on your screen.")
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        layout.addWidget(_paragraph(
            "Engram reads the text on your screen every few seconds, lays it out as a timeline of your "
            "day, and distils it into memories you can search and ask questions about."))
        where = _paragraph(firstrun.where_things_are(paths))
        where.setObjectName("where")
        layout.addWidget(where)
        self.pausing = _paragraph(
            f"You can pause capture {pause_where(has_tray)} at any time, keep apps out of it, and delete "
            "anything: one memory, an app, a time range, or everything." + ("" if has_tray else
            " This desktop has no tray: when you close the window, Engram asks whether to quit or to keep "
            "capturing in the background."), muted=True)
        layout.addWidget(self.pausing)
        self.restore_button = QPushButton("Restore from an archive…")
        self.restore_note = _paragraph("Moving from another computer, or starting over? An Engram archive "
                                       "(Settings › Data › Export) brings its observations, screenshots, "
                                       "memories and settings into the new store.", muted=True)
        row = QHBoxLayout()
        row.addWidget(self.restore_button)
        row.addStretch(1)
        layout.addSpacing(6)
        layout.addWidget(self.restore_note)
        layout.addLayout(row)
        layout.addStretch(1)


class PassphrasePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Choose a passphrase")
        self.setSubTitle("It encrypts everything Engram keeps. It cannot be recovered if you forget it.")
        self.fields = PassphraseFields()
        self.fields.changed.connect(self.completeChanged)
        self.remember = QCheckBox("Remember the key in this computer's keyring, so Engram opens without asking")
        if not firstrun.keyring_available():
            self.remember.setEnabled(False)
            self.remember.setText("Remember the key in the keyring (no keyring is available on this system)")
        layout = QVBoxLayout(self)
        layout.addWidget(self.fields)
        layout.addSpacing(8)
        layout.addWidget(self.remember)
        layout.addStretch(1)

    def isComplete(self) -> bool:
        return self.fields.acceptable()


class CapturePage(QWizardPage):
    def __init__(self, defaults: dict[str, object], monitors: list[MonitorChoice], problem: str | None) -> None:
        super().__init__()
        self.setTitle("What to capture")
        self.setSubTitle("You can change all of this later in Settings.")
        self.monitor_boxes: list[tuple[int, QCheckBox]] = []
        monitor_row = QVBoxLayout()
        if problem:
            monitor_row.addWidget(_paragraph(f"Capture cannot run here: {problem}.", muted=True))
        elif len(monitors) <= 1:
            monitor_row.addWidget(QLabel(monitors[0].label if monitors else "The whole screen"))
        else:
            for m in monitors:
                box = QCheckBox(m.label, checked=True)
                self.monitor_boxes.append((m.index, box))
                monitor_row.addWidget(box)
        self.interval = QDoubleSpinBox(minimum=1.0, maximum=120.0, decimals=0, suffix=" s")
        self.interval.setValue(float(defaults.get("interval", 3.0)))
        self.keep_frames = QCheckBox("Keep screenshots, encrypted, for")
        self.keep_frames.setChecked(bool(defaults.get("keep_frames", True)))
        self.retention = QSpinBox(minimum=1, maximum=3650, suffix=" days")
        self.retention.setValue(int(float(defaults.get("retention_days", 30))))
        self.keep_frames.toggled.connect(self.retention.setEnabled)
        keep_row = QHBoxLayout()
        keep_row.addWidget(self.keep_frames)
        keep_row.addWidget(self.retention)
        keep_row.addStretch(1)
        self.excluded = QPlainTextEdit("\n".join(defaults.get("excluded_apps", ())))
        self.excluded.setMinimumHeight(110)
        self.start_now = QCheckBox("Start capturing when Engram opens", checked=True)
        self.at_login = QCheckBox("Start Engram when I log in", checked=True)
        form = QFormLayout(self)
        form.addRow("Monitors", monitor_row)
        every_row = QHBoxLayout()  # the spin box at its own width, not across the page
        every_row.addWidget(self.interval)
        every_row.addStretch(1)
        form.addRow("Look every", every_row)
        form.addRow("Screenshots", keep_row)
        form.addRow("Never capture", self.excluded)
        form.addRow("", _paragraph("One app per line. Password managers and lock screens are there already; "
                                   "banking and private browsing windows are skipped by their title.", muted=True))
        form.addRow("", self.start_now)
        form.addRow("", self.at_login)

    def choices(self) -> dict[str, object]:
        out: dict[str, object] = {
            "interval": float(self.interval.value()),
            "keep_frames": self.keep_frames.isChecked(),
            "retention_days": float(self.retention.value()),
            "excluded_apps": tuple(a.strip() for a in self.excluded.toPlainText().splitlines() if a.strip()),
        }
        chosen = tuple(i for i, box in self.monitor_boxes if box.isChecked())
        if self.monitor_boxes and len(chosen) != len(self.monitor_boxes):
            out["monitors"] = chosen
        return out


class ModelPage(QWizardPage):
    def __init__(self, paths: Paths, catalog: Catalog) -> None:
        super().__init__()
        self.setTitle("Choose the language model")
        self.setSubTitle("It turns what you see into memories and answers your questions, on this computer.")
        self.chooser = ModelChooser(paths, catalog)
        self.chooser.changed.connect(self.completeChanged)
        layout = QVBoxLayout(self)
        layout.addWidget(self.chooser)
        layout.addStretch(1)

    def isComplete(self) -> bool:
        return self.chooser.is_complete()

    def model_path(self) -> Path | None:
        return self.chooser.model_path()


class ReadyPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Ready")
        self.setSubTitle("Engram will create its encrypted store now.")
        self.summary = _paragraph("")
        self.error = _paragraph("")
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setStyleSheet(f"color: {theme.current().danger}")
        self.error.show()


def create_and_restore(paths: Paths, choices: FirstRun, kdf, restore: tuple[Path, str] | None):
    """Create the store; with an archive, restore it into the new store, and if it cannot be
    restored (a wrong passphrase, a damaged file) remove the new store again and say why."""
    engram = firstrun.create(paths, choices, kdf)
    if restore is None:
        return engram
    try:
        archive.import_archive(engram, restore[0], restore[1])
    except Exception as exc:
        with contextlib.suppress(Exception):
            archive.erase_everything(engram)
        raise AppError(f"The archive was not restored ({describe(exc)}); nothing was set up. Choose the "
                       "archive again with its right passphrase, or start without it.") from None
    return engram


class OnboardingWizard(QWizard):
    """Emits `created(engram)` once the data directory exists; the wizard then closes."""

    created = Signal(object)

    def __init__(self, paths: Paths, worker: Worker, parent: QWidget | None = None, *,
                 catalog: Catalog | None = None, has_tray: bool | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.has_tray = Tray.available() if has_tray is None else has_tray
        self.worker = worker
        self.kdf = None  # tests pass a cheaper Argon2id cost
        self._busy = False
        self.setWindowTitle("Set up Engram")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Create my Engram")
        self.button(QWizard.WizardButton.FinishButton).setProperty("primary", True)
        self.setMinimumSize(680, 560)
        monitors, problem = firstrun.monitors()
        self.welcome = WelcomePage(paths, self.has_tray)
        self.passphrase = PassphrasePage()
        self.capture = CapturePage(firstrun.capture_defaults(), monitors, problem)
        self.model = ModelPage(paths, catalog or Catalog.load())
        self.ready = ReadyPage()
        for page in (self.welcome, self.passphrase, self.capture, self.model, self.ready):
            self.addPage(page)
        self.currentIdChanged.connect(self._page_changed)
        self.restore: tuple[Path, str] | None = None  # an archive to restore after setup, and its passphrase
        self.welcome.restore_button.clicked.connect(self._ask_archive)

    def _ask_archive(self) -> None:
        asked = ask_archive_to_open(self, "Restore from an archive")
        if asked is not None and asked[1]:
            self.choose_archive(*asked)

    def choose_archive(self, path: Path | None, passphrase: str = "") -> None:
        """Restore `path` into the new store when it is created (None: start empty)."""
        self.restore = (Path(path), passphrase) if path is not None else None
        self.welcome.restore_note.setText(
            f"After setup, Engram restores {Path(path).name} into the new store (it is checked with its "
            "passphrase first; if it cannot be read, nothing is created)." if path is not None else "")
        self.welcome.restore_button.setText("Choose another archive…" if path is not None
                                            else "Restore from an archive…")

    def choices(self) -> FirstRun:
        return FirstRun(
            passphrase=self.passphrase.fields.value(),
            remember_key=self.passphrase.remember.isChecked(),
            capture=self.capture.choices(),
            model_path=self.model.model_path(),
            capture_at_start=self.capture.start_now.isChecked(),
            start_at_login=self.capture.at_login.isChecked(),
        )

    def _page_changed(self, _id: int) -> None:
        if self.currentPage() is self.ready:
            c = self.choices()
            cap = c.capture
            frames = (f"kept, encrypted, for {int(cap['retention_days'])} days" if cap["keep_frames"]
                      else "not kept (only the text is)")
            start = "when Engram opens" if c.capture_at_start else "when you resume it " + (
                "from the tray" if self.has_tray else "in the sidebar of Engram's window (or with “engram resume”)")
            key = "remembered in the keyring" if c.remember_key else "unlocked with your passphrase each time"
            restore = f"• Then restores the archive {self.restore[0].name}.\n" if self.restore else ""
            self.ready.summary.setText(
                f"• Data directory: {self.paths.root}\n"
                f"• The screen is read every {int(cap['interval'])} s; screenshots are {frames}.\n"
                f"• {len(cap['excluded_apps'])} apps are never captured.\n"
                f"• Model: {c.model_path or automatic_text(self.paths, self.model.chooser.catalog)}.\n"
                f"• Capture starts {start}; Engram {'opens' if c.start_at_login else 'does not open'} "
                "when you log in.\n"
                f"• The key is {key}.\n" + restore)

    def done(self, result: int) -> None:
        self.model.chooser.shut_down()  # a download still running is cancelled (and resumes next time)
        super().done(result)

    def accept(self) -> None:
        if self._busy:
            return
        self._busy = True
        self.ready.error.hide()
        self.button(QWizard.WizardButton.FinishButton).setEnabled(False)
        self.button(QWizard.WizardButton.BackButton).setEnabled(False)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Creating…")
        self.worker.submit("create the data directory", create_and_restore, self.paths, self.choices(), self.kdf,
                           self.restore, done=self._created, failed=self._failed)

    def _created(self, engram) -> None:
        self._busy = False
        self.created.emit(engram)
        super().accept()

    def _failed(self, error: Exception) -> None:
        self._busy = False
        self.setButtonText(QWizard.WizardButton.FinishButton, "Create my Engram")
        self.button(QWizard.WizardButton.FinishButton).setEnabled(True)
        self.button(QWizard.WizardButton.BackButton).setEnabled(True)
        self.ready.show_error(describe(error))
