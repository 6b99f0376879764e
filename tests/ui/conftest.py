"""Real widgets, offscreen, over a real encrypted store in tmp_path; the model is the fake one."""

from __future__ import annotations

import os
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import UTC

import pytest  # noqa: E402

from app.events import Events  # noqa: E402
from app.paths import Paths  # noqa: E402
from app.services import Engram  # noqa: E402
from app.session import Session  # noqa: E402
from app.worker import Worker  # noqa: E402
from tests.conftest import FAST_KDF  # noqa: E402
from tests.ui.seed import seed_memories, seed_observations  # noqa: E402

PASSPHRASE = "correct horse battery staple"


class FakeCapture:
    """The capture daemon's seam for the window: state changes are reported from another thread,
    as the real daemon does."""

    class Health:
        def __init__(self, state: str, paused_until=None) -> None:
            self.state = state
            self.detail = "paused by the user" if state == "paused" else ""
            self.paused_until = paused_until
            self.indexed_share = 0.9

    def __init__(self) -> None:
        self.on_state_changed = None
        self.on_observation = None
        self._state = "capturing"
        self._until = None
        self.pauses: list[float | None] = []
        self.settings = None

    def _report(self) -> None:
        if self.on_state_changed is not None:
            t = threading.Thread(target=self.on_state_changed, args=(self._state,))
            t.start()
            t.join()

    def state(self) -> str:
        return self._state

    def health(self) -> Health:
        return self.Health(self._state, self._until)

    def pause(self, seconds: float | None = None) -> None:
        from datetime import datetime, timedelta

        self.pauses.append(seconds)
        self._state = "paused"
        self._until = None if seconds is None else datetime.now(UTC) + timedelta(seconds=seconds)
        self._report()

    def resume(self) -> None:
        self._state = "capturing"
        self._until = None
        self._report()

    def update_settings(self, settings) -> None:
        self.settings = settings

    def stop(self, timeout: float = 0) -> None:
        pass


@pytest.fixture
def paths(tmp_path) -> Paths:
    return Paths(tmp_path / "engram")


@pytest.fixture
def engram(paths):
    e = Engram.create(paths, PASSPHRASE, FAST_KDF)
    yield e
    e.close()


@pytest.fixture
def seeded(engram):
    seed_observations(engram)
    seed_memories(engram)
    return engram


@pytest.fixture
def worker(qapp):
    w = Worker()
    yield w
    w.stop()


@pytest.fixture
def session(seeded, worker):
    events = Events()
    capture = FakeCapture()
    s = Session(seeded, events, worker, capture)
    capture.on_state_changed = lambda state: events.capture_state_changed.emit(state)
    return s


def idle(qtbot, worker: Worker, timeout: int = 10_000) -> None:
    """Wait until the worker has delivered every result."""
    qtbot.waitUntil(lambda: not worker.busy(), timeout=timeout)


def open_window(qtbot, session, width: int = 1240, height: int = 800):
    """The main window, shown and started, once the worker has delivered its first results."""
    from ui.window import MainWindow

    window = MainWindow(session)
    qtbot.addWidget(window)
    window.resize(width, height)
    window.show()
    window.start()
    idle(qtbot, session.worker)
    return window


def wizard_at_model_page(qtbot, paths, worker, catalog=None):
    """An onboarding wizard with a passphrase chosen, shown at its model page."""
    from ui.onboarding import OnboardingWizard

    wizard = OnboardingWizard(paths, worker, catalog=catalog)
    wizard.kdf = FAST_KDF
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()
    wizard.passphrase.fields.first.setText(PASSPHRASE)
    wizard.passphrase.fields.second.setText(PASSPHRASE)
    wizard.next()
    wizard.next()
    assert wizard.currentPage() is wizard.model
    return wizard
