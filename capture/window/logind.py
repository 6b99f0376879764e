"""Whether the login session is locked, from systemd-logind's LockedHint, over the D-Bus system bus.

Desktops that lock through logind (GNOME, KDE Plasma, `loginctl lock-session`, lockers started
by `xss-lock`) set the hint; a locker that bypasses logind does not, so it is one signal beside
the X screensaver state and the lock-screen app names. The answer is cached for a few seconds;
with no system bus, no logind, or no jeepney, it is None, and the bus is not asked again for a
minute. It never raises."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

CACHE_SECONDS = 2.0
RETRY_SECONDS = 60.0
_SESSION = "/org/freedesktop/login1/session/auto"  # the caller's session (or the user's display one)


class LockedHint:
    """logind's LockedHint for this session. `ask` is the seam: a function that returns the hint
    or raises (by default, a D-Bus call on the system bus)."""

    def __init__(self, ask: Callable[[], bool] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ask = ask or self._ask_logind
        self._clock = clock
        self._lock = threading.Lock()
        self._value: bool | None = None
        self._at: float | None = None
        self._silent_until = 0.0
        self._conn = None

    def locked(self) -> bool | None:
        """True when logind says the session is locked, False when it says not, None when it
        cannot be asked."""
        with self._lock:
            now = self._clock()
            if self._at is not None and now - self._at < CACHE_SECONDS:
                return self._value
            if now < self._silent_until:
                return None
            try:
                value: bool | None = bool(self._ask())
            except Exception:  # no bus, no logind, a timeout: fall back to the other signals
                self._close()
                self._silent_until = now + RETRY_SECONDS
                value = None
            self._value, self._at = value, now
            return value

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass

    def _ask_logind(self) -> bool:
        from jeepney import DBusAddress, MessageType, Properties
        from jeepney.io.blocking import open_dbus_connection

        if self._conn is None:
            self._conn = open_dbus_connection(bus="SYSTEM")
        session = DBusAddress(_SESSION, bus_name="org.freedesktop.login1",
                              interface="org.freedesktop.login1.Session")
        reply = self._conn.send_and_get_reply(Properties(session).get("LockedHint"), timeout=1.0)
        if reply.header.message_type is MessageType.error:
            raise OSError(f"logind: {reply.body}")
        (signature, value), = reply.body
        if signature != "b":
            raise OSError(f"logind: LockedHint is {signature!r}, not a boolean")
        return bool(value)


__all__ = ["LockedHint"]
