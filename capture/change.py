"""Change detection on a small grey thumbnail: an unchanged screen costs one comparison; a
changed one yields the regions (full-width bands, so OCR sees whole lines) that changed.

A perceptual hash would call a screen with one new line of text "the same", so hashes are used
only to recognise exact repeats of a state already read (a blinking cursor, a window shown again).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from capture.models import Frame, Region

CELL = 8  # thumbnail cell, in pixels: a 1920x1080 screen becomes 240x135
CELL_THRESHOLD = 2 * CELL * CELL  # summed green difference that counts (mean > 2 levels)
FULL_FRAME_SHARE = 0.4  # changed bands covering more than this: read the whole frame
WHOLE_SCREEN_SHARE = 0.8  # a window and what changed around it covering more: read the screen
BAND_PAD = 10  # pixels added above and below a changed band, so the changed line is whole
TALL_BAND, NARROW_BAND = 6, 3  # in cells: a band taller than 6 and at most 3 wide is a column


class Change(StrEnum):
    NONE = "none"  # nothing changed, or an exact repeat of a state already read
    REGIONS = "regions"  # some bands changed
    FULL = "full"  # a new window, a first frame, or most of the screen changed


@dataclass(frozen=True)
class ChangeResult:
    kind: Change
    regions: tuple[Region, ...] = ()
    repeat: bool = False  # NONE because this exact state was seen before (not because unchanged)


def thumbnail(pixels: np.ndarray) -> np.ndarray:
    """Grey thumbnail: the green channel (most of the luminance) summed per CELLxCELL block."""
    h, w = pixels.shape[0] // CELL * CELL, pixels.shape[1] // CELL * CELL
    if h == 0 or w == 0:
        return np.zeros((1, 1), dtype=np.int32)
    green = pixels[:h, :w, 1]
    return green.reshape(h // CELL, CELL, w // CELL, CELL).sum(axis=(1, 3), dtype=np.int32)


def digest(thumb: np.ndarray) -> bytes:
    """An exact fingerprint of a thumbnail, for recognising repeats."""
    return hashlib.blake2b(thumb.tobytes(), digest_size=16).digest()


def _changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """The thumbnail cells that changed."""
    return np.abs(after - before) > CELL_THRESHOLD


def _bands(cells: np.ndarray, frame_width: int, frame_height: int,
           span: tuple[int, int] | None) -> tuple[Region, ...]:
    """Bands of rows whose thumbnail cells changed, as frame regions. Each band spans `span`
    (x0, x1) horizontally when it lies within it (the active window), else the whole frame
    width, so that a changed word is read with the rest of its line."""
    rows = np.flatnonzero(cells.any(axis=1))
    if rows.size == 0:
        return ()
    bands: list[tuple[int, int, int, int]] = []  # (row0, row1, col0, col1) in cells
    start = prev = int(rows[0])
    for r in [*rows[1:].tolist(), None]:
        if r is not None and r <= prev + 2:
            prev = r
            continue
        cols = np.flatnonzero(cells[start:prev + 1].any(axis=0))
        bands.append((start, prev + 1, int(cols[0]), int(cols[-1]) + 1))
        if r is not None:
            start = prev = r
    out: list[Region] = []
    for r0, r1, c0, c1 in bands:
        x0, x1 = (c0 * CELL, c1 * CELL)
        if r1 - r0 > TALL_BAND and c1 - c0 <= NARROW_BAND:
            # A thin column changed down many lines (a scroll bar, a caret, a focus ring):
            # read that column, not every line it crosses.
            x0, x1 = x0 - BAND_PAD, x1 + BAND_PAD
        elif span is not None and span[0] // CELL * CELL <= x0 and x1 <= -(-span[1] // CELL) * CELL:
            x0, x1 = span
        else:
            x0, x1 = 0, frame_width
        y0, y1 = r0 * CELL - BAND_PAD, r1 * CELL + BAND_PAD
        region = Region(x0, y0, x1 - x0, y1 - y0).clip(frame_width, frame_height)
        if out and out[-1].y + out[-1].height >= region.y and out[-1].x == region.x \
                and out[-1].width == region.width:
            last = out.pop()
            region = Region(last.x, last.y, last.width, region.y + region.height - last.y)
        out.append(region)
    return tuple(r for r in out if r.area)


def _cell_slices(window: Region) -> tuple[slice, slice]:
    """The thumbnail cells a frame rectangle covers (rows, columns)."""
    return (slice(window.y // CELL, -(-(window.y + window.height) // CELL)),
            slice(window.x // CELL, -(-(window.x + window.width) // CELL)))


class ChangeDetector:
    """Remembers the last thumbnail of each monitor and, per window, the states already read and
    how the window looked when it was last in front (so switching back to it reads only what
    changed in it meanwhile, not the whole screen)."""

    def __init__(self, repeats_per_window: int = 8, windows: int = 64, window_looks: int = 32) -> None:
        self._last: dict[int, np.ndarray] = {}
        self._last_window: dict[int, str] = {}
        self._seen: OrderedDict[str, OrderedDict[bytes, None]] = OrderedDict()
        self._looks: OrderedDict[tuple[int, str], np.ndarray] = OrderedDict()
        self._repeats = repeats_per_window
        self._windows = windows
        self._window_looks = window_looks

    def reset(self, monitor: int | None = None) -> None:
        """Forget what was seen (all monitors, or one): the next frame is read in full."""
        if monitor is None:
            self._last.clear()
            self._last_window.clear()
            self._seen.clear()
            self._looks.clear()
        else:
            self._last.pop(monitor, None)
            key = self._last_window.pop(monitor, None)
            if key is not None:
                self.forget_window(key)

    def forget_window(self, key: str) -> None:
        """Forget a window: the next time it is in front, it is read in full."""
        self._seen.pop(key, None)
        for look in [look for look in self._looks if look[1] == key]:
            del self._looks[look]

    def detect(self, frame: Frame, window_key: str, window: Region | None = None) -> ChangeResult:
        """What changed since the last frame of this monitor. `window` is the active window's
        rectangle in frame pixels, when known: a window new to the screen is read whole (not
        the whole screen), plus whatever else changed around it."""
        index = frame.monitor.index
        thumb = thumbnail(frame.pixels)
        before = self._last.get(index)
        new_window = self._last_window.get(index) != window_key
        look = self._remember(index, window_key, thumb)
        if before is not None and before.shape == thumb.shape and not new_window \
                and np.array_equal(before, thumb):
            return ChangeResult(Change.NONE)
        if self._repeat(window_key, thumb):
            return ChangeResult(Change.NONE, repeat=True)
        screen = (Region(0, 0, frame.width, frame.height),)
        if before is None or before.shape != thumb.shape:
            return ChangeResult(Change.FULL, screen)
        known = look is not None and look.shape == thumb.shape  # seen in front before, on this screen
        window = window.clip(frame.width, frame.height) if window is not None and window.area else None
        if window is None:
            if new_window and not known:
                return ChangeResult(Change.FULL, screen)
            regions = _bands(_changed(look if new_window else before, thumb), frame.width, frame.height, None)
            whole = screen
        else:
            # Inside the window and around it apart: a title bar above is not a line of the window.
            rows, cols = _cell_slices(window)
            inside = np.zeros(thumb.shape, bool)
            if not new_window or known:  # back in front: what changed in it since it was last
                inside[rows, cols] = _changed(look if new_window else before, thumb)[rows, cols]
            around = _changed(before, thumb)
            around[rows, cols] = False
            around_bands = _bands(around, frame.width, frame.height, None)
            whole = (window, *around_bands)  # all of the window, and what changed around it
            if sum(r.area for r in whole) > WHOLE_SCREEN_SHARE * frame.width * frame.height:
                whole = screen
            if new_window and not known:
                return ChangeResult(Change.FULL, whole)
            regions = _bands(inside, frame.width, frame.height, (window.x, window.x + window.width)) + around_bands
        if not regions:  # below the threshold everywhere: noise, not a change
            return ChangeResult(Change.NONE)
        if sum(r.area for r in regions) > FULL_FRAME_SHARE * frame.width * frame.height:
            return ChangeResult(Change.FULL, whole)
        return ChangeResult(Change.REGIONS, regions)

    def _remember(self, index: int, window_key: str, thumb: np.ndarray) -> np.ndarray | None:
        """Record this frame as the monitor's last and the window's look; returns the window's
        previous look (None if it was never in front on this monitor, or was forgotten)."""
        look = self._looks.pop((index, window_key), None)
        self._looks[(index, window_key)] = thumb
        while len(self._looks) > self._window_looks:
            self._looks.popitem(last=False)
        self._last[index] = thumb
        self._last_window[index] = window_key
        return look

    def _repeat(self, window_key: str, thumb: np.ndarray) -> bool:
        """Whether this exact state of the window was read recently (remembering it if not)."""
        seen = self._seen.setdefault(window_key, OrderedDict())
        self._seen.move_to_end(window_key)
        while len(self._seen) > self._windows:
            self._seen.popitem(last=False)
        fingerprint = digest(thumb)
        if fingerprint in seen:
            seen.move_to_end(fingerprint)
            return True
        seen[fingerprint] = None
        while len(seen) > self._repeats:
            seen.popitem(last=False)
        return False
