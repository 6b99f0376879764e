"""Choosing the model in onboarding and Settings: a recommended model downloads in the background with
progress, cancel and a checksum (from a local HTTP server), and an idle model is unloaded off the GUI
thread."""

from __future__ import annotations

import dataclasses
import hashlib
import threading

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QWizard

from app import preferences
from app.downloads import part_path
from app.gui import Controller
from app.models import Catalog
from app.services import Engram
from tests.conftest import FAST_KDF
from tests.fileserver import fake_model, write_catalog
from tests.ui.conftest import PASSPHRASE, FakeCapture, idle, wizard_at_model_page
from tests.ui.test_settings import open_settings as open_view
from ui.settings import SettingsView

MODEL = fake_model(400_000)


@pytest.fixture
def catalog(tmp_path, server) -> Catalog:
    return Catalog.load(write_catalog(tmp_path / "catalog.json", server, {"tiny": MODEL}))


def test_onboarding_downloads_a_recommended_model_with_progress_then_uses_it(qtbot, paths, worker, catalog,
                                                                              server):
    wizard = wizard_at_model_page(qtbot, paths, worker, catalog)
    chooser = wizard.model.chooser
    chooser.recommended.setChecked(True)
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()  # not downloaded yet
    assert "Apache-2.0" in chooser.about.text() and "SHA-256" in chooser.about.text()

    server.gate = threading.Event()  # hold the transfer after its first chunk
    chooser.download_button.click()
    qtbot.waitUntil(lambda: chooser.progress.value() > 0, timeout=10_000)
    assert chooser.progress.isVisible() and chooser.cancel_button.isVisible()
    assert "of 400.0 KB" in chooser.progress.format()
    assert not chooser.download_button.isEnabled()
    server.gate.set()
    qtbot.waitUntil(lambda: "Downloaded and checked" in chooser.status.text(), timeout=10_000)
    assert not chooser.progress.isVisible() and not chooser.cancel_button.isVisible()
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()

    wizard.next()
    assert "tiny.gguf" in wizard.ready.summary.text()
    with qtbot.waitSignal(wizard.created, timeout=10_000) as created:
        wizard.button(QWizard.WizardButton.FinishButton).click()
    engram = created.args[0]
    try:
        assert preferences.model_path(engram) == paths.models / "tiny.gguf"
    finally:
        engram.close()


def test_a_cancelled_download_keeps_its_part_and_resumes(qtbot, paths, worker, catalog, server):
    wizard = wizard_at_model_page(qtbot, paths, worker, catalog)
    chooser = wizard.model.chooser
    server.gate = threading.Event()
    chooser.download_button.click()
    qtbot.waitUntil(lambda: chooser.progress.value() > 0, timeout=10_000)
    chooser.cancel_button.click()
    server.gate.set()  # the next chunk arrives, and the download sees the cancel
    qtbot.waitUntil(lambda: chooser.status.text().startswith("Cancelled"), timeout=10_000)
    part = part_path(paths.models / "tiny.gguf")
    kept = part.stat().st_size
    assert 0 < kept < len(MODEL)
    assert chooser.download_button.isEnabled() and not wizard.model.isComplete()

    server.gate = None
    chooser.download_button.click()
    qtbot.waitUntil(lambda: "Downloaded and checked" in chooser.status.text(), timeout=10_000)
    assert server.requests[-1][1] == f"bytes={kept}-"
    assert (paths.models / "tiny.gguf").read_bytes() == MODEL and not part.exists()


def test_settings_refuses_a_download_whose_checksum_differs(qtbot, session, tmp_path, server):
    bad = Catalog.load(write_catalog(tmp_path / "bad.json", server, {"tiny": MODEL},
                                     tiny={"sha256": hashlib.sha256(b"another file").hexdigest()}))
    view = open_settings(qtbot, dataclasses.replace(session, catalog=bad))
    chooser = view.model_choice
    assert chooser.embedded.isChecked()
    chooser.download_button.click()
    qtbot.waitUntil(lambda: "SHA-256" in chooser.status.text(), timeout=10_000)
    assert "nothing was installed" in chooser.status.text()
    assert list(session.engram.paths.models.iterdir()) == []
    view._save_model()
    assert view.model_feedback.text() == "Download the model first."


def test_settings_says_when_the_server_cannot_be_reached(qtbot, session, catalog, server):
    server.close()
    view = open_settings(qtbot, dataclasses.replace(session, catalog=catalog))
    view.model_choice.download_button.click()
    qtbot.waitUntil(lambda: "Cannot reach 127.0.0.1" in view.model_choice.status.text(), timeout=10_000)
    assert view.model_choice.download_button.isEnabled()


def test_settings_downloads_then_uses_a_recommended_model(qtbot, session, catalog):
    view = open_settings(qtbot, dataclasses.replace(session, catalog=catalog))
    chooser = view.model_choice
    chooser.download_button.click()
    qtbot.waitUntil(lambda: "Downloaded and checked" in chooser.status.text(), timeout=10_000)
    assert "downloaded" in chooser.entries.currentText() and chooser.download_button.text() == "Downloaded"
    view._save_model()
    qtbot.waitUntil(lambda: view.model_feedback.text().startswith("Saved"), timeout=10_000)
    assert preferences.model_path(session.engram) == session.engram.paths.models / "tiny.gguf"

    again = open_settings(qtbot, dataclasses.replace(session, catalog=catalog))
    assert again.model_choice.recommended.isChecked() and again.model_choice.entry().name == "tiny"


def test_the_idle_unload_setting_is_shown_and_saved(qtbot, session):
    view = open_settings(qtbot, session)
    assert view.idle_unload.value() == 10
    view.idle_unload.setValue(25)
    idle(qtbot, session.worker)
    assert preferences.idle_unload_minutes(session.engram) == 25


def open_settings(qtbot, session) -> SettingsView:
    view = open_view(qtbot, session)
    view.tabs.setCurrentIndex(3)
    return view


class LoadedModel:
    """Stands in for a loaded LlamaModel; records the thread that unloads it."""

    name = "stand-in"
    loaded = True
    last_used = 0.0

    def __init__(self) -> None:
        self.unloaded_on: str | None = None

    def unload(self) -> None:
        self.loaded = False
        self.unloaded_on = threading.current_thread().name


def test_the_app_unloads_an_idle_model_on_the_worker(qtbot, qapp, paths):
    with Engram.create(paths, PASSPHRASE, FAST_KDF) as engram:
        preferences.set_idle_unload_minutes(engram, 0.001)  # 60 ms
    controller = Controller(qapp, paths, capture_factory=lambda e: FakeCapture(), build_index=False,
                            idle_check_ms=20)
    try:
        controller.open_session(Engram.unlock(paths, PASSPHRASE, use_keyring=False))
        model = LoadedModel()
        controller.session.engram.set_model(model)
        qtbot.waitUntil(lambda: not model.loaded, timeout=10_000)
        assert model.unloaded_on == "engram-worker"  # never the GUI thread
        idle(qtbot, controller.worker)
    finally:
        controller.close()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)


def test_the_automatic_choice_says_which_model_the_tier_rule_picks_and_why(qtbot, tmp_path):
    import json as _json

    from app.paths import Paths
    from ui.model_choice import ModelChooser

    paths = Paths(tmp_path / "data")
    entry = {"name": "small-one", "title": "Small One", "file": "small-one.gguf", "url": "", "size": 4,
             "sha256": "0" * 64, "licence": "Apache-2.0", "tier": "small"}
    (tmp_path / "c.json").write_text(_json.dumps({"models": [entry]}))
    catalog = Catalog.load(tmp_path / "c.json")
    floor = ModelChooser(paths, catalog)
    qtbot.addWidget(floor)
    assert floor.embedded.text() == "Automatic: the small built-in model"
    assert floor.automatic_note.text().startswith("The built-in floor model: no tier model is installed")
    paths.models.mkdir(parents=True)
    (paths.models / "small-one.gguf").write_bytes(b"GGUF")
    tier = ModelChooser(paths, catalog)
    qtbot.addWidget(tier)
    assert tier.embedded.text() == "Automatic: Small One" and tier.embedded.isChecked()
    assert tier.automatic_note.text().startswith("The small tier for this machine (") or \
        tier.automatic_note.text().startswith("The installed tier (Small One;")


def test_the_automatic_choice_says_what_it_picks_in_the_chooser_and_on_the_ready_page(qtbot, paths, worker, tmp_path,
                                                                                    server):
    catalog = Catalog.load(write_catalog(tmp_path / "catalog.json", server, {"small-one": MODEL},
                                         **{"small-one": {"tier": "small", "description": "A small tier model."}}))
    (paths.shared_models / "small-one.gguf").parent.mkdir(parents=True, exist_ok=True)
    (paths.shared_models / "small-one.gguf").write_bytes(MODEL)  # the installer put the tier model there
    wizard = wizard_at_model_page(qtbot, paths, worker, catalog)
    chooser = wizard.model.chooser
    assert chooser.embedded.isChecked() and chooser.embedded.text() == "Automatic: Test small-one"
    assert chooser.automatic_note.text().endswith("). A small tier model.")  # why, then not the floor model's words
    wizard.next()
    assert "• Model: Automatic: Test small-one — the " in wizard.ready.summary.text()
    assert "built-in" not in wizard.ready.summary.text()
