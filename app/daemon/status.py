"""What `engram status` says about capture, in words, from the daemon's heartbeat."""

from __future__ import annotations

import shutil
import sys
from datetime import datetime

from app.daemon.health import HEARTBEAT_SECONDS, Reason, _latest_beat, _now, _parse
from app.daemon.owners import _pid_gone
from app.daemon.pause import PAUSE_KEY, _read_pause
from capture import screen_problem, screen_warning, wayland_only

LOW_DISK_BYTES = 64 * 1024 * 1024  # below this, a silent daemon is taken to be stopped by a full disk
DISK_FULL_RETRY_SECONDS = 60.0


def _free_bytes(engram) -> int | None:
    try:
        return shutil.disk_usage(engram.paths.root).free
    except OSError:
        return None


def _size(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def _disk_full_text(engram) -> str:
    free = _free_bytes(engram)
    where = f"{_size(free)} free on the disk of {engram.paths.root}" if free is not None else \
        f"the disk of {engram.paths.root} is full"
    return (f"paused: disk full ({where}). Free some space, or keep fewer frames (Settings › Capture, "
            f"retention); capture retries every {DISK_FULL_RETRY_SECONDS:.0f} s, or run 'engram resume'")


def _state_text(engram, health: dict, until: datetime | None) -> str:
    """What the daemon is doing, in words, from its heartbeat's state and reason."""
    state = str(health.get("state") or "unknown")
    detail = str(health.get("detail") or "")
    reason = str(health.get("reason") or "")
    if reason == Reason.DISK_FULL:
        return _disk_full_text(engram)
    if reason == Reason.USER:
        until = _parse(health.get("paused_until")) or until
        return f"paused by you {_until_text(until)} (resume with 'engram resume' or the tray menu)"
    if reason == Reason.IDLE:
        return f"idle: {detail or 'no input for a while'}; capture resumes at the next input"
    if reason == Reason.LOCKED:
        return "idle: the screen is locked; capture resumes when it is unlocked"
    if reason in (Reason.PRIVATE, Reason.OWN, Reason.APP, Reason.TITLE):
        return f"not capturing: {detail}" if detail else "not capturing: an excluded window is in front"
    return state + (f": {detail}" if detail else "")


def capture_status_lines(engram) -> dict[str, object]:
    """What `engram status` shows about capture, read from the daemon's heartbeat."""
    lines: dict[str, object] = {}
    problem = screen_problem() if wayland_only() else screen_warning()
    if problem:
        lines["display"] = problem
    health = _latest_beat(engram)
    paused, until = _read_pause(engram.store.setting(PAUSE_KEY, None))
    if not isinstance(health, dict):
        lines["capture"] = "never ran (start it with 'engram capture' or the tray app)"
        if paused:
            lines["capture"] += f"; paused {_until_text(until)}"
        return _with_url_note(lines)
    updated = _parse(health.get("updated_at"))
    age = (_now() - updated).total_seconds() if updated else None
    beat = float(health.get("heartbeat_seconds") or HEARTBEAT_SECONDS)
    interval = float(health.get("interval") or 0)
    state = str(health.get("state") or "unknown")
    if not health.get("running"):
        lines["capture"] = f"stopped {_ago(age)}" if age is not None else "stopped"
    elif _pid_gone(health):
        # Killed (kill -9, a crash, a power cut): it never wrote its last "stopped" beat.
        lines["capture"] = (f"stopped: the capture daemon (pid {health.get('pid')}) is gone without "
                            f"stopping cleanly; last heartbeat {_ago(age)} (it last said: {state}). "
                            "Start it again with 'engram capture' or the tray app")
    elif age is None or age > max(30.0, 3 * beat + 2 * interval):
        gone = _pid_gone(health)
        free = _free_bytes(engram)
        if not gone and free is not None and free < LOW_DISK_BYTES:
            # Neither the database nor the slot took a heartbeat: the disk is the likely cause.
            lines["capture"] = _disk_full_text(engram) + \
                f" (no heartbeat from pid {health.get('pid')} for {_ago(age, bare=True)})"
        else:
            lines["capture"] = (f"STALLED: no heartbeat from the capture daemon (pid {health.get('pid')}) "
                                f"for {_ago(age, bare=True)}" + ("; that process is gone" if gone else "")
                                + f" (it last said: {state})")
    else:
        lines["capture"] = _state_text(engram, health, until) + \
            f" (pid {health.get('pid')}, heartbeat {_ago(age)})"
    if paused and "paused" not in str(lines["capture"]):
        lines["capture"] = f"{lines['capture']}; paused {_until_text(until)}"
    share = health.get("indexed_share")
    lines["health"] = ("no active time in the last hour" if share is None else
                       f"{float(share):.0%} of active time in the last hour captured and indexed")
    if not health.get("running"):
        lines["health"] += " (when it last ran)"
    lines["queue"] = f"{health.get('queue_depth', 0)} waiting, {health.get('dropped', 0)} dropped"
    last = _parse(health.get("last_capture"))
    lines["last capture"] = last.astimezone().strftime("%Y-%m-%d %H:%M:%S") if last else "none"
    if health.get("last_error"):
        at = _parse(health.get("last_error_at"))
        lines["last error"] = str(health["last_error"]) + (
            f" ({at.astimezone().strftime('%H:%M:%S')})" if at else "")
    return _with_url_note(lines)


def _with_url_note(lines: dict[str, object]) -> dict[str, object]:
    if sys.platform.startswith("linux"):  # said plainly rather than guessed
        lines["browser URLs"] = ("not available on X11 (browsers do not publish their address); one is "
                                 "kept only when the window title shows it")
    return lines


def _until_text(until: datetime | None) -> str:
    return "until resumed" if until is None else f"until {until.astimezone().strftime('%H:%M:%S')}"


def _ago(seconds: float | None, bare: bool = False) -> str:
    if seconds is None:
        return "an unknown time" if bare else "at an unknown time"
    s = max(0, int(seconds))
    text = f"{s} s" if s < 120 else f"{s // 60} min" if s < 7200 else f"{s // 3600} h"
    return text if bare else f"{text} ago"
