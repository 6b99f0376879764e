"""`engram capture`, `pause`, `resume` and the capture lines of `engram status`."""

import json

import pytest
from click.testing import CliRunner

from app.cli import main
from tests.capture.xserver import serve_for_tests


def run(home, *args, **env):
    environment = {"ENGRAM_HOME": str(home), "ENGRAM_PASSPHRASE": "pass phrase 1", **env}
    return CliRunner().invoke(main, list(args), env=environment, catch_exceptions=False)


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "engram-data"
    assert run(home, "init").exit_code == 0
    return home


@pytest.fixture(scope="module")
def xserver():
    yield from serve_for_tests(set_display=False)


def test_capture_once_prints_what_it_stored(home, xserver):
    win = xserver.window("Notesapp", "Trip plan", "Train to Lyon at nine", "700x300+40+40")
    try:
        result = run(home, "capture", "--once", "--json", DISPLAY=xserver.display, WAYLAND_DISPLAY="")
    finally:
        win.close()
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    (obs,) = out["observations"]
    assert "Lyon" in obs["text"] and obs["app"] == "Notesapp" and obs["title"] == "Trip plan"
    assert out["health"]["frames"] == 1
    status = run(home, "status")
    assert "capture:        stopped" in status.output
    assert "100% of active time" in status.output


def test_capture_under_wayland_says_so_plainly(home):
    result = run(home, "capture", "--once", WAYLAND_DISPLAY="wayland-0", DISPLAY="")
    assert result.exit_code != 0
    assert "Wayland" in result.output
    assert "display:" in run(home, "status", WAYLAND_DISPLAY="wayland-0", DISPLAY="").output


def test_pause_and_resume(home):
    assert "never ran" in run(home, "status").output
    result = run(home, "pause", "--minutes", "5")
    assert result.exit_code == 0 and "capture paused until" in result.output
    assert "paused until" in run(home, "status").output
    assert run(home, "resume").output.strip() == "capture resumed"
    assert "paused" not in run(home, "status").output
