"""The screen seam: a frame source grabs monitors. `MssFrameSource` is the real one,
`FakeFrameSource` plays scripted frames for tests."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol

import numpy as np

from capture.errors import ScreenError
from capture.models import Frame, Monitor


class FrameSource(Protocol):
    """Grabs monitors. Used from one thread (the capture thread)."""

    def monitors(self) -> list[Monitor]:
        """The monitors there are now (they may come and go)."""

    def grab(self, monitor: Monitor) -> Frame:
        """One frame of `monitor`; ScreenError if it cannot be grabbed."""

    def close(self) -> None:
        ...


def screen_problem() -> str | None:
    """Why screen capture cannot work in this session, in one plain sentence; None if it may."""
    if sys.platform.startswith("linux"):
        if os.environ.get("WAYLAND_DISPLAY") and not os.environ.get("DISPLAY"):
            return ("this is a Wayland session without X: the screen cannot be captured here "
                    "(Wayland does not let programs read the screen); log in to an X11 session "
                    "to use capture")
        if not os.environ.get("DISPLAY"):
            return "there is no display (DISPLAY is not set): nothing to capture"
    return None


def wayland_only() -> bool:
    """True when only a Wayland display is usable: nothing can be captured."""
    return bool(sys.platform.startswith("linux") and os.environ.get("WAYLAND_DISPLAY")
                and not os.environ.get("DISPLAY"))


def screen_warning() -> str | None:
    """A limit of capture in this session that the user should know of, or None."""
    wayland = os.environ.get("WAYLAND_DISPLAY") or os.environ.get("XDG_SESSION_TYPE") == "wayland"
    if sys.platform.startswith("linux") and wayland and os.environ.get("DISPLAY"):
        return ("this is a Wayland session: only X11 (XWayland) apps can be captured; windows of "
                "Wayland-native apps show as black and are not read")
    return None


def _now() -> datetime:
    return datetime.now(UTC)


class MssFrameSource:
    """Grabs with mss. The mss handle is made lazily in the thread that grabs (mss handles
    are per thread), and remade after an error (a monitor unplugged, the X server restarted)."""

    def __init__(self, display: str | None = None) -> None:
        self._display = display
        self._local = threading.local()

    def _mss(self):
        handle = getattr(self._local, "handle", None)
        if handle is None:
            import mss

            problem = screen_problem() if self._display is None else None
            if problem:
                raise ScreenError(problem)
            kwargs = {"display": self._display} if self._display else {}
            try:
                handle = mss.MSS(**kwargs)
            except mss.ScreenShotError as exc:
                raise ScreenError(f"cannot open the screen: {exc}") from None
            self._local.handle = handle
        return handle

    def _reset(self) -> None:
        handle = getattr(self._local, "handle", None)
        self._local.handle = None
        if handle is not None:
            try:
                handle.close()
            except Exception:  # noqa: BLE001 - a broken handle may fail to close; it is dropped
                pass

    def monitors(self) -> list[Monitor]:
        import mss

        try:
            found = self._mss().monitors[1:]
        except mss.ScreenShotError as exc:
            self._reset()
            raise ScreenError(f"cannot list monitors: {exc}") from None
        return [Monitor(i, m["left"], m["top"], m["width"], m["height"])
                for i, m in enumerate(found, start=1)]

    def grab(self, monitor: Monitor) -> Frame:
        import mss

        box = {"left": monitor.left, "top": monitor.top, "width": monitor.width,
               "height": monitor.height}
        try:
            shot = self._mss().grab(box)
        except mss.ScreenShotError as exc:
            self._reset()
            raise ScreenError(f"cannot grab monitor {monitor.index}: {exc}") from None
        width, height = shot.size
        raw = np.frombuffer(shot.bgra, dtype=np.uint8)
        if width <= 0 or height <= 0 or raw.size != width * height * 4:
            raise ScreenError(f"monitor {monitor.index}: the grab returned a malformed image")
        # BGRA -> RGB as a view: copying 8 MB costs more than the whole change check.
        rgb = raw.reshape(height, width, 4)[:, :, 2::-1]
        return Frame.of(monitor, _now(), rgb)

    def close(self) -> None:
        self._reset()


class FakeFrameSource:
    """Plays frames from a script, for tests: `frames(monitor, n)` gives the n-th grab's pixels
    (an RGB array, or anything else to simulate a corrupt grab), or raises ScreenError.

    `set_monitors` makes monitors appear or disappear between grabs."""

    def __init__(self, monitors: Sequence[Monitor],
                 frames: Callable[[Monitor, int], object]) -> None:
        self._monitors = list(monitors)
        self._frames = frames
        self._count: dict[int, int] = {}
        self._lock = threading.Lock()
        self.grabs = 0

    def set_monitors(self, monitors: Sequence[Monitor]) -> None:
        with self._lock:
            self._monitors = list(monitors)

    def monitors(self) -> list[Monitor]:
        with self._lock:
            return list(self._monitors)

    def grab(self, monitor: Monitor) -> Frame:
        with self._lock:
            if monitor.index not in {m.index for m in self._monitors}:
                raise ScreenError(f"cannot grab monitor {monitor.index}: it is gone")
            n = self._count.get(monitor.index, 0)
            self._count[monitor.index] = n + 1
            self.grabs += 1
        return Frame.of(monitor, _now(), self._frames(monitor, n))

    def close(self) -> None:
        pass
