"""X11 (and XWayland) via python-xlib: EWMH _NET_ACTIVE_WINDOW, WM_CLASS, _NET_WM_NAME,
_NET_CLIENT_LIST_STACKING, the owning process from _NET_WM_PID or else the X-Resource extension,
the MIT-SCREEN-SAVER extension for idle time and lock, and logind's LockedHint for lock.

X11 does not expose a browser's address: `url` is set only when the window title shows one
(capture.window.browser); private browser windows are known by the markers browsers put in
their titles (no window class or role tells them apart)."""

from __future__ import annotations

import os
import threading

from capture.models import UNKNOWN_WINDOW, AccessCheck, Region, WindowInfo
from capture.window.browser import private_title, url_in_title
from capture.window.logind import LockedHint

_local = threading.local()  # Xlib displays are not thread-safe: one per thread
_logind = LockedHint()


def _display():
    d = getattr(_local, "display", None)
    if d is None:
        if not os.environ.get("DISPLAY"):
            raise OSError("no X display")
        from Xlib import display

        d = display.Display()
        _local.display = d
        _local.atoms = {}
    return d


def release() -> None:
    """Close this thread's X connection (call it when a thread that asked is done)."""
    _drop()


def _drop() -> None:
    d = getattr(_local, "display", None)
    _local.display = None
    if d is not None:
        try:
            d.close()
        except Exception:  # a dead connection may fail to close; it is dropped anyway
            pass


def _atom(name: str) -> int:
    atoms = _local.atoms
    if name not in atoms:
        atoms[name] = _display().intern_atom(name)
    return atoms[name]


def _prop(window, name: str, kind: str | None = None):
    from Xlib import X

    prop = window.get_full_property(_atom(name), _atom(kind) if kind else X.AnyPropertyType)
    return None if prop is None else prop.value


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _describe(window, root, screensaver_on: bool = False) -> WindowInfo:
    from Xlib.error import XError

    try:
        wm_class = window.get_wm_class() or ("", "")
    except XError:
        wm_class = ("", "")
    app = wm_class[1] or wm_class[0] or "unknown"
    title = _text(_prop(window, "_NET_WM_NAME", "UTF8_STRING")) or _text(window.get_wm_name())
    pid_value = _prop(window, "_NET_WM_PID")
    pid = int(pid_value[0]) if pid_value is not None and len(pid_value) else _client_pid(window.id)
    geometry = frame = None
    try:
        g = window.get_geometry()
        pos = root.translate_coords(window, 0, 0)
        geometry = Region(int(pos.x), int(pos.y), int(g.width), int(g.height))
        frame = _frame(window, root, geometry)
    except XError:
        pass
    return WindowInfo(app=app, title=title, url=url_in_title(app, title), window_id=hex(window.id), pid=pid,
                      geometry=geometry, locked=screensaver_on, private=private_title(app, title),
                      frame=frame)


def _frame(window, root, geometry: Region) -> Region:
    """The window with its title bar and borders: the window manager's _NET_FRAME_EXTENTS, or
    else the frame window it reparented the client into (the child of the root above it);
    whichever is larger, so that no part of a decoration is left out."""
    from Xlib.error import XError

    best = geometry
    extents = _prop(window, "_NET_FRAME_EXTENTS")
    if extents is not None and len(extents) == 4:
        left, right, top, bottom = (max(0, int(v)) for v in extents)
        best = Region(geometry.x - left, geometry.y - top, geometry.width + left + right,
                      geometry.height + top + bottom)
    try:
        top_level, parent = window, window.query_tree().parent
        while parent is not None and parent.id not in (0, root.id):
            top_level, parent = parent, parent.query_tree().parent
        if top_level.id != window.id:
            g = top_level.get_geometry()
            pos = root.translate_coords(top_level, 0, 0)
            b = int(g.border_width)
            framed = Region(int(pos.x) - b, int(pos.y) - b, int(g.width) + 2 * b, int(g.height) + 2 * b)
            if framed.area > best.area:
                best = framed
    except XError:
        pass
    return best


def _client_pid(wid: int) -> int | None:
    """The process of the X client that made the window, from the X-Resource extension (for
    windows without _NET_WM_PID, such as Tk's and xterm's); None for a remote client."""
    from Xlib.error import XError

    d = _display()
    if not d.has_extension("X-Resource"):
        return None
    from Xlib.ext import res

    try:
        reply = d.res_query_client_ids([{"client": wid, "mask": res.LocalClientPIDMask}])
    except XError:
        return None
    for found in reply.ids:
        if found.spec.mask & res.LocalClientPIDMask and len(found.value):
            return int(found.value[0])
    return None


def _locked(d, root) -> bool:
    """The screen is locked: the X screensaver is on, or logind says the session is locked."""
    if d.has_extension("MIT-SCREEN-SAVER"):
        from Xlib.ext import screensaver

        if root.screensaver_query_info().state == screensaver.StateOn:
            return True
    return _logind.locked() is True


def active_window() -> WindowInfo:
    from Xlib.error import ConnectionClosedError, XError

    try:
        d = _display()
        root = d.screen().root
        locked = _locked(d, root)
        value = _prop(root, "_NET_ACTIVE_WINDOW")
        wid = int(value[0]) if value is not None and len(value) else 0
        if not wid:  # no EWMH window manager: ask who has the input focus
            focus = d.get_input_focus().focus
            wid = getattr(focus, "id", 0) or 0
            if wid in (0, 1, root.id):
                return WindowInfo(locked=locked)
        window = d.create_resource_object("window", wid)
        return _describe(window, root, locked)
    except (ConnectionClosedError, OSError):
        _drop()
        return UNKNOWN_WINDOW
    except XError:  # the window went away between the two questions
        return UNKNOWN_WINDOW


def visible_windows() -> list[WindowInfo]:
    from Xlib import X
    from Xlib.error import ConnectionClosedError, XError

    try:
        d = _display()
        root = d.screen().root
        value = _prop(root, "_NET_CLIENT_LIST_STACKING") or _prop(root, "_NET_CLIENT_LIST")
        out = []
        hidden = _atom("_NET_WM_STATE_HIDDEN")
        for wid in (value or ()):
            window = d.create_resource_object("window", int(wid))
            try:
                if window.get_attributes().map_state != X.IsViewable:
                    continue
                state = _prop(window, "_NET_WM_STATE")
                if state is not None and hidden in state:
                    continue
                out.append(_describe(window, root))
            except XError:
                continue
        return out
    except (ConnectionClosedError, OSError):
        _drop()
        return []


def idle_seconds() -> float:
    from Xlib.error import ConnectionClosedError

    try:
        d = _display()
        if not d.has_extension("MIT-SCREEN-SAVER"):
            return 0.0
        return d.screen().root.screensaver_query_info().idle / 1000.0
    except (ConnectionClosedError, OSError):
        _drop()
        return 0.0


def access_checks() -> list[AccessCheck]:
    """The X server, the window manager's EWMH hints, the extensions capture uses, and logind."""
    from Xlib.error import ConnectionClosedError, DisplayError, XError

    name = os.environ.get("DISPLAY", "")
    try:
        d = _display()
    except (OSError, DisplayError, ConnectionClosedError) as exc:
        _drop()
        return [AccessCheck("X display", False, f"cannot connect to the X display {name or '(DISPLAY is not set)'}: "
                            f"{exc}; no window can be known")]
    root = d.screen().root
    screen = d.screen()
    checks = [AccessCheck("X display", True, f"{name}: a {screen.width_in_pixels}x{screen.height_in_pixels} screen "
                          f"from {_text(getattr(d.display.info, 'vendor', '')) or 'an unknown vendor'}")]
    try:
        supported = set(_prop(root, "_NET_SUPPORTED") or ())
        wm = _prop(root, "_NET_SUPPORTING_WM_CHECK")
        wm_name = _text(_prop(d.create_resource_object("window", int(wm[0])), "_NET_WM_NAME", "UTF8_STRING")) \
            if wm is not None and len(wm) else ""
    except XError:
        supported, wm_name = set(), ""
    active = _atom("_NET_ACTIVE_WINDOW") in supported
    checks.append(AccessCheck(
        "window manager", active,
        f"{wm_name or 'an EWMH window manager'} publishes the active window" if active else
        "no EWMH window manager publishes _NET_ACTIVE_WINDOW: the window with the input focus is used instead, "
        "and excluded windows behind it cannot be blacked out"))
    stacking = _atom("_NET_CLIENT_LIST_STACKING") in supported or _atom("_NET_CLIENT_LIST") in supported
    checks.append(AccessCheck(
        "window stack", stacking,
        "the window manager lists the windows on screen, so text is filed under the window it was read from"
        if stacking else "the window manager does not list its windows: all text is filed under the active one"))
    saver = d.has_extension("MIT-SCREEN-SAVER")
    checks.append(AccessCheck(
        "idle and screensaver", saver, "MIT-SCREEN-SAVER tells idle time and when the screensaver is on" if saver
        else "no MIT-SCREEN-SAVER extension: capture cannot tell when you are idle or the screensaver is on"))
    owners = d.has_extension("X-Resource")
    checks.append(AccessCheck(
        "window owners", owners, "X-Resource tells the process of windows without _NET_WM_PID" if owners
        else "no X-Resource extension: windows without _NET_WM_PID have no known process"))
    locked = _logind.locked()
    checks.append(AccessCheck(
        "lock state (logind)", None if locked is None else True,
        "systemd-logind cannot be asked (no system bus here): the lock screen is known from the screensaver and "
        "lock-screen apps only" if locked is None else
        f"systemd-logind says the session is {'locked' if locked else 'not locked'}"))
    return checks
