"""The real screen and window seams under a private Xvfb."""

import numpy as np
import pytest

from capture import (
    MssFrameSource,
    ScreenError,
    active_window,
    idle_seconds,
    release,
    screen_problem,
    visible_windows,
)


def test_grabs_every_monitor_as_rgb(xserver):
    source = MssFrameSource()
    monitors = source.monitors()
    assert [(m.width, m.height) for m in monitors] == [(1280, 800)]
    frame = source.grab(monitors[0])
    assert frame.pixels.shape == (800, 1280, 3) and frame.pixels.dtype == np.uint8
    source.close()


def test_active_window_names_app_title_and_geometry(xserver):
    win = xserver.window("Notesapp", "Groceries list", "milk and eggs", "600x300+100+80")
    try:
        info = active_window()
        assert (info.app, info.title) == ("Notesapp", "Groceries list")
        assert info.geometry is not None and info.geometry.width == 600
        assert info.url == "" and not info.locked and not info.private
        assert info.pid == win.proc.pid  # Tk sets no _NET_WM_PID: the X-Resource extension tells
        assert "Groceries list" in [w.title for w in visible_windows()]
        assert idle_seconds() >= 0.0
    finally:
        release()
        win.close()


def test_a_private_browser_window_and_a_url_in_a_title(xserver):
    win = xserver.window("firefox", "https://example.org/notes?id=7 — Mozilla Firefox Private Browsing",
                         "secret notes", "600x300+100+80")
    try:
        info = active_window()
        assert info.private and info.url == "https://example.org/notes"
    finally:
        release()
        win.close()


def test_a_monitor_that_is_gone_is_a_screen_error(xserver):
    source = MssFrameSource()
    (monitor,) = source.monitors()
    from dataclasses import replace

    with pytest.raises(ScreenError):
        source.grab(replace(monitor, left=5000, index=2))  # outside every screen
    source.close()


def test_wayland_without_x_is_reported_plainly(monkeypatch):
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.delenv("DISPLAY", raising=False)
    assert "Wayland" in screen_problem()
    with pytest.raises(ScreenError, match="Wayland"):
        MssFrameSource().monitors()
    assert active_window().app == "unknown"
