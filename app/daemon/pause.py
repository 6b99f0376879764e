"""Pausing capture across processes: `engram pause` in a terminal, the tray, and the running
daemon all read and write one stored setting."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.daemon.health import _iso, _now, _parse

PAUSE_KEY = "capture_pause"


def pause_capture(engram, seconds: float | None = None) -> datetime | None:
    """Pause capture (for `seconds`, or until resumed) in every process using this data
    directory: the running daemon polls this setting. Returns when the pause ends (None: never)."""
    until = None if seconds is None else _now() + timedelta(seconds=seconds)
    engram.store.set_setting(PAUSE_KEY, {"until": _iso(until), "at": _iso(_now())})
    return until


def resume_capture(engram) -> None:
    engram.store.set_setting(PAUSE_KEY, None)


def _read_pause(value: object) -> tuple[bool, datetime | None]:
    """(paused?, until) from the stored pause setting."""
    if not isinstance(value, dict):
        return False, None
    until = _parse(value.get("until"))
    if until is None:
        return True, None
    return until > _now(), until
