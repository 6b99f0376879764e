"""Choosing the language model, in onboarding and Settings: the automatic choice (the tier rule), a
GGUF file on disk, or a recommended model downloaded here with progress, cancel and a SHA-256 check."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.model_download import ModelDownload
from app.models import LARGE_MIN_CORES, LARGE_MIN_MEMORY, Catalog, CatalogEntry, default_choice, installed_path
from app.paths import Paths
from ui.feedback import Feedback
from ui.feedback import note as _note
from ui.formatting import size

EMBEDDED, FILE, RECOMMENDED = "embedded", "file", "recommended"


def _indented(*widgets: QWidget, stretch_first: bool = True) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setContentsMargins(26, 0, 0, 0)
    row.setSpacing(8)
    for n, widget in enumerate(widgets):
        row.addWidget(widget, 1 if stretch_first and n == 0 else 0)
    return row


FLOOR_NOTE = ("SmolLM2 135M, installed with Engram. Memories and answers are modest, but search always works: "
              "everything seen is indexed without a model.")
NO_MODEL_NOTE = "Search works without a model; memories and answers need one (choose or download one below)."


def automatic_text(paths: Paths, catalog: Catalog) -> str:
    """The automatic choice in one line: which model the tier rule picks here, and why."""
    name, reason, _ = _automatic(paths, catalog)
    return f"Automatic: {name} — {reason}"


def automatic_note(paths: Paths, catalog: Catalog) -> str:
    """Why the tier rule picks that model, and what it gives (the tier model's description, or the
    floor's), under the radio button, where it can wrap."""
    _, reason, about = _automatic(paths, catalog)
    return f"{reason[:1].upper()}{reason[1:]}. {about}"


def _automatic(paths: Paths, catalog: Catalog) -> tuple[str, str, str]:
    """(name, reason, description) of the model the tier rule picks."""
    choice = default_choice(paths, catalog)
    entry = next((e for e in catalog.entries if choice.path is not None and e.file == choice.path.name), None)
    if entry is not None:
        return entry.title, choice.reason, entry.description
    if choice.path is not None:
        return "the small built-in model", choice.reason, FLOOR_NOTE
    return "no model", choice.reason, NO_MODEL_NOTE


class ModelChooser(QWidget):
    """Emits `changed` whenever what is chosen (or whether it can be used yet) changes."""

    changed = Signal()

    def __init__(self, paths: Paths, catalog: Catalog, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.catalog = catalog
        self.download: ModelDownload | None = None

        self.embedded = QRadioButton()  # "Automatic: NAME" (a radio's text cannot wrap: why goes in the note)
        self.embedded.setToolTip(f"Engram's tier rule: the 1.5B model on a machine with {LARGE_MIN_CORES} "
                                 f"cores and {LARGE_MIN_MEMORY // 1024**3} GB or more, else the 0.5B "
                                 "one; the small built-in model when neither is installed.")
        self.file = QRadioButton("A GGUF model file on this computer")
        self.recommended = QRadioButton("A recommended model, downloaded now (needs the internet once)")
        self.group = QButtonGroup(self)
        for button in (self.embedded, self.file, self.recommended):
            self.group.addButton(button)
        self.embedded.setChecked(True)

        self.path = QLineEdit()
        self.path.setPlaceholderText("/path/to/model.gguf")
        self.path.textChanged.connect(lambda text: self.file.setChecked(True) if text.strip() else None)
        self.path.textChanged.connect(lambda _t: self.changed.emit())
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)

        self.entries = QComboBox()
        self.entries.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for entry in catalog.entries:
            self.entries.addItem("", entry.name)
        self.entries.activated.connect(lambda _i: self.recommended.setChecked(True))
        self.entries.currentIndexChanged.connect(self._entry_changed)
        self.download_button = QPushButton("Download")
        self.download_button.clicked.connect(self.start_download)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_download)
        self.cancel_button.hide()
        self.about = _note("")
        self.about.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.status = Feedback()
        self.status.hide()  # shown once there is something to say

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.embedded)
        self.automatic_note = _note("")
        layout.addLayout(_indented(self.automatic_note))
        layout.addSpacing(8)
        layout.addWidget(self.file)
        layout.addLayout(_indented(self.path, browse))
        layout.addLayout(_indented(_note("Any instruction-tuned GGUF works with llama.cpp; 1–4 B parameters is a "
                                         "good balance on a laptop.")))
        layout.addSpacing(8)
        layout.addWidget(self.recommended)
        choose = _indented(self.entries, self.download_button, self.cancel_button, stretch_first=False)
        choose.addStretch(1)
        layout.addLayout(choose)
        layout.addLayout(_indented(self.about))
        layout.addLayout(_indented(self.progress))
        layout.addLayout(_indented(self.status))
        self.group.buttonToggled.connect(lambda *_: self.changed.emit())

        suggested = catalog.suggested()
        if suggested is not None:
            self.entries.setCurrentIndex(self.entries.findData(suggested.name))
        self._refresh()

    # -- what is chosen ----------------------------------------------------------------------------
    def kind(self) -> str:
        if self.file.isChecked():
            return FILE
        return RECOMMENDED if self.recommended.isChecked() else EMBEDDED

    def entry(self) -> CatalogEntry | None:
        name = self.entries.currentData()
        return self.catalog.get(name) if name else None

    def installed(self, entry: CatalogEntry | None) -> bool:
        return entry is not None and installed_path(self.paths, entry).is_file()

    def is_complete(self) -> bool:
        """Whether the choice can be used now (a recommended model must be downloaded first)."""
        kind = self.kind()
        if kind == FILE:
            return bool(self.path.text().strip())
        if kind == RECOMMENDED:
            return self.installed(self.entry())
        return True

    def model_path(self) -> Path | None:
        """The chosen GGUF file; None for the built-in model (or an incomplete choice)."""
        kind = self.kind()
        if kind == FILE and self.path.text().strip():
            return Path(self.path.text().strip()).expanduser()
        if kind == RECOMMENDED and self.installed(self.entry()):
            return installed_path(self.paths, self.entry())
        return None

    def show_model(self, path: Path | None) -> None:
        """Select what `path` is: None the built-in model, a downloaded recommended model, or a file."""
        if path is None:
            self.embedded.setChecked(True)
            return
        for entry in self.catalog.entries:
            if installed_path(self.paths, entry) == Path(path):
                self.entries.setCurrentIndex(self.entries.findData(entry.name))
                self.recommended.setChecked(True)
                return
        self.path.setText(str(path))
        self.file.setChecked(True)

    # -- downloading -------------------------------------------------------------------------------
    def busy(self) -> bool:
        return self.download is not None and self.download.running()

    def start_download(self) -> None:
        entry = self.entry()
        if entry is None or self.busy() or self.installed(entry):
            return
        self.recommended.setChecked(True)
        self.download = ModelDownload(self.paths, entry, self)
        self.download.progressed.connect(self._progressed)
        self.download.finished.connect(self._finished)
        self.download.failed.connect(self._failed)
        self.download.cancelled.connect(self._cancelled)
        self.progress.setValue(0)
        self.progress.setFormat(f"Connecting… ({size(entry.size)})")
        self.progress.show()
        self._say(self.status.plain, "")
        self.download.start()
        self._refresh()

    def cancel_download(self) -> None:
        if self.download is not None:
            self.download.cancel()
            self.cancel_button.setEnabled(False)

    def shut_down(self, timeout: float = 5.0) -> None:
        """Cancel a running download and wait a little for its thread (the window is closing)."""
        if self.busy():
            self.download.cancel()
            self.download.wait(timeout)

    def _progressed(self, p) -> None:
        total = p.total or (self.download.entry.size if self.download else 0)
        if total:
            self.progress.setValue(int(1000 * min(1.0, p.done / total)))
            self.progress.setFormat(f"{100 * p.done / total:.0f}% · {size(p.done)} of {size(total)}")

    def _finished(self, path: Path) -> None:
        self.progress.hide()
        self._say(self.status.ok, f"Downloaded and checked (SHA-256): {path.name}")
        self._done()

    def _failed(self, message: str) -> None:
        self.progress.hide()
        message = plain_error(message)
        self._say(self.status.error, message[:1].upper() + message[1:] + ("" if message.endswith(".") else "."))
        self._done()

    def _cancelled(self) -> None:
        self.progress.hide()
        self._say(self.status.plain, "Cancelled. What was downloaded is kept: Download resumes from there.")
        self._done()

    def _done(self) -> None:
        self.download = None
        self._refresh()
        self.changed.emit()

    # -- looks -------------------------------------------------------------------------------------
    def _say(self, how, text: str) -> None:
        how(text)
        self.status.setVisible(bool(text))

    def _entry_changed(self, _index: int) -> None:
        self._say(self.status.plain, "")
        self._refresh()
        self.changed.emit()

    def _refresh(self) -> None:
        # a download may have installed a tier model: the automatic choice is then that one
        self.embedded.setText(f"Automatic: {_automatic(self.paths, self.catalog)[0]}")
        self.automatic_note.setText(automatic_note(self.paths, self.catalog))
        for i in range(self.entries.count()):
            entry = self.catalog.get(self.entries.itemData(i))
            here = " — downloaded" if self.installed(entry) else ""
            self.entries.setItemText(i, f"{entry.title} · {size(entry.size)}{here}")
        entry = self.entry()
        busy = self.busy()
        self.entries.setEnabled(not busy)
        self.cancel_button.setVisible(busy)
        self.cancel_button.setEnabled(busy)
        if entry is None:
            self.about.setText("No recommended models are listed.")
            self.download_button.setEnabled(False)
            return
        self.download_button.setEnabled(not busy and entry.verifiable and not self.installed(entry))
        self.download_button.setText("Downloaded" if self.installed(entry) else "Download")
        check = "checked by its SHA-256" if entry.verifiable else "no published checksum, so it is not offered"
        self.about.setText(f"{entry.description} Licence: {entry.licence}. Chat template: {entry.chat_template}. "
                           f"From {' or '.join(entry.sources) or 'nowhere'}, {check}.")

    def _browse(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "Choose a GGUF model", str(Path.home()),
                                                "GGUF models (*.gguf);;All files (*)")
        if chosen:
            self.path.setText(chosen)
            self.file.setChecked(True)


_ERRNO = re.compile(r"\[Errno -?\d+\]\s*")
_NO_NAME = re.compile(r"name or service not known|temporary failure in name resolution|nodename nor servname|"
                      r"no address associated with hostname|getaddrinfo failed", re.IGNORECASE)


def plain_error(message: str) -> str:
    """A network error in words: no raw "[Errno -2]"; a name that cannot be looked up is said to be
    a missing connection, which is what it nearly always is."""
    message = _ERRNO.sub("", message)
    return _NO_NAME.sub("no network connection", message)
