"""The active window, idle time and lock state, per OS behind one set of functions.

`active_window()` never raises: where the OS does not say, it returns an "unknown" window."""

from __future__ import annotations

import sys

from capture.models import UNKNOWN_WINDOW, AccessCheck, WindowInfo
from capture.window import fallback

if sys.platform.startswith("linux") or sys.platform.startswith("freebsd"):
    from capture.window import x11 as _impl
elif sys.platform == "win32":
    from capture.window import windows as _impl
elif sys.platform == "darwin":
    from capture.window import macos as _impl
else:
    _impl = fallback


def active_window() -> WindowInfo:
    """The window that has the focus: app, title, and (where the OS allows) URL and geometry."""
    try:
        return _impl.active_window()
    except Exception:  # a window query must never stop capture
        return UNKNOWN_WINDOW


def visible_windows() -> list[WindowInfo]:
    """Every window on screen with its geometry (bottom to top), where the OS tells; else []."""
    try:
        return _impl.visible_windows()
    except Exception:
        return []


def idle_seconds() -> float:
    """Seconds since the last keyboard or mouse input; 0.0 where the OS does not tell."""
    try:
        return _impl.idle_seconds()
    except Exception:
        return 0.0


def access_checks() -> list[AccessCheck]:
    """What this OS lets capture see (display, window manager, permissions), each asked without
    reading the screen. Never raises: a check that fails to run says so as a failed check."""
    try:
        return _impl.access_checks()
    except Exception as exc:
        return [AccessCheck("window module", False, f"the {_impl.__name__.rsplit('.', 1)[-1]} window module "
                            f"failed: {type(exc).__name__}: {exc}")]


def release() -> None:
    """Close the calling thread's connection to the window system, if it holds one."""
    try:
        _impl.release()
    except Exception:
        pass


__all__ = ["access_checks", "active_window", "idle_seconds", "release", "visible_windows"]
