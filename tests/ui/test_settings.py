"""Settings: capture, privacy (forget), model, passphrase, archive, delete everything."""

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from app import preferences
from app.daemon import load_capture_settings
from app.services import Engram
from tests.ui.conftest import PASSPHRASE, idle, open_window
from ui.settings import SettingsView


def open_settings(qtbot, session) -> SettingsView:
    view = SettingsView(session)
    qtbot.addWidget(view)
    view.resize(1100, 800)
    view.show()
    view.start()
    qtbot.waitUntil(lambda: view._capture is not None, timeout=10_000)
    return view


def test_capture_settings_are_saved_and_handed_to_capture(qtbot, session):
    view = open_settings(qtbot, session)
    assert view.interval.value() == load_capture_settings(session.engram).interval
    view.interval.setValue(9)
    view.excluded_apps.setPlainText("keepassxc\nsignal\n")
    view.keep_frames.setChecked(False)
    view.idle.setValue(10)
    view.save_capture()
    qtbot.waitUntil(lambda: view.capture_feedback.text() == "Saved.", timeout=10_000)
    stored = load_capture_settings(session.engram)
    assert (stored.interval, stored.excluded_apps, stored.keep_frames, stored.idle_seconds) == (
        9.0, ("keepassxc", "signal"), False, 600.0)
    assert session.capture.settings.excluded_apps == ("keepassxc", "signal", "engram")  # never itself


def test_storage_shows_what_is_kept(qtbot, session):
    view = open_settings(qtbot, session)
    text = view.storage.text()
    assert "125 observations, 12 memories" in text and "8 kept" in text


def test_forget_an_app_erases_its_observations(qtbot, session, monkeypatch):
    view = open_settings(qtbot, session)
    view.forget_app.setCurrentIndex(view.forget_app.findData("Slack"))
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Yes)
    view._forget_app()
    qtbot.waitUntil(lambda: view.privacy_feedback.text().startswith("Erased"), timeout=10_000)
    assert session.engram.observations(app="Slack") == []
    assert view.privacy_feedback.text().startswith("Erased everything Engram saw in Slack: removed 9 observations")


def test_change_passphrase_checks_the_old_one(qtbot, session):
    view = open_settings(qtbot, session)
    new = "purple otter juggles lanterns"
    view.current_passphrase.setText("wrong one")
    view.new_passphrase.first.setText(new)
    view.new_passphrase.second.setText(new)
    view.passphrase_button.click()
    qtbot.waitUntil(lambda: "wrong" in view.passphrase_feedback.text(), timeout=10_000)
    view.current_passphrase.setText(PASSPHRASE)
    view.passphrase_button.click()
    qtbot.waitUntil(lambda: view.passphrase_feedback.text() == "The passphrase was changed.", timeout=10_000)
    Engram.unlock(session.engram.paths, new, use_keyring=False).close()


def test_a_model_file_must_be_gguf(qtbot, session, tmp_path):
    view = open_settings(qtbot, session)
    bogus = tmp_path / "x.gguf"
    bogus.write_bytes(b"nope")
    view.model_choice.path.setText(str(bogus))
    view._save_model()
    qtbot.waitUntil(lambda: "not a GGUF" in view.model_feedback.text(), timeout=10_000)
    good = tmp_path / "tiny.gguf"
    good.write_bytes(b"GGUF" + bytes(16))
    view.model_choice.path.setText(str(good))
    view._save_model()
    qtbot.waitUntil(lambda: view.model_feedback.text().startswith("Saved"), timeout=10_000)
    assert preferences.model_path(session.engram) == good


def test_export_then_import_an_archive_from_settings(qtbot, session, tmp_path, monkeypatch):
    view = open_settings(qtbot, session)
    target = tmp_path / "backup.engram-archive"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(target), ""))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("archive pass phrase", True))

    def type_twice() -> None:  # in the export's passphrase dialog, once it is open
        fields = view.archive_dialog.fields
        fields.first.setText("archive pass phrase")
        fields.second.setText("archive pass phrase")
        view.archive_dialog.ok_button.click()

    QTimer.singleShot(0, type_twice)
    view._export()
    qtbot.waitUntil(lambda: view.data_feedback.text().startswith("Exported"), timeout=20_000)
    assert "125 observations, 12 memories, 8 frames and" in view.data_feedback.text()
    view._import()  # the same data again: everything is already here
    qtbot.waitUntil(lambda: view.data_feedback.text().startswith("Imported"), timeout=20_000)
    assert view.data_feedback.text().startswith("Imported 0 observations, 0 memories")
    idle(qtbot, session.worker)
    assert session.capture.settings is not None  # the restored capture settings reach the daemon


def test_delete_everything_needs_the_word(qtbot, session, monkeypatch):
    view = open_settings(qtbot, session)
    erased = []
    view.erased.connect(lambda: erased.append(True))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("delete", True))
    view._erase()
    assert erased == [] and "Nothing was deleted" in view.data_feedback.text()
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("DELETE", True))
    view._erase()
    assert erased == [True]


def test_theme_choice_is_kept(qtbot, session):
    view = open_settings(qtbot, session)
    with qtbot.waitSignal(view.theme_chosen) as chosen:
        view.theme_box.setCurrentIndex(view.theme_box.findData("dark"))
        view.theme_box.activated.emit(view.theme_box.currentIndex())
    assert chosen.args == ["dark"]
    idle(qtbot, session.worker)
    assert preferences.theme(session.engram) == "dark"


def test_forget_a_time_range_erases_whole_minutes_and_says_what(qtbot, session, monkeypatch):
    from datetime import datetime, time, timedelta

    from PySide6.QtCore import QDateTime

    from memory import NewObservation
    from tests.ui.seed import DAY

    day = DAY + timedelta(days=2)
    at = [time(16, 6, 59), time(16, 7, 26), time(16, 7, 32), time(16, 9, 59), time(16, 10, 0)]
    session.engram.store.add_observations([NewObservation(
        time=datetime.combine(day, t).astimezone(), app="XTerm", title="bash", text=f"line {n}",
        source_kind="test", source_id=f"m{n}") for n, t in enumerate(at)])
    view = open_settings(qtbot, session)
    # the editors show minutes; what they hold may carry seconds (the clock when the page opened)
    view.forget_since.setDateTime(QDateTime(datetime.combine(day, time(16, 7, 45))))
    view.forget_until.setDateTime(QDateTime(datetime.combine(day, time(16, 9, 12))))
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Yes)
    view._forget_range()
    qtbot.waitUntil(lambda: view.privacy_feedback.text().startswith("Erased"), timeout=10_000)
    left = [o.time.astimezone().time() for o in session.engram.observations(app="XTerm")]
    assert left == [time(16, 6, 59), time(16, 10, 0)]
    assert view.privacy_feedback.text() == (
        "Erased everything Engram saw from 06 Mar 2025 16:07:00 to 06 Mar 2025 16:09:59: removed 3 "
        "observations, 0 memories, 0 history entries, 0 frames.")


def test_the_data_page_follows_new_observations_while_open(qtbot, session):
    from datetime import datetime

    from memory import NewObservation

    view = open_settings(qtbot, session)
    view.tabs.setCurrentIndex(5)
    idle(qtbot, session.worker)
    assert "125 observations" in view.storage.text()
    ids = session.engram.store.add_observations([NewObservation(
        time=datetime.now().astimezone(), app="Gimp", title="cat.png", text=f"layer {n}", source_kind="test",
        source_id=f"g{n}") for n in range(2)])
    for i in ids:
        session.events.observation_stored.emit(i)  # as capture reports each one
    qtbot.waitUntil(lambda: "127 observations" in view.storage.text(), timeout=10_000)
    assert view.forget_app.findText("Gimp (2)") >= 0
    assert view.forget_app_button.isEnabled()


def test_the_data_page_is_read_again_when_shown(qtbot, session):
    from datetime import datetime

    from memory import NewObservation

    view = open_settings(qtbot, session)
    idle(qtbot, session.worker)
    view.hide()
    session.engram.store.add_observations([NewObservation(
        time=datetime.now().astimezone(), app="Gimp", title="cat.png", text="layer", source_kind="test",
        source_id="g")])  # stored while the page was hidden, and no event said so
    view.show()
    qtbot.waitUntil(lambda: "126 observations" in view.storage.text(), timeout=10_000)


def test_whole_minutes():
    from datetime import datetime

    from ui.settings import whole_minutes

    start, end = whole_minutes(datetime(2025, 3, 4, 16, 7, 26), datetime(2025, 3, 4, 16, 9, 1))
    assert (start, end) == (datetime(2025, 3, 4, 16, 7), datetime(2025, 3, 4, 16, 10))


def test_the_archive_passphrase_is_typed_twice_with_a_strength_hint(qtbot):
    from ui.passphrase import NewPassphraseDialog

    dialog = NewPassphraseDialog("Archive passphrase", "…", "Export")
    qtbot.addWidget(dialog)
    dialog.fields.first.setText("purple otter juggles lanterns")
    assert not dialog.ok_button.isEnabled()
    assert dialog.fields.reason.text() == "Not yet: type the passphrase again."
    dialog.fields.second.setText("purple otter juggles lantern")  # one typo
    assert not dialog.ok_button.isEnabled()
    assert dialog.fields.reason.text() == "Not yet: the two passphrases differ."
    dialog.fields.second.setText("purple otter juggles lanterns")
    assert dialog.ok_button.isEnabled() and dialog.fields.reason.text() == ""
    assert dialog.fields.verdict.text() == "Strength: strong"
    dialog.fields.first.setText("abc")
    assert dialog.fields.reason.text() == "Not yet: this passphrase is very weak; choose a stronger one."
    dialog.fields.show_box.setChecked(True)
    assert dialog.fields.first.echoMode() == dialog.fields.first.EchoMode.Normal


def test_title_exclusions_read_as_words_and_mean_the_same():
    from capture.models import DEFAULT_EXCLUDED_TITLES
    from ui.settings import title_pattern, title_words

    shown = [title_words(p) for p in DEFAULT_EXCLUDED_TITLES]
    assert shown[:2] == ["online banking", "onlinebanking"] and shown[9:14] == [
        "password manager", "password vault", "passphrase manager", "passphrase vault", "keepass"]
    assert [line for line in shown if line.startswith("re:")] == [r"re: \bbank(ing)?\b.*\b(log ?in|sign ?in|account)\b"]
    assert tuple(title_pattern(line) for line in shown) == DEFAULT_EXCLUDED_TITLES
    assert title_pattern("Acme (HR) portal") == r"\bAcme \(HR\) portal\b"


def test_memory_tab_counts_follow_the_search(qtbot, session):
    from ui.memories import _listing

    memories, counts = _listing(session.engram, "Lisbon", None)
    assert counts == {"episodic": 1}
    assert [m.type.value for m in memories] == ["episodic"]


def test_network_errors_are_said_in_words():
    from ui.model_choice import plain_error

    assert plain_error("cannot reach huggingface.co ([Errno -2] Name or service not known); are you offline?") \
        == "cannot reach huggingface.co (no network connection); are you offline?"


def test_no_settings_page_scrolls_sideways_at_the_smallest_window(qtbot, session):
    window = open_window(qtbot, session, 900, 600)
    window.go_to(window.settings)
    idle(qtbot, session.worker)
    tabs = window.settings.tabs
    wide = []
    for n in range(tabs.count()):
        tabs.setCurrentIndex(n)
        qtbot.wait(50)  # the shown page is laid out
        page = tabs.currentWidget()
        if page.horizontalScrollBar().maximum() > 0:
            wide.append((tabs.tabText(n), page.widget().minimumSizeHint().width(), page.viewport().width()))
    assert wide == []


def test_start_at_login_writes_and_removes_the_login_entry(qtbot, session):
    import os
    from pathlib import Path

    entry = Path(os.environ["XDG_CONFIG_HOME"]) / "autostart" / "engram.desktop"
    view = open_settings(qtbot, session)
    assert not view.login.isChecked()
    view.login.setChecked(True)
    qtbot.waitUntil(entry.exists, timeout=10_000)
    assert f"--data-dir {session.engram.paths.root} app --hidden" in entry.read_text()
    view.login.setChecked(False)
    qtbot.waitUntil(lambda: not entry.exists(), timeout=10_000)
    entry.parent.rmdir()
    entry.parent.write_text("a file where the folder should be")  # the next write cannot succeed
    view.login.setChecked(True)
    qtbot.waitUntil(lambda: "cannot write" in view.login_feedback.text(), timeout=10_000)
    assert not view.login.isChecked()
