"""The tray shows the capture state; pausing and resuming change it."""

from tests.ui.conftest import idle
from ui.tray import Tray, state_text
from ui.window import CaptureBadge


def action(tray: Tray, text: str):
    return next(a for a in tray.menu.actions() if a.text() == text)


def test_pause_changes_the_tray_state_and_resume_restores_it(qtbot, session):
    tray = Tray(session)
    assert tray.state == "capturing"
    assert tray.icon.toolTip().startswith("Engram — Capturing")
    assert not action(tray, "Resume capture").isEnabled()
    action(tray, "Pause for 15 minutes").trigger()
    qtbot.waitUntil(lambda: tray.state == "paused", timeout=5_000)
    assert session.capture.pauses == [900.0]
    assert "Paused until" in tray.icon.toolTip()
    assert action(tray, "Resume capture").isEnabled()
    assert not action(tray, "Pause for 1 hour").isEnabled()
    action(tray, "Resume capture").trigger()
    qtbot.waitUntil(lambda: tray.state == "capturing", timeout=5_000)
    action(tray, "Pause until resumed").trigger()
    qtbot.waitUntil(lambda: tray.state == "paused", timeout=5_000)
    assert session.capture.pauses[-1] is None
    assert "Paused until resumed" in tray.status_action.text()


def test_a_state_reported_by_the_capture_thread_reaches_tray_and_window(qtbot, session):
    tray = Tray(session)
    badge = CaptureBadge(session)
    qtbot.addWidget(badge)
    session.capture._state = "stalled"
    session.capture._report()  # from another thread, as the daemon does
    qtbot.waitUntil(lambda: tray.state == "stalled", timeout=5_000)
    assert "Needs attention" in tray.icon.toolTip()
    assert "Needs attention" in badge.text.text()


def test_open_and_quit_are_offered(qtbot, session):
    tray = Tray(session)
    with qtbot.waitSignal(tray.open_requested):
        action(tray, "Open Engram").trigger()
    with qtbot.waitSignal(tray.quit_requested):
        action(tray, "Quit Engram").trigger()


def test_the_window_in_front_says_why_capture_is_not_capturing(qtbot, session, monkeypatch):
    health = session.capture.health()
    health.detail = "Engram's own window is in front (never captured)"
    monkeypatch.setattr(session.capture, "health", lambda: health)
    session.capture._state = "excluded"
    assert state_text(session) == "Not capturing: Engram's own window is in front (never captured)"
    health.detail = ""
    assert state_text(session) == "Not capturing: an excluded app is in front"


def test_the_sidebar_says_what_engram_status_says(qtbot, session):
    from datetime import UTC, datetime

    from app.daemon import HEALTH_KEY, capture_status_lines

    # The live state still carries the old reason; the daemon's heartbeat (what `engram status`
    # reads) has the new one: a private window came to the front.
    session.capture._state = "excluded"
    health = session.capture.health()
    health.detail = "Engram's own window is in front (never captured)"
    session.capture.health = lambda: health
    badge = CaptureBadge(session)
    qtbot.addWidget(badge)
    assert badge.text.text() == "Not capturing: Engram's own window is in front (never captured)"
    session.engram.store.set_setting(HEALTH_KEY, {
        "running": True, "pid": 4242, "state": "excluded", "reason": "private",
        "detail": "a private browser window is in front (Firefox)", "updated_at": datetime.now(UTC).isoformat(),
        "heartbeat_seconds": 5.0, "interval": 3.0, "indexed_share": 0.9})
    idle(qtbot, session.worker)  # the read made when the badge was built
    badge.poll()
    qtbot.waitUntil(lambda: "private" in badge.text.text(), timeout=5_000)
    assert badge.text.text() == "Not capturing: a private browser window is in front (Firefox)"
    status = str(capture_status_lines(session.engram)["capture"])
    assert status.startswith("not capturing: a private browser window is in front (Firefox) (pid 4242")
