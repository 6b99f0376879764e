"""Settings: general, capture, privacy, model, security, and the data itself."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QDateTime, Qt, QTime, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import archive, firstrun, preferences, storage
from app.models import Catalog
from app.services import change_passphrase
from app.session import Session
from app.worker import describe
from ui import theme
from ui.feedback import Feedback
from ui.feedback import note as _note
from ui.formatting import size
from ui.model_choice import RECOMMENDED, ModelChooser
from ui.passphrase import NewPassphraseDialog, PassphraseFields, ask_archive_to_open

REFRESH_MS = 2000  # while the page is open, new observations refresh its figures at most this often


def _page(*rows: QWidget | QFormLayout | QHBoxLayout) -> QScrollArea:
    body = QWidget()
    column = QVBoxLayout(body)
    column.setContentsMargins(18, 16, 18, 16)
    column.setSpacing(12)
    for row in rows:
        if isinstance(row, QWidget):
            column.addWidget(row)
        else:
            column.addLayout(row)
    column.addStretch(1)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(body)
    return scroll


def _section(title: str) -> QLabel:
    label = QLabel(title)
    label.setFont(theme.heading_font(QLabel().font(), 1.5))
    label.setContentsMargins(0, 8, 0, 0)
    return label


def _hbox() -> QHBoxLayout:
    row = QHBoxLayout()
    row.setSpacing(8)  # inside a form the inherited spacing is none (its two spacings differ)
    return row


def _action_row(text: str, slot, feedback: QWidget) -> tuple[QHBoxLayout, QPushButton]:
    """A primary button with its feedback line beside it."""
    button = QPushButton(text)
    button.setProperty("primary", True)
    button.clicked.connect(slot)
    row = _hbox()
    row.addWidget(button)
    row.addWidget(feedback, 1)
    return row, button


def _form() -> QFormLayout:
    form = QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    form.setHorizontalSpacing(16)
    form.setVerticalSpacing(10)
    return form


class SettingsView(QWidget):
    """The Settings page."""

    theme_chosen = Signal(str)
    erased = Signal()  # everything was deleted: the app goes back to onboarding

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._capture = None  # the CaptureSettings last loaded
        title = QLabel("Settings")
        title.setObjectName("pageTitle")
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(False)
        self.tabs.addTab(self._general(), "General")
        self.tabs.addTab(self._capture_tab(), "Capture")
        self.tabs.addTab(self._privacy(), "Privacy")
        self.tabs.addTab(self._model(), "Model")
        self.tabs.addTab(self._security(), "Passphrase")
        self.tabs.addTab(self._data(), "Data")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(self.tabs, 1)
        # The Data figures and the list of apps to forget follow what capture stores while the page
        # is open (a burst of observations refreshes once), and are read afresh each time it is shown.
        self._refresh_soon = QTimer(self, singleShot=True, interval=REFRESH_MS, timeout=self.refresh_data)
        for signal in (session.events.observation_stored, session.events.observations_changed,
                       session.events.memories_changed):
            signal.connect(self._data_changed)

    def start(self) -> None:
        self.session.run("load settings", storage.settings_snapshot, done=self._loaded)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh_data()

    def _data_changed(self, *_args) -> None:
        if self.isVisible() and not self._refresh_soon.isActive():
            self._refresh_soon.start()

    def refresh_data(self) -> None:
        """Read the storage figures and the apps seen again (on the reader)."""
        self.session.read("count the data", _data_figures, done=self._show_data)

    def _show_data(self, figures: tuple[list[tuple[str, int]], storage.Usage]) -> None:
        apps, u = figures
        chosen = self.forget_app.currentData()
        self.forget_app.clear()
        for app, n in apps:
            self.forget_app.addItem(f"{app or 'unknown app'} ({n})", app)
        if chosen is not None and (at := self.forget_app.findData(chosen)) >= 0:
            self.forget_app.setCurrentIndex(at)
        self.forget_app_button.setEnabled(bool(apps))
        self.storage.setText(
            f"{size(u.total_bytes)} on disk in {u.root}\n"
            f"• database: {size(u.database_bytes)} ({u.observations} observations, {u.memories} memories)\n"
            f"• screenshots: {size(u.frame_bytes)} ({u.frames} kept)\n"
            "Everything is encrypted.")

    # -- general -----------------------------------------------------------------------------------
    def _general(self) -> QWidget:
        self.theme_box = QComboBox()
        for name, label in (("system", "Follow the system"), ("light", "Light"), ("dark", "Dark")):
            self.theme_box.addItem(label, name)
        self.theme_box.activated.connect(self._theme_changed)
        self.autostart = QCheckBox("Start capturing when Engram opens")
        self.autostart.toggled.connect(lambda on: self.session.run(
            "save a preference", preferences.set_capture_at_start, on))
        self.login = QCheckBox("Start Engram when I log in (in the tray)")
        self.login.toggled.connect(self._login_toggled)
        self.login_feedback = Feedback()
        form = _form()
        form.addRow("Appearance", self.theme_box)
        form.addRow("", self.autostart)
        form.addRow("", self.login)
        form.addRow("", self.login_feedback)
        return _page(_section("General"), form)

    def _login_toggled(self, on: bool) -> None:
        def failed(error: Exception) -> None:
            self._show_login(not on)
            self.login_feedback.error(describe(error))

        self.login_feedback.clear()
        self.session.run("start at login", storage.set_start_at_login, on, done=self._show_login, failed=failed)

    def _show_login(self, on: bool) -> None:
        self.login.blockSignals(True)
        self.login.setChecked(on)
        self.login.blockSignals(False)

    def _theme_changed(self, index: int) -> None:
        name = self.theme_box.itemData(index)
        self.session.run("save a preference", preferences.set_theme, name)
        self.theme_chosen.emit(name)

    # -- capture -----------------------------------------------------------------------------------
    def _capture_tab(self) -> QWidget:
        self.interval = QDoubleSpinBox(minimum=1, maximum=300, decimals=0, suffix=" s")
        self.monitor_boxes: list[tuple[int, QCheckBox]] = []
        monitors, problem = firstrun.monitors()
        monitor_column = QVBoxLayout()
        if problem:
            monitor_column.addWidget(_note(f"Capture cannot run here: {problem}."))
        elif len(monitors) <= 1:
            monitor_column.addWidget(QLabel(monitors[0].label if monitors else "The whole screen"))
        for m in monitors if len(monitors) > 1 else []:
            box = QCheckBox(m.label)
            self.monitor_boxes.append((m.index, box))
            monitor_column.addWidget(box)
        self.keep_frames = QCheckBox("Keep screenshots (encrypted)")
        self.retention_days = QSpinBox(minimum=1, maximum=3650, suffix=" days")
        self.retention_gb = QDoubleSpinBox(minimum=0.1, maximum=10000, decimals=1, suffix=" GB")
        self.keep_frames.toggled.connect(self.retention_days.setEnabled)
        self.keep_frames.toggled.connect(self.retention_gb.setEnabled)
        keep = _hbox()
        keep.addWidget(QLabel("for up to"))
        keep.addWidget(self.retention_days)
        keep.addWidget(QLabel("and at most"))
        keep.addWidget(self.retention_gb)
        keep.addStretch(1)
        self.excluded_apps = QPlainTextEdit()
        self.excluded_apps.setMinimumHeight(120)
        self.excluded_titles = QPlainTextEdit()
        self.excluded_titles.setMinimumHeight(90)
        self.capture_feedback = Feedback()
        row, _ = _action_row("Save capture settings", self.save_capture, self.capture_feedback)
        form = _form()
        form.addRow("Look at the screen every", self.interval)
        form.addRow("Monitors", monitor_column)
        form.addRow("Screenshots", self.keep_frames)
        form.addRow("", keep)
        form.addRow("Never capture these apps", self.excluded_apps)
        form.addRow("", _note("One app name per line, as the system names it (case does not matter)."))
        form.addRow("…or windows whose title has", self.excluded_titles)
        form.addRow("", _note("One word or phrase per line, matched as whole words whatever the case. A line "
                              "that starts with “re:” is a regular expression instead."))
        return _page(_section("Capture"), form, row)

    def save_capture(self) -> None:
        if self._capture is None:
            return
        monitors = tuple(i for i, b in self.monitor_boxes if b.isChecked())
        if self.monitor_boxes and not monitors:
            self.capture_feedback.error("Choose at least one monitor (or pause capture from the tray).")
            return
        changes = {
            "interval": float(self.interval.value()),
            "monitors": () if len(monitors) == len(self.monitor_boxes) else monitors,
            "keep_frames": self.keep_frames.isChecked(),
            "retention_days": float(self.retention_days.value()),
            "retention_gb": float(self.retention_gb.value()),
            "excluded_apps": _lines(self.excluded_apps),
            "excluded_titles": tuple(title_pattern(line) for line in _lines(self.excluded_titles)),
            "idle_seconds": float(self.idle.value() * 60),
        }
        self.session.run("save capture settings", storage.save_capture, changes, self.session.capture,
                         done=lambda s: (self._show_capture(s), self.capture_feedback.ok("Saved.")),
                         failed=lambda e: self.capture_feedback.error(describe(e)))

    def _show_capture(self, s) -> None:
        self._capture = s
        self.interval.setValue(s.interval)
        for index, box in self.monitor_boxes:
            box.setChecked(not s.monitors or index in s.monitors)
        self.keep_frames.setChecked(s.keep_frames)
        self.retention_days.setValue(int(s.retention_days))
        self.retention_gb.setValue(s.retention_gb)
        self.retention_days.setEnabled(s.keep_frames)
        self.retention_gb.setEnabled(s.keep_frames)
        self.excluded_apps.setPlainText("\n".join(s.excluded_apps))
        self.excluded_titles.setPlainText("\n".join(title_words(p) for p in s.excluded_titles))
        self.idle.setValue(int(s.idle_seconds // 60))

    # -- privacy -----------------------------------------------------------------------------------
    def _privacy(self) -> QWidget:
        self.idle = QSpinBox(minimum=0, maximum=240, suffix=" min", specialValueText="never")
        self.privacy_feedback = Feedback()
        save = QPushButton("Save")
        save.clicked.connect(self.save_capture)
        idle_row = _hbox()
        idle_row.addWidget(self.idle)
        idle_row.addWidget(save)
        idle_row.addStretch(1)
        form = _form()
        form.addRow("Pause when I am away for", idle_row)
        always = _note(
            "Always, whatever the settings: capture pauses while the screen is locked and in private or "
            "incognito browser windows; passwords shown in clear, API keys, card numbers, IBANs, one-time "
            "codes and private keys are replaced by [REDACTED] before anything is stored, and blacked out "
            "in kept screenshots. This cannot be turned off.")
        self.forget_app = QComboBox()
        self.forget_app.setMinimumWidth(200)
        self.forget_app_button = forget_app = QPushButton("Forget this app…")
        forget_app.setProperty("destructive", True)
        forget_app.setEnabled(False)
        forget_app.clicked.connect(self._forget_app)
        app_row = _hbox()
        app_row.addWidget(self.forget_app)
        app_row.addWidget(forget_app)
        app_row.addStretch(1)
        self.forget_since = QDateTimeEdit(calendarPopup=True, displayFormat="d MMM yyyy HH:mm")
        self.forget_until = QDateTimeEdit(calendarPopup=True, displayFormat="d MMM yyyy HH:mm")
        now = QDateTime.currentDateTime()
        now.setTime(QTime(now.time().hour(), now.time().minute()))  # the editors show minutes: no hidden seconds
        self.forget_since.setDateTime(now.addSecs(-3600))
        self.forget_until.setDateTime(now)
        forget_range = QPushButton("Forget this time…")
        forget_range.setProperty("destructive", True)
        forget_range.clicked.connect(self._forget_range)
        range_row = _hbox()
        range_row.addWidget(QLabel("from"))
        range_row.addWidget(self.forget_since)
        range_row.addWidget(QLabel("to"))
        range_row.addWidget(self.forget_until)
        range_row.addStretch(1)
        range_button = _hbox()  # on a row of its own: beside the times it pushed the page sideways at 900 px
        range_button.addWidget(forget_range)
        range_button.addWidget(_note("whole minutes: the end minute is included"), 1)
        forget = _form()
        forget.addRow("Everything seen in", app_row)
        forget.addRow("Everything seen", range_row)
        forget.addRow("", range_button)
        return _page(_section("Privacy"), form, always, _section("Forget"),
                     _note("Erases what was seen, its screenshots, and every memory made from it, from every "
                           "layer. It cannot be undone."), forget, self.privacy_feedback)

    def _forget_app(self) -> None:
        app = self.forget_app.currentData()
        if app is None:
            return
        self._forget(f"everything Engram saw in {app or 'an unknown app'}", app=app)

    def _forget_range(self) -> None:
        since, until = whole_minutes(self.forget_since.dateTime().toPython().astimezone(),
                                     self.forget_until.dateTime().toPython().astimezone())
        if until <= since:
            self.privacy_feedback.error("The end of the time range must come after its start.")
            return
        last = until - timedelta(seconds=1)
        self._forget(f"everything Engram saw from {since:%d %b %Y %H:%M:%S} to {last:%d %b %Y %H:%M:%S}",
                     since=since, until=until)

    def _forget(self, what: str, **where) -> None:
        if QMessageBox.warning(self, "Forget", f"Erase {what}, with every memory made from it? This cannot be "
                               "undone.", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                               QMessageBox.StandardButton.Cancel) != QMessageBox.StandardButton.Yes:
            return

        def done(report) -> None:
            self.privacy_feedback.ok(f"Erased {what}: {report.summary()}.")
            self.session.events.observations_changed.emit()
            self.session.events.memories_changed.emit()
            self.start()

        self.session.run("forget", lambda engram: engram.forget(**where), done=done,
                         failed=lambda e: self.privacy_feedback.error(describe(e)))

    # -- model -------------------------------------------------------------------------------------
    def _model(self) -> QWidget:
        self.model_choice = ModelChooser(self.session.engram.paths, self.session.catalog or Catalog.load())
        self.model_feedback = Feedback()
        row, _ = _action_row("Use this model", self._save_model, self.model_feedback)
        self.idle_unload = QSpinBox(minimum=0, maximum=24 * 60, suffix=" min", specialValueText="never")
        self.idle_unload.valueChanged.connect(lambda minutes: self.session.run(
            "save a preference", preferences.set_idle_unload_minutes, float(minutes)))
        idle_row = _hbox()
        idle_row.addWidget(self.idle_unload)
        idle_row.addStretch(1)
        form = _form()
        form.addRow("Free the model's memory after", idle_row)
        return _page(_section("Language model"), self.model_choice, row,
                     _note("The model runs on this computer. A bigger model makes better memories and answers, "
                           "and needs more memory and time. Search works without any model."),
                     form, _note("An unused model is unloaded after this long, and loads again (in the "
                                 "background) when it is next needed."))

    def _save_model(self) -> None:
        choice = self.model_choice
        if not choice.is_complete():
            self.model_feedback.error("Download the model first." if choice.kind() == RECOMMENDED
                                      else "Choose a model file first.")
            return
        self.session.run("choose the model", preferences.set_model_path, choice.model_path(),
                         done=lambda _r: self.model_feedback.ok(
                             "Saved. It is loaded for the next question or batch of memories."),
                         failed=lambda e: self.model_feedback.error(describe(e)))

    def shut_down(self) -> None:
        """The window is closing: cancel a model download that still runs (it resumes next time)."""
        self.model_choice.shut_down()

    # -- security ----------------------------------------------------------------------------------
    def _security(self) -> QWidget:
        self.current_passphrase = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.current_passphrase.setObjectName("current")
        self.new_passphrase = PassphraseFields("New passphrase")
        self.passphrase_feedback = Feedback()
        row, self.passphrase_button = _action_row("Change passphrase", self._change_passphrase,
                                                  self.passphrase_feedback)
        form = _form()
        form.addRow("Current passphrase", self.current_passphrase)
        self.remember = QCheckBox("Remember the key in this computer's keyring")
        self.remember.setEnabled(firstrun.keyring_available())
        self.remember.clicked.connect(self._remember)
        return _page(_section("Passphrase"), _note(
            "Changing it re-protects the key; the data itself is not re-encrypted, so it is quick."),
            form, self.new_passphrase, row, _section("Keyring"), self.remember,
            _note("With the key in the keyring, anyone who can log in as you can open Engram without the "
                  "passphrase." if firstrun.keyring_available() else "No keyring is available on this system."))

    def _change_passphrase(self) -> None:
        problem = self.new_passphrase.problem()
        if not self.current_passphrase.text():
            self.passphrase_feedback.error("Type the current passphrase.")
            return
        if problem:
            self.passphrase_feedback.error(problem)
            return
        self.passphrase_button.setEnabled(False)

        def done(_r) -> None:
            self.passphrase_button.setEnabled(True)
            for field in (self.current_passphrase, self.new_passphrase.first, self.new_passphrase.second):
                field.clear()
            self.passphrase_feedback.ok("The passphrase was changed.")

        def failed(error: Exception) -> None:
            self.passphrase_button.setEnabled(True)
            message = describe(error)
            self.passphrase_feedback.error("The current passphrase is wrong; nothing was changed."
                                           if "wrong passphrase" in message else message)

        old, new = self.current_passphrase.text(), self.new_passphrase.value()
        self.session.worker.submit("change the passphrase", change_passphrase, self.session.engram.paths, old, new,
                                   done=done, failed=failed)

    def _remember(self, on: bool) -> None:
        self.session.run("keyring", lambda engram: engram.remember_key(on),
                         done=lambda ok: None if ok or not on else self.remember.setChecked(False))

    # -- data --------------------------------------------------------------------------------------
    def _data(self) -> QWidget:
        self.storage = QLabel("…")
        self.storage.setWordWrap(True)
        self.storage.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.data_feedback = Feedback()
        export = QPushButton("Export an encrypted archive…")
        export.clicked.connect(self._export)
        import_ = QPushButton("Import an archive…")
        import_.clicked.connect(self._import)
        archive_row = _hbox()
        archive_row.addWidget(export)
        archive_row.addWidget(import_)
        archive_row.addStretch(1)
        erase = QPushButton("Delete everything…")
        erase.setProperty("destructive", True)
        erase.clicked.connect(self._erase)
        erase_row = _hbox()
        erase_row.addWidget(erase)
        erase_row.addStretch(1)
        return _page(_section("Storage"), self.storage, _section("Archive"), _note(
            "An archive holds every observation, kept screenshot and memory, encrypted with a passphrase you "
            "choose. Importing one adds what is not here yet."), archive_row, self.data_feedback,
            _section("Delete everything"), _note(
                "Removes the key, the database, every screenshot and the cached key: nothing can be recovered "
                "afterwards. Engram then starts over with a new setup."), erase_row)

    def _export(self) -> None:
        name = f"engram-{datetime.now():%Y-%m-%d}{archive.SUFFIX}"
        chosen, _ = QFileDialog.getSaveFileName(self, "Export an archive", str(Path.home() / name),
                                                f"Engram archives (*{archive.SUFFIX})")
        if not chosen:
            return
        dialog = NewPassphraseDialog(
            "Archive passphrase", "The archive is encrypted with this passphrase. Importing it needs the "
            "passphrase exactly as typed here, and it cannot be recovered: type it twice.", "Export", self)
        self.archive_dialog = dialog
        if dialog.exec() != NewPassphraseDialog.DialogCode.Accepted:
            return
        passphrase = dialog.passphrase()
        self.data_feedback.ok("Exporting…")
        self.session.run("export an archive", archive.export_archive, Path(chosen), passphrase,
                         progress=self.session.events.progress.emit,
                         done=lambda r: self.data_feedback.ok(r.summary("Exported") + f" to {r.path}."),
                         failed=lambda e: self.data_feedback.error(describe(e)))

    def _import(self) -> None:
        asked = ask_archive_to_open(self, "Import an archive")
        if asked is None:
            return
        chosen, passphrase = asked
        self.data_feedback.ok("Importing…")

        def done(report) -> None:
            self.data_feedback.ok(report.summary("Imported") + ".")
            # The archive's capture settings (exclusions among them) apply now, not at the next start.
            self.session.run("apply capture settings", storage.save_capture, {}, self.session.capture)
            self.session.events.observations_changed.emit()
            self.session.events.memories_changed.emit()
            self.start()

        self.session.run("import an archive", archive.import_archive, Path(chosen), passphrase,
                         progress=self.session.events.progress.emit, done=done,
                         failed=lambda e: self.data_feedback.error(describe(e)))

    def _erase(self) -> None:
        word, ok = QInputDialog.getText(
            self, "Delete everything",
            "This erases every observation, screenshot, memory and setting, and the key.\n"
            "Nothing can be recovered. Type DELETE to confirm:")
        if not ok:
            return
        if word.strip() != "DELETE":
            self.data_feedback.error("Nothing was deleted (the confirmation word did not match).")
            return
        self.erased.emit()

    # -- loading -----------------------------------------------------------------------------------
    def _loaded(self, snap: storage.SettingsSnapshot) -> None:
        self.theme_box.setCurrentIndex(max(0, self.theme_box.findData(snap.theme)))
        self.autostart.blockSignals(True)
        self.autostart.setChecked(snap.capture_at_start)
        self.autostart.blockSignals(False)
        self._show_login(snap.start_at_login)
        self._show_capture(snap.capture)
        self.model_choice.show_model(snap.model_path)
        self.idle_unload.blockSignals(True)
        self.idle_unload.setValue(round(snap.idle_unload_minutes))
        self.idle_unload.blockSignals(False)
        self.remember.setChecked(snap.key_remembered)
        self._show_data((snap.apps, snap.usage))


def _data_figures(engram) -> tuple[list[tuple[str, int]], storage.Usage]:
    return engram.store.apps(), storage.usage(engram)


def whole_minutes(since: datetime, until: datetime) -> tuple[datetime, datetime]:
    """The range a user means by "from 16:07 to 16:09": from 16:07:00 up to, not including,
    16:10:00 (the seconds an editor showing minutes carries are not what the user sees)."""
    start = since.replace(second=0, microsecond=0)
    end = until.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return start, end


_PLAIN = re.compile(r"\\b([\w][\w ]*[\w]|\w)\\b")
REGEX_PREFIX = "re:"


def title_words(pattern: str) -> str:
    """A title exclusion as the user reads it: the words of a whole-word pattern, else the
    pattern itself after "re:"."""
    found = _PLAIN.fullmatch(pattern)
    return found.group(1) if found else f"{REGEX_PREFIX} {pattern}"


def title_pattern(line: str) -> str:
    """What a line of the title exclusions means (the inverse of `title_words`)."""
    if line.lower().startswith(REGEX_PREFIX):
        return line[len(REGEX_PREFIX):].strip()
    return rf"\b{re.escape(line.strip()).replace(chr(92) + ' ', ' ')}\b"


def _lines(edit: QPlainTextEdit) -> tuple[str, ...]:
    return tuple(line.strip() for line in edit.toPlainText().splitlines() if line.strip())
