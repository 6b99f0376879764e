"""First run (onboarding) and later runs (unlock)."""

from PySide6.QtWidgets import QWizard

from app import autostart
from app.daemon import load_capture_settings
from app.services import Engram
from tests.conftest import FAST_KDF
from tests.ui.conftest import PASSPHRASE, wizard_at_model_page
from ui.onboarding import OnboardingWizard
from ui.passphrase import strength
from ui.unlock import UnlockDialog


def test_onboarding_creates_an_encrypted_store_with_the_choices(qtbot, paths, worker):
    wizard = OnboardingWizard(paths, worker)
    wizard.kdf = FAST_KDF
    qtbot.addWidget(wizard)
    wizard.show()
    assert str(paths.root) in wizard.welcome.findChild(type(wizard.ready.summary), "where").text()
    wizard.next()
    fields = wizard.passphrase.fields
    fields.first.setText("password1")
    fields.second.setText("password1")
    assert not wizard.passphrase.isComplete()  # a common password is refused
    assert "weak" in fields.verdict.text()
    fields.first.setText(PASSPHRASE)
    fields.second.setText(PASSPHRASE + "x")
    assert not wizard.passphrase.isComplete()
    assert (fields.verdict.text(), fields.reason.text()) == ("Strength: strong", "Not yet: the two passphrases differ.")
    fields.second.clear()  # said once, not also beside the strength
    assert (fields.verdict.text(), fields.reason.text()) == ("Strength: strong", "Not yet: type the passphrase again.")
    fields.second.setText(PASSPHRASE)
    assert wizard.passphrase.isComplete()
    wizard.next()
    assert wizard.capture.interval.width() == wizard.capture.interval.sizeHint().width()  # not across the page
    wizard.capture.interval.setValue(7)
    wizard.capture.excluded.setPlainText("keepassxc\nsignal")
    wizard.capture.keep_frames.setChecked(False)
    wizard.next()
    assert wizard.model.chooser.embedded.isChecked()
    wizard.next()
    assert "every 7 s" in wizard.ready.summary.text()
    assert "Engram opens when you log in" in wizard.ready.summary.text()
    with qtbot.waitSignal(wizard.created, timeout=10_000) as created:
        wizard.button(QWizard.WizardButton.FinishButton).click()
    engram = created.args[0]
    try:
        settings = load_capture_settings(engram)
        assert (settings.interval, settings.excluded_apps, settings.keep_frames) == (
            7.0, ("keepassxc", "signal"), False)
    finally:
        engram.close()
    assert paths.is_initialized()
    assert PASSPHRASE.encode() not in paths.key_file.read_bytes()
    Engram.unlock(paths, PASSPHRASE, use_keyring=False).close()
    assert autostart.enabled()  # "Start Engram when I log in" is ticked by default


def test_onboarding_refuses_a_model_file_that_is_not_gguf_and_creates_nothing(qtbot, paths, worker, tmp_path):
    bogus = tmp_path / "model.gguf"
    bogus.write_bytes(b"not a model")
    wizard = wizard_at_model_page(qtbot, paths, worker)
    wizard.model.chooser.path.setText(str(bogus))
    assert wizard.model.chooser.file.isChecked()
    wizard.next()
    wizard.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: wizard.ready.error.isVisible(), timeout=10_000)
    assert "not a GGUF model file" in wizard.ready.error.text()
    assert not paths.is_initialized()


def test_strength_hint_grows_with_the_passphrase():
    assert strength("")[0] == 0
    assert strength("qwerty123")[0] <= 1
    assert strength("Tr0ub4dor&3")[0] >= 2
    assert strength(PASSPHRASE)[0] >= 3


def test_unlock_says_wrong_passphrase_then_opens_with_the_right_one(qtbot, paths, worker):
    Engram.create(paths, PASSPHRASE, FAST_KDF).close()
    before = {p: p.read_bytes() for p in paths.root.rglob("*") if p.is_file()}
    dialog = UnlockDialog(paths, worker)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.passphrase.setText("not my passphrase")
    dialog.unlock_button.click()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10_000)
    assert "Wrong passphrase" in dialog.error.text()
    assert dialog.isVisible()
    assert {p: p.read_bytes() for p in paths.root.rglob("*") if p.is_file()} == before  # nothing changed
    dialog.passphrase.setText(PASSPHRASE)
    with qtbot.waitSignal(dialog.unlocked, timeout=10_000) as unlocked:
        dialog.unlock_button.click()
    engram = unlocked.args[0]
    try:
        assert engram.status().unlocked
    finally:
        engram.close()
    assert not dialog.isVisible()


def test_unlock_with_an_empty_passphrase_asks_for_one(qtbot, paths, worker):
    Engram.create(paths, PASSPHRASE, FAST_KDF).close()
    dialog = UnlockDialog(paths, worker)
    qtbot.addWidget(dialog)
    dialog.unlock_button.click()
    assert dialog.error.text() == "Type your passphrase."
    assert not worker.busy()


def test_onboarding_words_pausing_for_a_desktop_without_a_tray(qtbot, paths, worker):
    wizard = OnboardingWizard(paths, worker, has_tray=False)
    qtbot.addWidget(wizard)
    assert "tray icon" not in wizard.welcome.pausing.text()
    assert "sidebar of Engram's window" in wizard.welcome.pausing.text()
    assert "keep capturing in the background" in wizard.welcome.pausing.text()
    with_tray = OnboardingWizard(paths, worker, has_tray=True)
    qtbot.addWidget(with_tray)
    assert with_tray.welcome.pausing.text().startswith("You can pause capture from the tray icon")


def test_the_passphrase_page_says_why_next_is_disabled(qtbot, paths, worker):
    wizard = OnboardingWizard(paths, worker)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()
    fields = wizard.passphrase.fields
    assert fields.reason.text() == "Not yet: choose a passphrase."
    fields.first.setText("purple otter juggles lanterns")
    assert fields.reason.text() == "Not yet: type the passphrase again."
    fields.show_box.setChecked(True)
    assert fields.second.echoMode() == fields.second.EchoMode.Normal


def test_onboarding_restores_an_archive(qtbot, tmp_path, worker, seeded):
    from app import archive
    from app.paths import Paths

    backup = tmp_path / "backup.engram-archive"
    archive.export_archive(seeded, backup, "archive pass phrase")
    new = Paths(tmp_path / "new")
    wizard = wizard_at_model_page(qtbot, new, worker)
    wizard.choose_archive(backup, "archive pass phrase")
    wizard.next()
    assert "Then restores the archive backup.engram-archive." in wizard.ready.summary.text()
    with qtbot.waitSignal(wizard.created, timeout=30_000) as created:
        wizard.button(QWizard.WizardButton.FinishButton).click()
    engram = created.args[0]
    try:
        assert engram.store.counts().observations == 125
        assert len(engram.observations(app="Slack")) == 9
    finally:
        engram.close()


def test_a_wrong_archive_passphrase_sets_nothing_up(qtbot, tmp_path, worker, seeded):
    from app import archive
    from app.paths import Paths

    backup = tmp_path / "backup.engram-archive"
    archive.export_archive(seeded, backup, "archive pass phrase")
    new = Paths(tmp_path / "new")
    wizard = wizard_at_model_page(qtbot, new, worker)
    wizard.choose_archive(backup, "not the one")
    wizard.next()
    wizard.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: wizard.ready.error.isVisible(), timeout=30_000)
    assert wizard.ready.error.text().startswith("The archive was not restored (")
    assert not new.is_initialized()
    assert wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
