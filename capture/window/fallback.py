"""Where no OS module applies: an unknown window, never idle."""

from __future__ import annotations

from capture.models import UNKNOWN_WINDOW, WindowInfo


def active_window() -> WindowInfo:
    return UNKNOWN_WINDOW


def visible_windows() -> list[WindowInfo]:
    return []


def idle_seconds() -> float:
    return 0.0


def release() -> None:
    """Nothing to close here."""
