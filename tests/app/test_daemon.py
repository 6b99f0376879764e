"""The capture daemon end to end: a private X server with real windows, the real OCR worker
and the real encrypted store; fakes only at the seams (frame source, window query, and a store
that reports a full disk)."""

from __future__ import annotations

import io
import os
import signal
import socket
import sqlite3
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from app.daemon import (
    BEAT_FILE,
    HEALTH_KEY,
    WINDOW_PROCESS_KEY,
    CaptureDaemon,
    CaptureState,
    Reason,
    capture_status_lines,
    load_capture_settings,
    pause_capture,
    prune_frames,
    resume_capture,
    save_capture_settings,
)
from app.paths import Paths
from app.services import Engram
from app.timeline import missing_frame
from capture import CaptureSettings, FakeFrameSource, Monitor, Region, ScreenError, WindowInfo, visible_windows
from capture import release as release_x
from memory import FrameStore, NewObservation, StoreError
from tests.capture.xserver import serve_for_tests
from tests.conftest import FAST_KDF

FAST = CaptureSettings(interval=0.2, idle_seconds=0)
NOTES = WindowInfo(app="Notesapp", title="Groceries", window_id="0x1")


def wait_for(check, timeout: float = 60.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def engram(tmp_path):
    e = Engram.create(Paths(tmp_path / "data"), "pass", FAST_KDF)
    yield e
    e.close()


@pytest.fixture
def run(engram):
    """Start daemons and stop them after the test, whatever happens."""
    started: list[CaptureDaemon] = []

    def start(*args, **kwargs) -> CaptureDaemon:
        d = CaptureDaemon(engram, *args, **kwargs)
        started.append(d)
        d.start()
        return d

    yield start
    for d in started:
        d.stop(timeout=10)


@pytest.fixture(scope="module")
def xserver():
    yield from serve_for_tests()


def texts(engram) -> list[str]:
    return [o.text for o in engram.observations()]


def observation_with(engram, word: str):
    return next((o for o in engram.observations() if word in o.text), None)


# -- a real screen --------------------------------------------------------------------------------
def test_a_window_with_known_text_is_captured_with_app_and_title(xserver, engram, run):
    win = xserver.window("Notesapp", "Groceries list", "Buy oat milk and rye bread",
                         "700x300+40+40")
    try:
        seen = []
        daemon = run(FAST)
        daemon.on_observation = seen.append
        obs = wait_for(lambda: observation_with(engram, "oat milk"), what="the window's text")
        assert (obs.app, obs.title, obs.source_kind) == ("Notesapp", "Groceries list", "screen")
        kept = Image.open(io.BytesIO(FrameStore(engram.paths.frames, engram.data_key).get(obs.frame_id)))
        assert kept.size == (1280, 800) and kept.format == "WEBP"

        win.append("Call the plumber at noon")
        later = wait_for(lambda: observation_with(engram, "plumber"), what="the new line")
        assert "oat milk" not in later.text  # only what is new is stored again
        assert wait_for(lambda: later.id in seen, 5, "the observation callback")
        health = daemon.health()
        assert health.state is CaptureState.CAPTURING
        assert health.skipped > 0 and health.indexed_share is not None
    finally:
        win.close()


def test_an_excluded_window_never_reaches_the_database_or_a_frame(xserver, engram, run):
    vault = xserver.window("KeePassXC", "Passwords.kdbx", "zebra banana vault entry",
                           "500x250+700+500")
    daemon = run(FAST)
    try:
        wait_for(lambda: daemon.state() is CaptureState.EXCLUDED, 20, "the excluded state")
        assert "keepassxc is an excluded app" in daemon.health().detail.lower()
        # Now an ordinary window has the focus and the vault stays visible behind it.
        notes = xserver.window("Notesapp", "Shopping", "Remember the tulip bulbs", "600x300+40+40")
        try:
            obs = wait_for(lambda: observation_with(engram, "tulip"), what="the ordinary window")
        finally:
            notes.close()
        try:
            shown = next(w for w in visible_windows() if w.title == "Passwords.kdbx")
        finally:
            release_x()  # this thread's connection to the X server, which closes after the module
        frame = shown.frame
    finally:
        vault.close()
    everything = "\n".join(f"{o.app} {o.title} {o.text}" for o in engram.observations())
    assert not any(word in everything for word in ("zebra", "banana", "kdbx", "Passwords", "KeePass"))
    pixels = np.asarray(Image.open(io.BytesIO(
        FrameStore(engram.paths.frames, engram.data_key).get(obs.frame_id))))
    assert frame.y <= shown.geometry.y - 10 and frame.height >= 250 + 10  # the title bar the WM draws
    assert not pixels[frame.y:frame.y + frame.height, frame.x:frame.x + frame.width].any()  # all black


def test_a_window_beside_the_focused_one_is_filed_under_its_own_app(xserver, engram, run):
    chat = xserver.window("Signal", "Signal", "Dana: dinner at Luigi's at seven", "560x300+700+40")
    editor = xserver.window("Gedit", "plan.md - Text Editor", "Roadmap for the spring release",
                            "600x300+40+40")
    try:
        run(FAST)
        said = wait_for(lambda: observation_with(engram, "Luigi"), what="the chat")
        plan = wait_for(lambda: observation_with(engram, "Roadmap"), what="the editor")
    finally:
        editor.close()
        chat.close()
    assert (said.app, said.title) == ("Signal", "Signal") and "Roadmap" not in said.text
    assert (plan.app, plan.title) == ("Gedit", "plan.md - Text Editor") and "Luigi" not in plan.text
    engram.forget(app="Signal")
    assert observation_with(engram, "Luigi") is None and observation_with(engram, "Roadmap") is not None


def test_a_private_window_with_an_em_dash_title_is_never_read(xserver, engram, run):
    private = xserver.window("firefox", "New Tab \u2014 Mozilla Firefox Private\u00a0Browsing",
                             "secret chat about the surprise party", "560x300+700+40")
    daemon = run(FAST)
    try:
        wait_for(lambda: daemon.health().reason is Reason.PRIVATE, 20, "the private-window exclusion")
        notes = xserver.window("Notesapp", "Shopping", "Remember the tulip bulbs", "600x300+40+40")
        try:
            wait_for(lambda: observation_with(engram, "tulip"), what="the ordinary window")
        finally:
            notes.close()
    finally:
        private.close()
    everything = "\n".join(f"{o.app} {o.title} {o.text}" for o in engram.observations())
    assert "surprise" not in everything and "Private" not in everything and "firefox" not in everything


def test_small_text_on_a_hidpi_screen_is_read_from_windows_switched_between(engram, run, monkeypatch):
    from tests.capture.xserver import XServer, usable

    if usable():
        pytest.skip(usable())
    server = XServer(2560, 1440)
    monkeypatch.setenv("DISPLAY", server.display)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    notes = ["Quarterly budget review moved to Thursday", "Send the signed contract to legal",
             "Backup server migration finishes next weekend"]
    todo = ["Renew the parking permit before Friday", "Book flights for the Lisbon offsite"]
    windows = []
    try:
        first = server.window("Notesapp", "notes", "\n".join(notes), "2560x1440+0+0", points=10)
        windows.append(first)
        windows.append(server.window("Todoapp", "todo", "\n".join(todo), "2560x1440+0+0", points=10))
        run(replace(FAST, interval=1.0))
        wait_for(lambda: observation_with(engram, "Lisbon"), 90, "the second window's small text")
        first.focus()
        wait_for(lambda: observation_with(engram, "Quarterly"), 90, "the first window's small text")
        stored = "\n".join(texts(engram))
        assert all(line in stored for line in notes + todo), stored
        assert {o.app for o in engram.observations()} == {"Notesapp", "Todoapp"}
    finally:
        for w in windows:
            w.close()
        server.close()


def test_the_desktop_apps_windows_are_never_captured_from_another_process(xserver, engram, run):
    app_window = xserver.window("Engram", "Engram — Memories", "Office door code 4471 revealed",
                                "700x300+40+40")
    try:
        # As the desktop app does at start: its process (here the window's) is noted in the store.
        engram.store.set_setting(WINDOW_PROCESS_KEY, {"pid": app_window.proc.pid, "host": socket.gethostname()})
        daemon = run(replace(FAST, excluded_apps=()))  # not even the app name is excluded
        wait_for(lambda: daemon.health().reason is Reason.OWN, 20, "the own-window exclusion")
        assert daemon.state() is CaptureState.EXCLUDED
        time.sleep(1.0)
        assert not any("4471" in t for t in texts(engram))
        engram.store.set_setting(WINDOW_PROCESS_KEY, None)  # the app quit: its window is any window now
        wait_for(lambda: observation_with(engram, "revealed"), what="the window once it is not Engram's")
    finally:
        app_window.close()


def test_a_shown_api_key_is_redacted_in_stored_text(xserver, engram, run):
    key = "ghp_" + "16C7e42F292c6912E7710c838347Ae178B4a"
    win = xserver.window("Terminal", "deploy notes", f"GITHUB_TOKEN={key}\nthen run deploy",
                         "900x200+40+40")
    try:
        run(FAST)
        # The token's own line (an earlier frame may hold only part of the window, drawn later).
        obs = wait_for(lambda: observation_with(engram, "GITHUB_TOKEN"), what="the token line")
    finally:
        win.close()
    assert "[REDACTED:api-key]" in obs.text
    assert "16C7e42F" not in "".join(texts(engram))


# -- bad input at the seams -----------------------------------------------------------------------
def page(*lines: str, size=(640, 400)) -> np.ndarray:
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("DejaVuSans.ttf", 22)
    for i, line in enumerate(lines):
        draw.text((20, 20 + 40 * i), line, fill="black", font=font)
    return np.asarray(img)


MON1, MON2 = Monitor(1, 0, 0, 640, 400), Monitor(2, 640, 0, 640, 400)


def test_a_monitor_that_disappears_leaves_the_others_captured(engram, run):
    def frames(monitor, n):
        return page("Left screen notes" if monitor.index == 1 else "Right screen agenda")

    source = FakeFrameSource([MON1, MON2], frames)
    daemon = run(FAST, frame_source=source, window_query=lambda: NOTES)
    wait_for(lambda: observation_with(engram, "agenda"), what="the second monitor")
    source.set_monitors([MON1])
    grabs = source.grabs
    wait_for(lambda: source.grabs > grabs + 3, 10, "more grabs")
    assert daemon.state() is CaptureState.CAPTURING
    assert observation_with(engram, "Left screen")


def test_a_monitor_lost_mid_grab_is_an_error_then_recovers(engram, run):
    lost = threading.Event()

    class Flaky(FakeFrameSource):
        def grab(self, monitor):
            if lost.is_set():
                raise ScreenError(f"cannot grab monitor {monitor.index}: it is gone")
            return super().grab(monitor)

    source = Flaky([MON1], lambda m, n: page("Budget meeting notes"))
    daemon = run(FAST, frame_source=source, window_query=lambda: NOTES)
    wait_for(lambda: observation_with(engram, "Budget"), what="the first capture")
    lost.set()
    wait_for(lambda: daemon.state() is CaptureState.ERROR, 10, "the error state")
    assert "monitor 1" in daemon.health().last_error
    lost.clear()
    wait_for(lambda: daemon.state() is CaptureState.CAPTURING, 10, "recovery")


def test_zero_size_and_corrupt_frames_are_recorded_and_skipped(engram, run):
    bad = {0: np.zeros((0, 640, 3), np.uint8), 1: b"not an image", 2: np.zeros((400, 640), np.uint8)}

    source = FakeFrameSource([MON1], lambda m, n: bad.get(n, page("Quarterly plan draft")))
    daemon = run(FAST, frame_source=source, window_query=lambda: NOTES)
    wait_for(lambda: observation_with(engram, "Quarterly"), what="the good frame after bad ones")
    assert "monitor 1" in daemon.health().last_error
    assert daemon.state() is CaptureState.CAPTURING


def test_a_crashed_ocr_worker_is_restarted_and_the_error_recorded(engram, run):
    text = ["Standup notes"]
    source = FakeFrameSource([MON1], lambda m, n: page(*text))
    daemon = run(FAST, frame_source=source, window_query=lambda: NOTES)
    wait_for(lambda: observation_with(engram, "Standup"), what="the first capture")
    pid = daemon.ocr_worker_pid
    os.kill(pid, signal.SIGKILL)
    text.append("Retro action items")
    wait_for(lambda: observation_with(engram, "Retro"), what="a capture after the crash")
    health = daemon.health()
    assert health.ocr_restarts == 1 and "OCR worker" in health.last_error
    assert daemon.ocr_worker_pid not in (None, pid)


class FullDisk:
    """The store seam: behaves like the real store, except that writes fail as on a full disk
    while `full` is set."""

    def __init__(self, store) -> None:
        self._store = store
        self.full = False

    def _check(self) -> None:
        if self.full:
            raise StoreError(f"could not write to {self._store.path}: database or disk is full") \
                from sqlite3.OperationalError("database or disk is full")

    def add_observations(self, items):
        self._check()
        return self._store.add_observations(items)

    def set_setting(self, key, value):
        self._check()
        return self._store.set_setting(key, value)

    def __getattr__(self, name):
        return getattr(self._store, name)


def test_a_full_disk_pauses_capture_with_a_clear_status_and_loses_nothing(engram, run):
    real = engram.store
    engram.store = disk = FullDisk(real)
    text = ["Invoice draft one"]
    source = FakeFrameSource([MON1], lambda m, n: page(*text))
    daemon = run(FAST, frame_source=source, window_query=lambda: NOTES)
    wait_for(lambda: observation_with(engram, "Invoice"), what="the first capture")
    disk.full = True
    text.append("Second paragraph here")
    wait_for(lambda: daemon.state() is CaptureState.PAUSED, 30, "the paused state")
    health = daemon.health()
    assert "disk is full" in health.detail and "disk is full" in health.last_error
    assert health.reason is Reason.DISK_FULL
    # `engram status` in another process: the database took no heartbeat, the reserved slot did.
    other = Engram.unlock(engram.paths, "pass", use_keyring=False)
    try:
        line = wait_for(lambda: (c := capture_status_lines(other)["capture"]).startswith("paused: disk full")
                        and c, 15, "the disk-full status")
    finally:
        other.close()
    assert "free on the disk of" in line and "Free some space" in line and "STALLED" not in line
    assert b"disk" not in (engram.paths.root / BEAT_FILE).read_bytes()  # the slot is encrypted too
    grabs = source.grabs
    time.sleep(1.0)  # a paused daemon does not grab
    assert source.grabs == grabs
    disk.full = False
    daemon.resume()
    wait_for(lambda: observation_with(engram, "Second paragraph"), 30, "the kept observation")
    assert daemon.state() is CaptureState.CAPTURING
    engram.store = real


def test_the_daemon_never_captures_a_window_of_its_own_process(engram, run):
    source = FakeFrameSource([MON1], lambda m, n: page("Office door code 4471"))
    own = WindowInfo(app="python3", title="Engram — Memories", window_id="0x9", pid=os.getpid())
    daemon = run(FAST, frame_source=source, window_query=lambda: own)
    wait_for(lambda: daemon.health().reason is Reason.OWN, 10, "the own-window exclusion")
    assert daemon.state() is CaptureState.EXCLUDED and "Engram" in daemon.health().detail
    assert source.grabs == 0 and texts(engram) == []


# -- pause, idle, stall, status -------------------------------------------------------------------
def test_pause_and_resume_across_processes_and_in_process(engram, run):
    source = FakeFrameSource([MON1], lambda m, n: page("Some text"))
    daemon = run(FAST, frame_source=source, window_query=lambda: NOTES)
    states = []
    daemon.on_state_changed = states.append
    pause_capture(engram)  # what 'engram pause' does in another process
    wait_for(lambda: daemon.state() is CaptureState.PAUSED, 10, "the pause")
    assert daemon.health().reason is Reason.USER
    assert "paused" in capture_status_lines(engram)["capture"]
    resume_capture(engram)
    wait_for(lambda: daemon.state() is CaptureState.CAPTURING, 10, "the resume")
    daemon.pause(0.5)
    assert daemon.health().paused_until is not None
    wait_for(lambda: daemon.state() is CaptureState.PAUSED, 10, "the timed pause")
    wait_for(lambda: daemon.state() is CaptureState.CAPTURING, 10, "the timed pause to end")
    assert CaptureState.PAUSED in states and CaptureState.CAPTURING in states


def test_idle_and_locked_screens_are_not_captured(engram, run):
    idle = [0.0]
    window = [NOTES]
    source = FakeFrameSource([MON1], lambda m, n: page("Some text"))
    daemon = run(replace(FAST, idle_seconds=60), frame_source=source,
                 window_query=lambda: window[0], idle_query=lambda: idle[0])
    wait_for(lambda: source.grabs > 0, 10, "a grab")
    idle[0] = 120.0
    wait_for(lambda: daemon.state() is CaptureState.IDLE, 10, "the idle state")
    assert daemon.health().reason is Reason.IDLE
    idle[0] = 0.0
    window[0] = WindowInfo(app="i3lock", title="")
    wait_for(lambda: daemon.health().detail == "the screen is locked", 10, "the lock")
    assert daemon.state() is CaptureState.IDLE and daemon.health().reason is Reason.LOCKED
    grabs = source.grabs
    time.sleep(0.6)
    assert source.grabs == grabs


def test_a_stuck_capture_thread_shows_as_stalled(engram, run):
    release = threading.Event()

    class Stuck(FakeFrameSource):
        def grab(self, monitor):
            if self.grabs >= 2:
                release.wait(30)
            return super().grab(monitor)

    daemon = run(FAST, frame_source=Stuck([MON1], lambda m, n: page("x")), window_query=lambda: NOTES)
    try:
        wait_for(lambda: daemon.state() is CaptureState.STALLED, 20, "the stalled state")
        assert "has not grabbed" in daemon.health().detail
    finally:
        release.set()


def test_status_says_never_ran_then_running_then_stalled(engram):
    assert capture_status_lines(engram)["capture"].startswith("never ran")
    now = datetime.now(UTC)
    beat = {"running": True, "pid": os.getpid(), "host": "elsewhere", "state": "capturing",
            "updated_at": now.isoformat(), "heartbeat_seconds": 5, "interval": 3,
            "indexed_share": 0.97, "queue_depth": 1, "dropped": 2, "last_error": "",
            "last_capture": now.isoformat()}
    engram.store.set_setting(HEALTH_KEY, beat)
    lines = capture_status_lines(engram)
    assert lines["capture"].startswith("capturing")
    assert lines["health"] == "97% of active time in the last hour captured and indexed"
    assert lines["queue"] == "1 waiting, 2 dropped"
    beat["updated_at"] = (now - timedelta(minutes=10)).isoformat()
    engram.store.set_setting(HEALTH_KEY, beat)
    assert capture_status_lines(engram)["capture"].startswith("STALLED")
    assert "STALLED" in str(engram.status().extra["capture"])


@pytest.mark.parametrize("state,reason,detail,expected", [
    ("paused", "user", "paused by the user", "paused by you until "),
    ("paused", "disk_full", "the disk is full", "paused: disk full ("),
    ("idle", "idle", "no input for 300 s", "idle: no input for 300 s; capture resumes at the next input"),
    ("idle", "locked", "the screen is locked", "idle: the screen is locked"),
    ("excluded", "app", "KeePassXC is an excluded app", "not capturing: KeePassXC is an excluded app"),
    ("excluded", "private", "a private browsing window is active", "not capturing: a private browsing"),
])
def test_status_says_why_capture_is_paused_idle_or_excluded(engram, state, reason, detail, expected):
    now = datetime.now(UTC)
    engram.store.set_setting(HEALTH_KEY, {
        "running": True, "pid": os.getpid(), "host": socket.gethostname(), "state": state, "detail": detail,
        "reason": reason, "paused_until": (now + timedelta(minutes=15)).isoformat(),
        "updated_at": now.isoformat(), "heartbeat_seconds": 5, "interval": 3})
    line = capture_status_lines(engram)["capture"]
    assert line.startswith(expected)
    if reason == "user":
        until = (now + timedelta(minutes=15)).astimezone().strftime("%H:%M:%S")
        assert f"until {until}" in line and "engram resume" in line


def test_status_reports_wayland_plainly(engram, monkeypatch):
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.delenv("DISPLAY", raising=False)
    assert "Wayland" in capture_status_lines(engram)["display"]


def test_status_warns_of_xwayland_limits(engram, monkeypatch):
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.setenv("DISPLAY", ":0")
    assert "only X11 (XWayland) apps" in capture_status_lines(engram)["display"]


def test_a_daemon_under_wayland_is_unavailable(engram, run, monkeypatch):
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.delenv("DISPLAY", raising=False)
    daemon = run(FAST, window_query=lambda: NOTES)
    wait_for(lambda: daemon.state() is CaptureState.UNAVAILABLE, 10, "the unavailable state")
    assert "Wayland" in daemon.health().detail


def test_retention_unlinks_pruned_frames_so_the_timeline_says_why(engram):
    frames = FrameStore(engram.paths.frames, engram.data_key)
    png = b"\x89PNG fake frame"
    old, new, gone = frames.put(png), frames.put(png), frames.put(png)
    t = time.time() - 40 * 86400
    os.utime(engram.paths.frames / old, (t, t))
    now = datetime.now(UTC)
    engram.store.add_observations([NewObservation(time=now, text=f"seen {f}", frame_id=f, source_id=f)
                                   for f in (old, new, gone)])
    frames.delete(gone)  # pruned by an earlier Engram, which left the link behind
    report = prune_frames(engram, frames, CaptureSettings(retention_days=30, retention_gb=5))
    assert report.ids == (old,)
    by_frame = {o.text.split()[1]: o for o in engram.observations()}
    assert (by_frame[old].frame_id, by_frame[old].frame_removed) == (None, "retention")
    assert (by_frame[gone].frame_id, by_frame[gone].frame_removed) == (None, "missing")
    assert (by_frame[new].frame_id, by_frame[new].frame_removed) == (new, "")
    assert "removed by retention" in missing_frame(by_frame[old])
    assert missing_frame(replace(by_frame[new], frame_id=None)) == "No frame was kept for this observation."


def test_settings_round_trip_and_bad_stored_settings_fall_back(engram):
    assert load_capture_settings(engram) == CaptureSettings()
    chosen = CaptureSettings(interval=5, monitors=(2,), excluded_apps=("Slack",), keep_frames=False)
    save_capture_settings(engram, chosen)
    assert load_capture_settings(engram) == chosen
    engram.store.set_setting("capture", {"interval": -1})
    assert load_capture_settings(engram) == CaptureSettings()


# -- a killed daemon (issue 12) -------------------------------------------------------------------
_DAEMON_CHILD = r'''
import sys, time
import numpy as np
from pathlib import Path
from app.daemon import CaptureDaemon
from app.paths import Paths
from app.services import Engram
from capture import CaptureSettings, FakeFrameSource, Monitor, WindowInfo

def frames(monitor, n):  # a screen that changes at every grab, so the worker is always busy
    pixels = np.full((400, 640, 3), 255, np.uint8)
    pixels[20 + (n % 30) * 12:30 + (n % 30) * 12, 20:600] = 0
    return pixels

engram = Engram.unlock(Paths(Path(sys.argv[1])), "pass", use_keyring=False)
daemon = CaptureDaemon(engram, CaptureSettings(interval=0.05, idle_seconds=0),
                       FakeFrameSource([Monitor(1, 0, 0, 640, 400)], frames),
                       lambda: WindowInfo(app="Notesapp", title="Groceries", window_id="0x1"))
daemon.start()
while daemon.ocr_worker_pid is None:
    time.sleep(0.05)
print(daemon.ocr_worker_pid, flush=True)
time.sleep(600)
'''


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_after_kill_9_status_says_the_daemon_is_gone_and_the_worker_exits_quietly(engram, tmp_path):
    import subprocess
    import sys

    err = tmp_path / "stderr.txt"
    with open(err, "wb") as stderr:
        child = subprocess.Popen([sys.executable, "-c", _DAEMON_CHILD, str(engram.paths.root)],
                                 stdout=subprocess.PIPE, stderr=stderr, text=True,
                                 cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    try:
        worker = int(child.stdout.readline())
        wait_for(lambda: capture_status_lines(engram)["capture"].startswith("capturing"), 30,
                 "a heartbeat")
        time.sleep(0.5)  # the worker is reading frames now
        child.kill()
        child.wait(10)
        line = capture_status_lines(engram)["capture"]
        assert line.startswith(f"stopped: the capture daemon (pid {child.pid}) is gone"), line
        assert "capturing (pid" not in line
        wait_for(lambda: not _alive(worker), 15, "the orphaned OCR worker to exit")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        child.stdout.close()
    assert "Traceback" not in err.read_text(), err.read_text()


# -- what is kept: secrets in forms, each window under its own name, only what shows ---------------
def canvas(*items: tuple[int, int, str], size=(1280, 800), boxes=()) -> np.ndarray:
    """A screen: text at (x, y), and dark rectangles (x, y, w, h) standing for other windows."""
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    for x, y, w, h in boxes:
        draw.rectangle((x, y, x + w - 1, y + h - 1), fill="#202020")
    font = ImageFont.truetype("DejaVuSans.ttf", 20)
    for x, y, text in items:
        draw.text((x, y), text, fill="white" if any(bx <= x < bx + bw and by <= y < by + bh
                                                    for bx, by, bw, bh in boxes) else "black", font=font)
    return np.asarray(img)


FORM = [(40, 40, "Account"), (40, 100, "Username"), (340, 100, "dana.w"),
        (40, 150, "Password"), (340, 150, "Tr0ub4dor&3"),
        (40, 200, "wifi password"), (340, 200, "CorrectHorse9"),
        (40, 250, "CVV"), (340, 250, "737"),
        (40, 300, "SSN"), (340, 300, "078-05-1120"),
        (40, 350, "Passport number"), (340, 350, "C01X00T47"),
        (40, 400, "IBAN DE89 3704 0044 0532 0130 00"),
        (40, 450, "Date of birth"), (340, 450, "1984-03-02")]
FORM_SECRETS = ["Tr0ub4dor", "CorrectHorse9", "737", "078-05-1120", "C01X00T47", "3704 0044", "DE89"]


def test_secrets_in_a_form_are_absent_from_the_database_and_the_kept_frame(engram, run):
    source = FakeFrameSource([Monitor(1, 0, 0, 1280, 800)], lambda m, n: canvas(*FORM))
    run(FAST, frame_source=source, window_query=lambda: NOTES)
    obs = wait_for(lambda: observation_with(engram, "Date of birth"), what="the form")
    stored = "\n".join(texts(engram))
    assert not [s for s in FORM_SECRETS if s in stored], stored
    for kept in ("Username", "dana.w", "Password", "CVV", "SSN", "1984-03-02"):
        assert kept in stored
    for kind in ("password", "card-code", "national-id", "passport", "iban"):
        assert f"[REDACTED:{kind}]" in stored
    pixels = np.asarray(Image.open(io.BytesIO(FrameStore(engram.paths.frames, engram.data_key).get(obs.frame_id))))
    for _, y, text in FORM:
        if text in ("Tr0ub4dor&3", "CorrectHorse9", "737", "078-05-1120", "C01X00T47"):
            assert not pixels[y + 4:y + 18, 342:372].any(), text  # blacked out
    assert pixels[450 + 4:450 + 18, 345:420].min() < 100 and pixels[450 + 4:450 + 18, 345:420].max() > 200  # kept


EDITOR = WindowInfo(app="Code", title="plan.md - Code", window_id="0x10", geometry=Region(0, 0, 640, 800))
SIGNAL = WindowInfo(app="Signal", title="Signal", window_id="0x20", geometry=Region(640, 0, 640, 800))


def test_each_visible_window_is_filed_under_its_own_app_and_forgetting_one_is_exact(engram, run):
    screen = canvas((40, 60, "Roadmap for the spring release"), (680, 60, "Dana: dinner at Luigi's at 7"),
                    boxes=[(640, 0, 640, 800)])
    source = FakeFrameSource([Monitor(1, 0, 0, 1280, 800)], lambda m, n: screen)
    run(FAST, frame_source=source, window_query=lambda: EDITOR, visible_query=lambda: [SIGNAL, EDITOR])
    chat = wait_for(lambda: observation_with(engram, "Luigi"), what="the chat")
    plan = wait_for(lambda: observation_with(engram, "Roadmap"), what="the editor")
    assert (chat.app, chat.title) == ("Signal", "Signal") and "Roadmap" not in chat.text
    assert (plan.app, plan.title) == ("Code", "plan.md - Code") and "Luigi" not in plan.text
    frames = FrameStore(engram.paths.frames, engram.data_key)
    plan_pixels = np.asarray(Image.open(io.BytesIO(frames.get(plan.frame_id))))
    chat_pixels = np.asarray(Image.open(io.BytesIO(frames.get(chat.frame_id))))
    assert not plan_pixels[:, 640:].any() and plan_pixels[:, :640].any()  # each frame shows its window
    assert not chat_pixels[:, :640].any() and chat_pixels[60:80, 680:900].max() > 200
    engram.forget(app="Signal")
    assert observation_with(engram, "Luigi") is None
    assert observation_with(engram, "Roadmap") is not None
    assert [h.text for h in engram.search("Luigi dinner")] == []


def test_an_own_window_behind_another_masks_only_what_shows_of_it(engram, run):
    own = WindowInfo(app="Engram", title="Engram — Memories", window_id="0x30", pid=os.getpid(),
                     geometry=Region(40, 60, 900, 500), frame=Region(38, 30, 904, 532))
    terminal = WindowInfo(app="XTerm", title="bash", window_id="0x40", geometry=Region(300, 200, 900, 400))
    screen = canvas((320, 240, "TODO: move the weekend backup to Sunday"), (320, 300, "Weekend plans drafted"),
                    (60, 100, "Vault value 4471 revealed"))
    source = FakeFrameSource([Monitor(1, 0, 0, 1280, 800)], lambda m, n: screen)
    daemon = run(FAST, frame_source=source, window_query=lambda: terminal, visible_query=lambda: [own, terminal])
    obs = wait_for(lambda: observation_with(engram, "Weekend plans"), 30, what=f"the terminal {daemon.health()}")
    stored = "\n".join(texts(engram))
    assert "TODO: move the weekend backup to Sunday" in stored  # whole, not "TODO: m"
    assert "4471" not in stored and "Vault" not in stored
    pixels = np.asarray(Image.open(io.BytesIO(FrameStore(engram.paths.frames, engram.data_key).get(obs.frame_id))))
    assert not pixels[30:200, 38:942].any()  # the part of Engram's window that shows, title bar too
    assert pixels[240:260, 320:700].min() < 100  # the terminal in front of it is not masked
