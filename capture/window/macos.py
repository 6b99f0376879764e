"""macOS via pyobjc (AppKit, Quartz), when it is installed; else an unknown window.

Window titles need the Screen Recording permission; without it they come back empty. A browser's
URL is known only when its title shows one (the address bar needs AppleScript per browser); private
windows by their title (capture.window.browser)."""

from __future__ import annotations

from capture.models import UNKNOWN_WINDOW, AccessCheck, Region, WindowInfo
from capture.window.browser import private_title, url_in_title


def active_window() -> WindowInfo:
    try:
        import Quartz
        from AppKit import NSWorkspace
    except ImportError:
        return UNKNOWN_WINDOW
    app = NSWorkspace.sharedWorkspace().frontmostApplication()
    if app is None:
        return UNKNOWN_WINDOW
    name = str(app.localizedName() or "unknown")
    pid = int(app.processIdentifier())
    options = Quartz.kCGWindowListOptionOnScreenOnly | Quartz.kCGWindowListExcludeDesktopElements
    for w in Quartz.CGWindowListCopyWindowInfo(options, Quartz.kCGNullWindowID) or ():
        if int(w.get("kCGWindowOwnerPID", -1)) == pid and int(w.get("kCGWindowLayer", 1)) == 0:
            b = w.get("kCGWindowBounds", {})
            title = str(w.get("kCGWindowName") or "")
            return WindowInfo(
                app=name, title=title, url=url_in_title(name, title), pid=pid, private=private_title(name, title),
                window_id=str(w.get("kCGWindowNumber", "")),
                geometry=Region(int(b.get("X", 0)), int(b.get("Y", 0)), int(b.get("Width", 0)),
                                int(b.get("Height", 0))),
                locked=name.lower() in ("loginwindow", "screensaverengine"))
    return WindowInfo(app=name, pid=pid, locked=name.lower() in ("loginwindow", "screensaverengine"))


def visible_windows() -> list[WindowInfo]:
    try:
        import Quartz
    except ImportError:
        return []
    options = Quartz.kCGWindowListOptionOnScreenOnly | Quartz.kCGWindowListExcludeDesktopElements
    out = []
    for w in Quartz.CGWindowListCopyWindowInfo(options, Quartz.kCGNullWindowID) or ():
        if int(w.get("kCGWindowLayer", 1)) != 0:
            continue
        b = w.get("kCGWindowBounds", {})
        out.append(WindowInfo(
            app=str(w.get("kCGWindowOwnerName") or "unknown"), title=str(w.get("kCGWindowName") or ""),
            pid=int(w.get("kCGWindowOwnerPID", 0)) or None, window_id=str(w.get("kCGWindowNumber", "")),
            geometry=Region(int(b.get("X", 0)), int(b.get("Y", 0)), int(b.get("Width", 0)),
                            int(b.get("Height", 0)))))
    return list(reversed(out))  # the list is front to back


def idle_seconds() -> float:
    try:
        import Quartz
    except ImportError:
        return 0.0
    return float(Quartz.CGEventSourceSecondsSinceLastEventType(
        Quartz.kCGEventSourceStateCombinedSessionState, Quartz.kCGAnyInputEventType))


def release() -> None:
    """Nothing to close here."""


def access_checks() -> list[AccessCheck]:
    """pyobjc, and the Screen Recording permission (asked with CGPreflightScreenCaptureAccess,
    which never shows the system prompt)."""
    try:
        import Quartz
        from AppKit import NSWorkspace  # noqa: F401
    except ImportError as exc:
        return [AccessCheck("pyobjc", False, f"AppKit and Quartz (pyobjc) cannot be imported ({exc}): no window "
                            "can be known and nothing can be captured")]
    checks = [AccessCheck("pyobjc", True, "AppKit and Quartz are there")]
    preflight = getattr(Quartz, "CGPreflightScreenCaptureAccess", None)
    if preflight is None:
        checks.append(AccessCheck("Screen Recording permission", None, "this macOS is older than 10.15: no "
                                  "permission is needed"))
    elif preflight():
        checks.append(AccessCheck("Screen Recording permission", True, "granted: window titles and the screen "
                                  "can be read"))
    else:
        checks.append(AccessCheck(
            "Screen Recording permission", False,
            "not granted: the screen captures as the desktop only and window titles are empty. Turn Engram on in "
            "System Settings › Privacy & Security › Screen & System Audio Recording, then quit and reopen Engram"))
    return checks
