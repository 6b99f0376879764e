"""Whose windows capture never reads: the daemon's own process and the desktop app's, noted in
the store by the app; and whether a process that wrote a record is still alive."""

from __future__ import annotations

import contextlib
import os
import socket

WINDOW_PROCESS_KEY = "capture_window_process"  # the desktop app's process: its windows are never captured


def record_window_process(engram) -> None:
    """Note that this process shows Engram's windows (the desktop app), so that a capture daemon
    in another process ('engram capture') never captures them either."""
    engram.store.set_setting(WINDOW_PROCESS_KEY, {"pid": os.getpid(), "host": socket.gethostname()})


def forget_window_process(engram) -> None:
    record = engram.store.setting(WINDOW_PROCESS_KEY, None)
    if isinstance(record, dict) and record.get("pid") == os.getpid():
        engram.store.set_setting(WINDOW_PROCESS_KEY, None)


def own_processes(engram) -> frozenset[int]:
    """The processes whose windows capture skips: this one, and the desktop app's when it runs here."""
    pids = {os.getpid()}
    record = engram.store.setting(WINDOW_PROCESS_KEY, None)
    if isinstance(record, dict) and record.get("host") == socket.gethostname() and not _pid_gone(record):
        with contextlib.suppress(TypeError, ValueError):
            pids.add(int(record["pid"]))
    return frozenset(pids)


def _process_start(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot, from /proc), and whether it is a
    zombie: a pid reused by a new process starts later. None where /proc does not tell."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] in (b"Z", b"X"):  # dead, not yet reaped by its parent
        return "dead"
    return fields[19].decode()


def _pid_gone(health: dict) -> bool:
    """Whether the process that wrote `health` is surely gone (only known on this host)."""
    if health.get("host") != socket.gethostname():
        return False
    try:
        pid = int(health.get("pid") or 0)
    except (TypeError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, but another user's: the pid was reused
        return True
    started = health.get("pid_start")
    now = _process_start(pid)
    return now == "dead" or (started is not None and now is not None and now != started)
