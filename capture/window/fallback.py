"""Where no OS module applies: an unknown window, never idle."""

from __future__ import annotations

import sys

from capture.models import UNKNOWN_WINDOW, AccessCheck, WindowInfo


def active_window() -> WindowInfo:
    return UNKNOWN_WINDOW


def visible_windows() -> list[WindowInfo]:
    return []


def idle_seconds() -> float:
    return 0.0


def release() -> None:
    """Nothing to close here."""


def access_checks() -> list[AccessCheck]:
    return [AccessCheck("window module", False, f"Engram has no window module for {sys.platform}: every window "
                        "is 'unknown'")]
