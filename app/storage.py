"""What the Settings view reads and saves: storage used, capture settings, preferences."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from app import autostart, keycache, preferences
from app.daemon import CaptureSettings, load_capture_settings, save_capture_settings
from app.errors import AppError
from app.frames import FrameRetention, frame_retention
from app.services import Engram
from memory import FrameStore


@dataclass(frozen=True)
class Usage:
    root: Path
    total_bytes: int
    database_bytes: int
    frame_bytes: int
    frames: int
    observations: int
    memories: int


@dataclass(frozen=True)
class SettingsSnapshot:
    capture: CaptureSettings
    theme: str
    capture_at_start: bool
    model_path: Path | None
    idle_unload_minutes: float
    key_remembered: bool
    apps: list[tuple[str, int]]
    usage: Usage
    retention: FrameRetention | None = None  # how many days of frames the space limit holds
    start_at_login: bool = False  # the login entry exists (app.autostart)


def usage(engram: Engram) -> Usage:
    paths = engram.paths
    frame_files = FrameStore(paths.frames, engram.data_key).files()
    database = sum(p.stat().st_size for p in paths.root.glob(paths.database.name + "*") if p.is_file())
    counts = engram.store.counts()  # not status(): that also reads the capture heartbeat and the queue
    return Usage(root=paths.root, total_bytes=paths.size_bytes(), database_bytes=database,
                 frame_bytes=sum(f.bytes for f in frame_files), frames=sum(len(f.frames) for f in frame_files),
                 observations=counts.observations, memories=sum(counts.memories.values()))


def settings_snapshot(engram: Engram) -> SettingsSnapshot:
    return SettingsSnapshot(
        capture=load_capture_settings(engram),
        theme=preferences.theme(engram),
        capture_at_start=preferences.capture_at_start(engram),
        model_path=preferences.model_path(engram),
        idle_unload_minutes=preferences.idle_unload_minutes(engram),
        key_remembered=bool(engram.store.setting("keyring_cache", False)) and keycache.load(engram.paths) is not None,
        apps=engram.store.apps(),
        usage=usage(engram),
        retention=frame_retention(engram),
        start_at_login=autostart.enabled(),
    )


def set_start_at_login(engram: Engram, on: bool) -> bool:
    """Write or remove the login entry for this data directory; returns the state now."""
    return autostart.set_enabled(on, engram.paths)


OWN_APP = "engram"


def running_settings(settings: CaptureSettings) -> CaptureSettings:
    """The settings capture runs with: the user's, and never Engram's own window (a revealed vault
    value or an answer on screen must not be read back into the log)."""
    if OWN_APP in (a.lower() for a in settings.excluded_apps):
        return settings
    return dataclasses.replace(settings, excluded_apps=(*settings.excluded_apps, OWN_APP))


def save_capture(engram: Engram, changes: dict[str, object], daemon=None) -> CaptureSettings:
    """Store changed capture settings and hand them to the running daemon, if any."""
    try:
        settings = dataclasses.replace(load_capture_settings(engram), **changes)
    except (TypeError, ValueError) as exc:
        raise AppError(f"capture settings not saved: {exc}") from None
    save_capture_settings(engram, settings)
    if daemon is not None:
        daemon.update_settings(running_settings(settings))
    return settings
