"""Settings: capture, privacy (forget), model, passphrase, archive, delete everything."""

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from app import preferences
from app.daemon import load_capture_settings
from app.services import Engram
from tests.ui.conftest import PASSPHRASE, idle
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
    qtbot.waitUntil(lambda: view.privacy_feedback.text().startswith("Removed"), timeout=10_000)
    assert session.engram.observations(app="Slack") == []
    assert view.privacy_feedback.text().startswith("Removed 9 observations")


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
