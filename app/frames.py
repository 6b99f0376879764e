"""Kept frames, seen from the app: how many days of frames the space limit really holds, and
moving the frames of earlier versions (one file each) into chunks."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from app.daemon import load_capture_settings
from app.errors import AppError
from app.services import Engram
from memory import FrameStore, MigrateReport, StoreError

RATE_DAYS = 7  # the current rate: frames written over the last week (or since the first frame)


@dataclass(frozen=True)
class FrameRetention:
    """What the retention limits do at the rate frames are being kept."""

    stored_bytes: int
    frames: int
    keep_frames: bool
    bytes_per_day: float | None  # frames written a day lately (None: none lately)
    day_limit: float | None  # the user's days (None: no limit)
    cap_bytes: int | None  # the user's space limit (None: no limit)

    @property
    def days_held(self) -> float | None:
        """Days of frames the space limit holds at the current rate (None: no limit or no rate)."""
        if self.cap_bytes is None or not self.bytes_per_day:
            return None
        return self.cap_bytes / self.bytes_per_day

    @property
    def cap_cuts_in(self) -> bool:
        """Whether the space limit removes frames before the day limit would."""
        held = self.days_held
        return held is not None and (self.day_limit is None or held < self.day_limit)

    def line(self) -> str:
        """One line for `engram status` and Settings."""
        held = self.days_held
        line = (f"{_size(self.stored_bytes)} in {self.frames} frame{'s' if self.frames != 1 else ''}"
                if self.frames else "none kept")
        if not self.keep_frames:
            return line + "; frames are not being kept"
        if not self.bytes_per_day:
            limits = [f"{self.day_limit:g} days" if self.day_limit else "",
                      _size(self.cap_bytes) if self.cap_bytes else ""]
            kept = " or ".join(x for x in limits if x) or "no limit"
            return line + f"; kept for {kept} (no recent frames to tell the rate)"
        line += f"; {_size(self.bytes_per_day)} a day lately"
        if held is None:
            return line + (f": kept {self.day_limit:g} days (no space limit)" if self.day_limit
                           else ": no limit")
        if self.cap_cuts_in:
            return line + (f": warning: the {_size(self.cap_bytes)} limit holds only {held:.0f} days, so "
                           f"frames go sooner than the {self.day_limit:g} days chosen (raise the space "
                           "limit or lower the days in Settings › Capture)" if self.day_limit
                           else f": the {_size(self.cap_bytes)} limit holds about {held:.0f} days")
        return line + (f": the {_size(self.cap_bytes)} limit holds about {held:.0f} days, so the "
                       f"{self.day_limit:g}-day limit applies")


def frame_retention(engram: Engram, *, now: float | None = None) -> FrameRetention:
    """How much the kept frames take, how fast they grow, and which limit removes them first."""
    now = time.time() if now is None else now
    settings = load_capture_settings(engram)
    try:
        files = FrameStore(engram.paths.frames, engram.data_key).files()
    except StoreError as exc:
        raise AppError(str(exc)) from None
    stored = sum(f.bytes for f in files)
    recent = [f for f in files if now - f.modified <= RATE_DAYS * 86400]
    rate = None
    if recent:
        # Calendar days, not days of capture: the day limit counts calendar days too.
        span_days = min(RATE_DAYS, max(1.0, (now - min(f.modified for f in files)) / 86400))
        rate = sum(f.bytes for f in recent) / span_days
    return FrameRetention(
        stored_bytes=stored, frames=sum(len(f.frames) for f in files), keep_frames=settings.keep_frames,
        bytes_per_day=rate, day_limit=settings.retention_days or None,
        cap_bytes=int(settings.retention_gb * 1e9) if settings.retention_gb else None)


def migrate_frames(engram: Engram, progress: Callable[[int, int], object] | None = None) -> MigrateReport:
    """Move the frames that earlier versions kept one to a file into chunks (stored as changes),
    oldest first, pointing their observations at the new ids; `progress(done, total)`."""
    store = FrameStore(engram.paths.frames, engram.data_key)
    single = set(store.single_files())
    order = [f for f in engram.store.frames_in_order() if f in single]
    try:
        return store.migrate(order, engram.store.relink_frames, progress=progress)
    except StoreError as exc:
        raise AppError(f"the frames could not all be moved: {exc}") from None


def _size(n: float | None) -> str:
    n = n or 0
    if n >= 1e9:
        return f"{n / 1e9:.1f} GB"
    if n >= 1e6:
        return f"{n / 1e6:.0f} MB"
    return f"{n / 1e3:.0f} KB"
