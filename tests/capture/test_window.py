"""What window titles tell (private windows, addresses) and logind's lock hint, at their seams."""

import shutil
import subprocess
import threading

import pytest

from capture import PrivacyGate, WindowInfo
from capture.window.browser import private_title, url_in_title
from capture.window.logind import RETRY_SECONDS, LockedHint


@pytest.mark.parametrize("app,title", [
    ("firefox", "Search — Mozilla Firefox Private Browsing"),
    ("Navigator", "Mozilla Firefox (Private Browsing)"),
    ("firefox", "Nueva pestaña — Navegación privada de Mozilla Firefox"),
    ("Google-chrome", "New Tab - Google Chrome (Incognito)"),
    ("Chromium", "Example Domain - Chromium (Incognito)"),
    ("Brave-browser", "GitHub - Brave (Private)"),
    ("Microsoft-edge", "New tab - [InPrivate] - Microsoft Edge"),
])
def test_private_browser_windows_are_known_by_their_titles(app, title):
    assert private_title(app, title)
    assert "private" in PrivacyGate(excluded_titles=()).excluded(WindowInfo(app=app, title=title,
                                                                             private=private_title(app, title)))


# Titles as browsers really write them: em and en dashes, no-break and thin spaces, bidi marks
# around a right-to-left page title, upper case, and the app classes of Flatpak and Snap builds.
REAL_PRIVATE_TITLES = [
    ("firefox", "Mozilla Firefox Private Browsing"),
    ("firefox", "New Tab \u2014 Mozilla Firefox Private Browsing"),
    ("firefox", "Inbox \u2013 Mozilla Firefox Private\u00a0Browsing"),
    ("firefox", "\u200f\u05d7\u05d3\u05e9\u05d5\u05ea\u200f \u2014 Mozilla Firefox Private\u2009Browsing"),
    ("firefox", "Start Page \u2014 MOZILLA FIREFOX PRIVATE BROWSING"),
    ("org.mozilla.firefox", "GitHub \u2014 Mozilla Firefox Private Browsing"),
    ("firefox_firefox", "Wikipedia \u2014 Mozilla Firefox Private Browsing"),
    ("librewolf", "Search \u2014 LibreWolf Private Browsing"),
    ("Google-chrome", "New Tab \u2010 Google Chrome (Incognito)"),
    ("chromium-browser", "Example Domain - Chromium (Incognito)\u200b"),
    ("Microsoft-edge", "New tab \u2012 [InPrivate] \u2012 Microsoft\u200b Edge"),
    ("Brave-browser", "Search \uff0d Brave (Private)"),
    ("Vivaldi-stable", "Speed Dial - Vivaldi (Private)"),
]


@pytest.mark.parametrize("app,title", REAL_PRIVATE_TITLES)
def test_real_private_titles_are_known_in_any_dash_space_or_case(app, title):
    assert private_title(app, title)
    found = PrivacyGate(excluded_titles=()).exclusion(WindowInfo(app=app, title=title))
    assert found is not None and found.kind == "private"


@pytest.mark.parametrize("pattern,title", [
    ("Budget – 2025", "Budget - 2025.xlsx — LibreOffice Calc"),       # en dash in the rule
    ("payroll - march", "PAYROLL \u2014 March.ods - LibreOffice"),   # em dash in the title
    ("secret project", "notes on the secret\u00a0project - gedit"),  # a no-break space
])
def test_user_title_patterns_match_in_any_dash_space_or_case(pattern, title):
    gate = PrivacyGate(excluded_apps=(), excluded_titles=(pattern,))
    found = gate.exclusion(WindowInfo(app="x", title=title))
    assert found is not None and found.kind == "title"


def test_excluded_apps_match_their_flatpak_and_snap_names():
    gate = PrivacyGate(excluded_apps=("KeePassXC", "signal"))
    assert gate.exclusion(WindowInfo(app="org.keepassxc.KeePassXC")).kind == "app"
    assert gate.exclusion(WindowInfo(app="signal_signal")).kind == "app"
    assert gate.exclusion(WindowInfo(app="signal-desktop")) is None


def test_an_address_in_a_title_with_unicode_dashes():
    assert url_in_title("org.mozilla.firefox", "https://example.org/docs \u2014 Mozilla Firefox") == \
        "https://example.org/docs"


@pytest.mark.parametrize("app,title", [
    ("firefox", "Python docs — Mozilla Firefox"),
    ("Google-chrome", "Gmail - Google Chrome"),
    ("Xterm", "notes (Private)"),  # not a browser: its title is its own business
])
def test_ordinary_windows_are_not_private(app, title):
    assert not private_title(app, title)


def test_a_url_is_taken_only_from_a_browser_title_and_without_its_query():
    assert url_in_title("firefox", "https://example.org/a/b?token=abc#top — Mozilla Firefox") == \
        "https://example.org/a/b"
    assert url_in_title("Chromium", "http://user:pw@intranet:8080/wiki - Chromium") == "http://intranet:8080/wiki"
    assert url_in_title("firefox", "Example Domain — Mozilla Firefox") == ""
    assert url_in_title("Code", "https://example.org/readme.md - Visual Studio Code") == ""
    assert url_in_title("firefox", "http://[bad — Mozilla Firefox") == ""


def test_an_engram_window_is_never_captured():
    gate = PrivacyGate(own_pids=frozenset({4242}))
    found = gate.exclusion(WindowInfo(app="python3", title="Engram", pid=4242))
    assert found is not None and found.kind == "own" and "Engram" in found.reason
    assert gate.exclusion(WindowInfo(app="python3", title="Engram", pid=4243)) is None


# -- logind -----------------------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_lock_hint_is_cached_and_a_missing_bus_is_not_asked_again_at_once():
    clock, asked, answers = Clock(), [], [True]

    def ask():
        asked.append(clock.now)
        if isinstance(answers[0], Exception):
            raise answers[0]
        return answers[0]

    hint = LockedHint(ask, clock)
    assert hint.locked() is True and hint.locked() is True
    assert len(asked) == 1  # the second answer came from the cache
    clock.now += 5
    answers[0] = ConnectionRefusedError("no system bus")
    assert hint.locked() is None
    clock.now += 5
    assert hint.locked() is None and len(asked) == 2  # not asked again within a minute
    clock.now += RETRY_SECONDS
    answers[0] = False
    assert hint.locked() is False and len(asked) == 3


_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path={socket}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/>
<allow own="*"/><allow user="*"/></policy></busconfig>"""


@pytest.fixture
def system_bus(tmp_path, monkeypatch):
    """A private D-Bus daemon standing in for the system bus."""
    if shutil.which("dbus-daemon") is None:
        pytest.skip("dbus-daemon is not installed")
    config = tmp_path / "bus.conf"
    socket = tmp_path / "bus.socket"
    config.write_text(_BUS_CONFIG.format(socket=socket))
    proc = subprocess.Popen(["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    address = proc.stdout.readline().strip()
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", address)
    yield address
    proc.terminate()
    proc.wait(5)
    proc.stdout.close()


def fake_logind(locked: list[bool], ready: threading.Event, stop: threading.Event) -> None:
    """org.freedesktop.login1 answering Properties.Get(LockedHint) for the session 'auto'."""
    from jeepney import MessageType, new_error, new_method_return
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(bus="SYSTEM") as conn:
        conn.send_and_get_reply(message_bus.RequestName("org.freedesktop.login1"))
        ready.set()
        while not stop.is_set():
            try:
                msg = conn.receive(timeout=0.2)
            except TimeoutError:
                continue
            if msg.header.message_type is not MessageType.method_call:
                continue
            if msg.body == ("org.freedesktop.login1.Session", "LockedHint") and \
                    msg.header.fields.get(1) == "/org/freedesktop/login1/session/auto":
                conn.send(new_method_return(msg, "v", (("b", locked[0]),)))
            else:
                conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod"))


def test_logind_lock_hint_over_a_real_bus(system_bus):
    locked, ready, stop = [False], threading.Event(), threading.Event()
    server = threading.Thread(target=fake_logind, args=(locked, ready, stop), daemon=True)
    server.start()
    assert ready.wait(10)
    clock = Clock()
    hint = LockedHint(clock=clock)
    try:
        assert hint.locked() is False
        locked[0] = True
        clock.now += 5
        assert hint.locked() is True
    finally:
        hint.close()
        stop.set()
        server.join(5)


def test_without_a_system_bus_the_lock_hint_is_silent(tmp_path, monkeypatch):
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path / 'nothing-here'}")
    assert LockedHint().locked() is None
