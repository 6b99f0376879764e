"""Retention of kept frames: the days and gigabytes the user chose."""

from __future__ import annotations

from capture import CaptureSettings
from memory import FrameStore, PruneReport


def prune_frames(engram, frames: FrameStore, settings: CaptureSettings) -> PruneReport:
    """Apply the retention limits (days, GB) to kept frames. The observations that showed a
    deleted frame lose the link first and say "retention", so the timeline never points at a
    missing file; links to files already gone (an older Engram pruned them) are cleared too."""
    report = frames.prune(max_age_days=settings.retention_days or None,
                          max_bytes=int(settings.retention_gb * 1e9) if settings.retention_gb else None,
                          unlink=lambda ids: engram.store.unlink_frames(ids, "retention"))
    missing = engram.store.linked_frames() - set(frames.ids())
    if missing:
        engram.store.unlink_frames(sorted(missing), "missing")
    return report
