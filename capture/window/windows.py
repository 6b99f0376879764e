"""Windows via ctypes (user32, kernel32): foreground window, its title and process name,
and GetLastInputInfo for idle time. A browser's URL is known only when its title shows one (reading
the address bar needs UI Automation); private windows by their title (capture.window.browser)."""

from __future__ import annotations

import ctypes
import os
from ctypes import wintypes

from capture.models import UNKNOWN_WINDOW, AccessCheck, Region, WindowInfo
from capture.window.browser import private_title, url_in_title

_PROCESS_QUERY_LIMITED_INFORMATION = 0x1000


class _LASTINPUTINFO(ctypes.Structure):
    _fields_ = [("cbSize", wintypes.UINT), ("dwTime", wintypes.DWORD)]


def _describe(hwnd) -> WindowInfo:
    user32 = ctypes.windll.user32
    kernel32 = ctypes.windll.kernel32
    length = user32.GetWindowTextLengthW(hwnd)
    buf = ctypes.create_unicode_buffer(length + 1)
    user32.GetWindowTextW(hwnd, buf, length + 1)
    pid = wintypes.DWORD()
    user32.GetWindowThreadProcessId(hwnd, ctypes.byref(pid))
    app = "unknown"
    handle = kernel32.OpenProcess(_PROCESS_QUERY_LIMITED_INFORMATION, False, pid.value)
    if handle:
        try:
            size = wintypes.DWORD(1024)
            path = ctypes.create_unicode_buffer(size.value)
            if kernel32.QueryFullProcessImageNameW(handle, 0, path, ctypes.byref(size)):
                app = os.path.splitext(os.path.basename(path.value))[0] or "unknown"
        finally:
            kernel32.CloseHandle(handle)
    rect = wintypes.RECT()
    geometry = None
    if user32.GetWindowRect(hwnd, ctypes.byref(rect)):
        geometry = Region(rect.left, rect.top, rect.right - rect.left, rect.bottom - rect.top)
    # The lock screen runs as LockApp.exe; when the desktop is switched away, there is no
    # foreground window we can read at all.
    locked = app.lower() in ("lockapp", "logonui")
    return WindowInfo(app=app, title=buf.value, url=url_in_title(app, buf.value), window_id=hex(hwnd or 0),
                      pid=pid.value or None, geometry=geometry, locked=locked,
                      private=private_title(app, buf.value))


def active_window() -> WindowInfo:
    hwnd = ctypes.windll.user32.GetForegroundWindow()
    if not hwnd:
        return UNKNOWN_WINDOW
    return _describe(hwnd)


def visible_windows() -> list[WindowInfo]:
    user32 = ctypes.windll.user32
    found: list[int] = []
    proc = ctypes.WINFUNCTYPE(wintypes.BOOL, wintypes.HWND, wintypes.LPARAM)

    def collect(hwnd, _lparam):
        if user32.IsWindowVisible(hwnd) and not user32.IsIconic(hwnd):
            found.append(hwnd)
        return True

    user32.EnumWindows(proc(collect), 0)
    return [_describe(h) for h in reversed(found)]  # EnumWindows goes top to bottom


def idle_seconds() -> float:
    info = _LASTINPUTINFO()
    info.cbSize = ctypes.sizeof(info)
    if not ctypes.windll.user32.GetLastInputInfo(ctypes.byref(info)):
        return 0.0
    return max(0, ctypes.windll.kernel32.GetTickCount() - info.dwTime) / 1000.0


def release() -> None:
    """Nothing to close here."""


def access_checks() -> list[AccessCheck]:
    """The foreground window and its process, the DPI awareness (a process that is not
    per-monitor aware sees scaled screens blurred and shifted), and a remote session."""
    user32 = ctypes.windll.user32
    hwnd = user32.GetForegroundWindow()
    checks = [AccessCheck(
        "foreground window", bool(hwnd), "the foreground window can be read" if hwnd else
        "no foreground window can be read (the secure desktop, a UAC prompt or the lock screen is up)")]
    if hwnd:
        app = _describe(hwnd).app
        checks.append(AccessCheck(
            "process names", app != "unknown", f"the foreground window belongs to {app}" if app != "unknown" else
            "the foreground window's process cannot be opened (an elevated app): it shows as 'unknown'"))
    try:
        awareness = user32.GetAwarenessFromDpiAwarenessContext(user32.GetThreadDpiAwarenessContext())
        names = {0: "unaware", 1: "system aware", 2: "per-monitor aware"}
        checks.append(AccessCheck("DPI awareness", None, f"this process is {names.get(awareness, awareness)} "
                                  "(mss makes capture per-monitor aware when it starts)"))
    except (AttributeError, OSError):
        pass
    remote = bool(user32.GetSystemMetrics(0x1000))  # SM_REMOTESESSION
    checks.append(AccessCheck("session", None, "a Remote Desktop session" if remote else "a local session"))
    return checks
