"""`engram doctor` against a real X server: what capture can see, whether the components load,
and that it captures and stores nothing."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from app.cli import main
from app.paths import Paths
from app.services import Engram
from tests.capture.xserver import serve_for_tests
from tests.conftest import FAST_KDF

PASSPHRASE = "pass phrase 1"


@pytest.fixture(scope="module")
def xserver():
    yield from serve_for_tests(set_display=False)


def doctor(home, *args, **env):
    environment = {"ENGRAM_HOME": str(home), "ENGRAM_PASSPHRASE": None, "ENGRAM_MODEL": None, **env}
    return CliRunner().invoke(main, ["doctor", *args], env=environment, catch_exceptions=False)


def test_doctor_reports_the_screen_the_window_and_the_components_and_stores_nothing(tmp_path, xserver):
    home = tmp_path / "engram-data"
    win = xserver.window("Notesapp", "Trip plan", "Train to Lyon at nine", "700x300+40+40")
    try:
        result = doctor(home, "--json", DISPLAY=xserver.display, WAYLAND_DISPLAY="")
    finally:
        win.close()
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["monitors"] == [{"index": 1, "left": 0, "top": 0, "width": 1280, "height": 800}]
    assert report["screen"] == {"name": "screen", "ok": True, "detail": "1 monitor(s) can be captured"}
    window = report["active_window"]
    assert (window["app"], window["title"], window["private"], window["locked"]) == ("Notesapp", "Trip plan", False,
                                                                                     False)
    assert window["geometry"][2:] == [700, 300] and window["pid"] == win.proc.pid
    assert report["session"] == f"X11 (DISPLAY={xserver.display})"
    access = {c["name"]: c["ok"] for c in report["access"]}
    assert access["X display"] is access["window manager"] is access["window stack"] is True
    assert access["idle and screensaver"] is access["window owners"] is True
    components = {c["name"]: c for c in report["components"]}
    assert list(components) == ["OCR", "embedding model", "search index", "llama.cpp", "language model"]
    assert all(c["ok"] is True for c in components.values()), components
    assert components["OCR"]["detail"].startswith("read 'Engram doctor 4217' from a test picture")
    embedding = components["embedding model"]["detail"]
    assert embedding.startswith("all-MiniLM-L6-v2-int8: 384 dimensions")
    assert "use-multilingual-v3: 512 dimensions" in embedding
    assert "language identification: 'Wann ist die Budgetbesprechung?' is German" in embedding
    assert components["language model"]["detail"].startswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    assert "the built-in floor model" in components["language model"]["detail"]
    assert report["problems"] == [] and report["data_initialized"] is False
    assert not home.exists()  # nothing was stored: not even the data directory was made
    import numpy as np

    from memory.vectors import ChromaIndex

    index = ChromaIndex(384)  # this process's in-memory index of record still takes 384 dimensions
    index.add(["after-doctor"], np.ones((1, 384), dtype=np.float32))
    index.remove(["after-doctor"])


def test_titles_can_be_left_out_and_the_text_report_reads_plainly(tmp_path, xserver):
    win = xserver.window("Mailer", "Offer from Anna", "Dear Sam", "500x200+60+60")
    try:
        hidden = doctor(tmp_path / "d", "--json", "--quick", "--hide-titles", DISPLAY=xserver.display)
        text = doctor(tmp_path / "d", "--quick", DISPLAY=xserver.display)
    finally:
        win.close()
    assert json.loads(hidden.stdout)["active_window"]["title"] == "(hidden) 15 characters"
    assert json.loads(hidden.stdout)["components"] == []
    assert "Offer from Anna" not in hidden.stdout
    assert "       app 'Mailer', title 'Offer from Anna'" in text.stdout
    assert "       monitor 1: 1280x800 at (0, 0)" in text.stdout
    assert "  ok   window manager: Openbox publishes the active window" in text.stdout
    assert text.stdout.rstrip().endswith("No problems found.")


def test_a_wayland_session_is_reported_as_the_problem_it_is(tmp_path):
    result = doctor(tmp_path / "d", "--quick", WAYLAND_DISPLAY="wayland-0", DISPLAY="", XDG_SESSION_TYPE="wayland")
    assert result.exit_code == 0
    assert "Session     Wayland (WAYLAND_DISPLAY=wayland-0)" in result.stdout
    assert "  FAIL this is a Wayland session without X: the screen cannot be captured here" in result.stdout
    assert "2 problem(s): screen, X display." in result.stdout


def test_the_model_chosen_in_settings_shows_when_engram_opens_without_asking(tmp_path):
    paths = Paths(tmp_path / "d")
    mine = tmp_path / "mine.gguf"
    mine.write_bytes(b"GGUF" + bytes(2_000_000))
    with Engram.create(paths, PASSPHRASE, FAST_KDF) as engram:
        engram.use_model_file(mine)
    locked = doctor(paths.root, "--json", DISPLAY="")
    model = json.loads(locked.stdout)["components"][-1]
    assert model["ok"] is True and model["detail"].startswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    assert "Engram is locked, so a model chosen in Settings (which wins) is not shown" in model["detail"]
    opened = doctor(paths.root, "--json", DISPLAY="", ENGRAM_PASSPHRASE=PASSPHRASE)
    assert json.loads(opened.stdout)["components"][-1] == {"name": "language model", "ok": True,
                                                            "detail": "mine.gguf (2 MB), your choice"}
    with Engram.unlock(paths, PASSPHRASE, use_keyring=False) as engram:
        assert engram.status().observations == 0
