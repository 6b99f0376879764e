"""The capture settings, stored encrypted in the data directory's settings."""

from __future__ import annotations

from capture import CaptureSettings

SETTINGS_KEY = "capture"


def load_capture_settings(engram) -> CaptureSettings:
    """The capture settings stored in `engram` (defaults where none are stored)."""
    data = engram.store.setting(SETTINGS_KEY, None)
    if not isinstance(data, dict):
        return CaptureSettings()
    try:
        return CaptureSettings.from_dict(data)
    except (TypeError, ValueError):
        return CaptureSettings()


def save_capture_settings(engram, settings: CaptureSettings) -> None:
    engram.store.set_setting(SETTINGS_KEY, settings.to_dict())
