"""The app as a whole: first run and later runs, routing between views, one instance, the CLI."""

import sys
import threading
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWizard

from app.cli import main
from app.gui import Controller, SingleInstance, display_available
from app.services import Engram
from tests.conftest import FAST_KDF
from tests.ui.conftest import PASSPHRASE, FakeCapture, idle
from ui.onboarding import OnboardingWizard
from ui.unlock import UnlockDialog
from ui.window import MainWindow


@pytest.fixture
def controller(qapp, paths):
    c = Controller(qapp, paths, capture_factory=lambda engram: FakeCapture(), build_index=False)
    c.kdf = FAST_KDF
    yield c
    c.close()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)


def unlock(qtbot, controller, paths) -> None:
    """A later run: the data exists; the passphrase is typed into the unlock dialog."""
    Engram.create(paths, PASSPHRASE, FAST_KDF).close()
    controller.begin()
    qtbot.waitUntil(lambda: isinstance(controller.dialog, UnlockDialog), timeout=10_000)
    controller.dialog.passphrase.setText(PASSPHRASE)
    with qtbot.waitSignal(controller.session_opened, timeout=10_000):
        controller.dialog.unlock_button.click()


def test_first_run_onboards_then_opens_the_window(qtbot, controller, paths):
    controller.begin()
    wizard = controller.dialog
    assert isinstance(wizard, OnboardingWizard)
    wizard.next()
    wizard.passphrase.fields.first.setText(PASSPHRASE)
    wizard.passphrase.fields.second.setText(PASSPHRASE)
    for _ in range(3):
        wizard.next()
    with qtbot.waitSignal(controller.session_opened, timeout=10_000):
        wizard.button(QWizard.WizardButton.FinishButton).click()
    assert controller.window.isVisible()  # no tray offscreen: the window opens
    assert controller.window.badge.text.text() == "Capturing"
    assert paths.is_initialized()
    idle(qtbot, controller.worker)


def answer_close_question(button_text: str, seen: list[str]) -> None:
    """Click a button of the question closing the window asks (once it is open)."""
    def click() -> None:
        box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
        seen.append(box.text() + "\n" + box.informativeText())
        next(b for b in box.buttons() if b.text() == button_text).click()

    QTimer.singleShot(0, click)


def test_closing_the_window_without_a_tray_asks_and_can_quit(qtbot, controller, paths):
    unlock(qtbot, controller, paths)
    idle(qtbot, controller.worker)
    seen: list[str] = []
    answer_close_question("Quit Engram", seen)
    controller.window.close()
    assert seen[0].startswith("This desktop has no tray, so Engram cannot stay there when its window closes.")
    assert "Quitting stops capture until you open Engram again." in seen[0]
    assert controller.window is None and controller.session is None  # closed with the app


def test_closing_without_a_tray_can_keep_capturing_in_the_background(qtbot, controller, paths):
    unlock(qtbot, controller, paths)
    idle(qtbot, controller.worker)
    window, capture = controller.window, controller.session.capture
    seen: list[str] = []
    answer_close_question("Keep running in the background", seen)
    window.close()
    assert "run “engram” again" in seen[0]
    assert controller.window is window and not window.isVisible()
    assert controller.session is not None and capture.state() == "capturing"  # still capturing
    controller.show_front()  # what a second launch of `engram` does
    assert window.isVisible()
    answer_close_question("Cancel", seen)
    window.close()
    assert window.isVisible() and controller.session is not None


def test_later_runs_ask_for_the_passphrase(qtbot, controller, paths):
    unlock(qtbot, controller, paths)
    assert controller.window.isVisible()
    idle(qtbot, controller.worker)


def test_delete_everything_returns_to_onboarding(qtbot, controller, paths, monkeypatch):
    unlock(qtbot, controller, paths)
    idle(qtbot, controller.worker)
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: QMessageBox.StandardButton.Ok)
    controller.window.settings.erased.emit()
    qtbot.waitUntil(lambda: isinstance(controller.dialog, OnboardingWizard), timeout=10_000)
    assert not paths.is_initialized()
    assert controller.window is None and controller.session is None


def test_sources_open_in_the_timeline_or_memories(qtbot, session):
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.show()
    window.start()
    idle(qtbot, session.worker)
    target = session.engram.observations(app="Zoom")[1]
    window.go(1)
    window.open_ref(f"obs:{target.id}")
    qtbot.waitUntil(lambda: (o := window.timeline.detail.current_observation()) is not None
                    and o.id == target.id, timeout=10_000)
    assert window.pages.currentWidget() is window.timeline
    anna = next(m for m in session.engram.memories() if m.headline().startswith("Anna Keller"))
    window.open_ref(anna.id)
    qtbot.waitUntil(lambda: window.memories.detail.details is not None
                    and window.memories.detail.details.memory.id == anna.id, timeout=10_000)
    assert window.pages.currentWidget() is window.memories
    idle(qtbot, session.worker)


def test_a_second_instance_wakes_the_first(qtbot, qapp, paths):
    first = SingleInstance(paths)
    assert first.claim()
    try:
        with qtbot.waitSignal(first.activated, timeout=5_000):
            assert not SingleInstance(paths).claim()
    finally:
        first.release()
    again = SingleInstance(paths)
    assert again.claim()  # the name is free once the first has gone
    again.release()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="display detection is about X11/Wayland")
def test_engram_alone_without_a_display_prints_the_status(tmp_path, monkeypatch):
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    assert not display_available()
    result = CliRunner().invoke(main, [], env={"ENGRAM_HOME": str(tmp_path / "d")})
    assert result.exit_code == 0, result.output
    assert "not set up" in result.output and "engram app" in result.output
    assert "app " in CliRunner().invoke(main, ["--help"]).output


def test_the_timeline_loads_while_a_long_job_holds_the_worker(qtbot, controller, paths):
    unlock(qtbot, controller, paths)
    idle(qtbot, controller.worker)
    gate = threading.Event()
    controller.session.run("answer a question", lambda _engram: gate.wait(30) and None)  # a long answer
    try:
        timeline = controller.window.timeline
        day = date.today() - timedelta(days=3)
        timeline.set_day(day)
        qtbot.waitUntil(lambda: timeline.day_data is not None and timeline.day_data.day == day, timeout=10_000)
        assert controller.worker.busy()  # the answer still runs; the day did not wait for it
    finally:
        gate.set()
    idle(qtbot, controller.worker)


def test_the_window_says_what_waits_to_become_memories_and_processes_it_now(qtbot, controller, paths):
    from datetime import datetime

    from memory import NewObservation
    from memory.llm import FakeModel

    unlock(qtbot, controller, paths)
    engram = controller.session.engram
    engram.store.add_observations([NewObservation(time=datetime.now().astimezone(), app="Mail", title="Inbox",
                                                  text=f"note {n}", source_kind="test", source_id=f"n{n}")
                                   for n in range(3)])
    engram.set_model(FakeModel([{"episodic": False, "semantic": False, "procedural": False, "resource": False,
                                 "vault": False, "core": False}]))
    badge = controller.window.memory
    badge.refresh()
    qtbot.waitUntil(lambda: badge.pending == 3, timeout=10_000)
    assert badge.text.text() == "3 observations wait to become memories"
    assert badge.text.toolTip().startswith("Memory: 3 observations waiting (1 batch)")
    assert badge.button.isVisible()
    badge.button.click()  # fewer than the automatic pass waits for: "Process now" runs it anyway
    qtbot.waitUntil(lambda: badge.pending == 0, timeout=30_000)
    assert badge.text.text() == "Memories are up to date" and not badge.button.isVisible()
    assert engram.store.counts().pending_observations == 0
    idle(qtbot, controller.worker)


def test_a_few_observations_become_memories_once_they_have_waited_in_small_jobs(qtbot, controller, paths):
    from datetime import datetime

    from app import gui
    from memory import MemoryType, NewObservation
    from memory.llm import FakeModel

    unlock(qtbot, controller, paths)
    engram = controller.session.engram
    old = datetime.now().astimezone() - gui.PROCESS_AFTER - timedelta(minutes=1)
    apps = ["Mail", "Code", "Slack", "Files", "Notes"]  # five apps: five batches, more than one job
    engram.store.add_observations([NewObservation(time=old + timedelta(seconds=n), app=apps[n], text=f"note {n}",
                                                  source_kind="test", source_id=f"w{n}") for n in range(5)])
    engram.set_model(FakeModel([{"episodic": False, "semantic": False, "procedural": False, "resource": False,
                                 "vault": False, "core": False}]))
    controller.process_pending()  # the timer's call: fewer than PROCESS_AT_LEAST, but they waited
    qtbot.waitUntil(lambda: engram.store.counts().pending_observations == 0, timeout=30_000)
    assert sum(engram.store.batch_figures().values()) == 5  # in jobs of gui.JOB_BATCHES, one after another
    assert len(engram.store.memories(MemoryType.EPISODIC)) == 5  # each batch is at least an episode
    idle(qtbot, controller.worker)


def test_fresh_observations_wait_for_more_before_the_automatic_pass(qtbot, controller, paths):
    from datetime import datetime

    from memory import NewObservation
    from memory.llm import FakeModel

    unlock(qtbot, controller, paths)
    engram = controller.session.engram
    engram.store.add_observations([NewObservation(time=datetime.now().astimezone(), app="Mail", text="fresh",
                                                  source_kind="test", source_id="f1")])
    engram.set_model(FakeModel([]))  # any call would fail the test
    controller.process_pending()
    idle(qtbot, controller.worker)
    assert engram.store.counts().pending_observations == 1


def test_progress_words_sit_beside_the_bar_not_on_it(qtbot, session):
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.show()
    session.events.progress.emit("Making memories", 2, 5)
    qtbot.waitUntil(lambda: window.progress_label.text() == "Making memories: 2 of 5", timeout=5_000)
    assert not window.progress.isTextVisible() and window.progress.value() == 2
    session.events.progress.emit("Preparing search", 0, 0)
    qtbot.waitUntil(lambda: window.progress_label.text() == "Preparing search", timeout=5_000)
    idle(qtbot, session.worker)
