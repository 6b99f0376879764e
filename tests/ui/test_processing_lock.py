"""The window's memory worker and a terminal's `engram process` never make memories at the same time;
the window waits for its next turn without an error when the terminal has the lock."""

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from app.gui import PROCESS_AT_LEAST, Controller
from app.services import Engram, processing_lock
from memory import NewObservation
from tests.conftest import FAST_KDF
from tests.ui.conftest import PASSPHRASE, FakeCapture, idle


@pytest.fixture
def controller(qapp, paths, monkeypatch):
    Engram.create(paths, PASSPHRASE, FAST_KDF).close()
    monkeypatch.setenv("ENGRAM_PASSPHRASE", PASSPHRASE)
    c = Controller(qapp, paths, capture_factory=lambda engram: FakeCapture(), build_index=False)
    yield c
    c.close()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)


def test_the_window_leaves_processing_to_another_process_quietly(qtbot, controller, paths):
    with qtbot.waitSignal(controller.session_opened, timeout=10_000):
        controller.begin()
    idle(qtbot, controller.worker)
    t0 = datetime(2026, 10, 1, 9, tzinfo=UTC)
    controller.session.engram.store.add_observations([
        NewObservation(time=t0 + timedelta(minutes=i), text=f"line {i}", app="Notes") for i in range(PROCESS_AT_LEAST)])
    failures: list[str] = []
    controller.events.job_failed.connect(failures.append)
    with processing_lock(paths):  # as `engram process` in a terminal holds it
        controller.process_pending()
        idle(qtbot, controller.worker)
    assert failures == []
    assert controller.session.engram.store.counts().pending_observations == PROCESS_AT_LEAST  # left for later
    assert not controller._processing  # and it tries again at its next turn
