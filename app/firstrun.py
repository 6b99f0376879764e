"""The first run: make the encrypted data directory with what the user chose in onboarding."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path

from app import autostart, keycache, preferences
from app.daemon import load_capture_settings, save_capture_settings
from app.paths import Paths
from app.services import Engram
from capture.errors import ScreenError
from capture.models import CaptureSettings
from capture.screen import MssFrameSource, screen_problem
from memory import KdfParams

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FirstRun:
    """The onboarding choices."""

    passphrase: str
    remember_key: bool = False
    capture: dict[str, object] = field(default_factory=dict)  # changes to the default capture settings
    model_path: Path | None = None  # None: the embedded default model
    capture_at_start: bool = True
    start_at_login: bool = False  # write the login entry (app.autostart) for this data directory


def create(paths: Paths, choices: FirstRun, kdf: KdfParams | None = None) -> Engram:
    """Create the data directory and store the choices; nothing is created if a choice is invalid."""
    model = preferences.check_model_file(choices.model_path) if choices.model_path else None
    engram = Engram.create(paths, choices.passphrase, kdf)
    if choices.capture:
        save_capture_settings(engram, dataclasses.replace(load_capture_settings(engram), **choices.capture))
    preferences.set_model_path(engram, model)
    preferences.set_capture_at_start(engram, choices.capture_at_start)
    if choices.remember_key:
        engram.remember_key(True)
    if choices.start_at_login:
        try:
            autostart.set_enabled(True, paths)
        except autostart.AutostartError as exc:  # the store is made; Settings can try again
            log.warning("Engram will not start at login: %s", exc)
    return engram


def where_things_are(paths: Paths) -> str:
    """The honest sentence onboarding shows about what is stored where."""
    return (
        f"Everything Engram keeps — the text read from your screen, the screenshots you choose to keep, "
        f"the memories made from them and your questions — is stored encrypted in {paths.root} on this "
        "computer, and the language model runs here too: nothing is sent anywhere. The key is protected by "
        "your passphrase; without it the data cannot be read, by anyone, and there is no way to recover it."
    )


def capture_defaults() -> dict[str, object]:
    """The default capture settings, as plain values (onboarding starts from these)."""
    return CaptureSettings().to_dict()


@dataclass(frozen=True)
class MonitorChoice:
    index: int  # counts from 1, as capture does
    label: str


def monitors() -> tuple[list[MonitorChoice], str | None]:
    """The monitors capture can see, and why none can be seen (Wayland, no display) if so."""
    problem = screen_problem()
    if problem:
        return [], problem
    source = MssFrameSource()
    try:
        found = source.monitors()
    except ScreenError as exc:
        return [], str(exc)
    finally:
        source.close()
    return [MonitorChoice(m.index, f"Monitor {m.index} — {m.width}×{m.height}") for m in found], None


def keyring_available() -> bool:
    """Whether the OS has a keyring to remember the data key in."""
    return keycache.available()
