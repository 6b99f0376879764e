"""Start Engram when the user logs in: one entry per user, written and removed by Settings (and
`engram autostart on|off`), per OS behind one interface.

- Linux and other XDG desktops: `$XDG_CONFIG_HOME/autostart/engram.desktop` (`~/.config/...`).
- macOS: a LaunchAgent, `~/Library/LaunchAgents/org.engram.Engram.plist`.
- Windows: the `Engram` value of `HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run`.

The entry starts the Engram that wrote it (a frozen build's executable, or a source install's
`engram` script), in the tray (`app --hidden`), with `--data-dir` when the data directory is not
the default one. The entry is the state: nothing about it is kept in the encrypted store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Protocol

from app import runtime
from app.autostart.base import AutostartError
from app.paths import Paths
from assets import ASSETS

ICON = ASSETS / "icons" / "engram.svg"


class Backend(Protocol):
    location: str  # where the entry is, for the user: a file path or a registry key

    def enabled(self) -> bool:
        """Whether an Engram entry is there (and not switched off by the desktop)."""

    def enable(self, command: list[str], icon: Path) -> None:
        """Write the entry that runs `command` at login; AutostartError if it cannot."""

    def disable(self) -> None:
        """Remove the entry (nothing if there is none); AutostartError if it cannot."""


def backend() -> Backend:
    """The autostart mechanism of this OS (an unsupported one raises AutostartError on use)."""
    if sys.platform == "win32":
        from app.autostart.registry import RunKey

        return RunKey()
    if sys.platform == "darwin":
        from app.autostart.launchd import LaunchAgent

        return LaunchAgent()
    from app.autostart.xdg import XdgAutostart

    return XdgAutostart()


def login_command(paths: Paths | None = None, install: runtime.Install | None = None) -> list[str]:
    """The command the entry runs: this Engram, in the tray, on `paths` if not the default."""
    install = install or runtime.current()
    # At login no $ENGRAM_HOME is set: any other directory than the platform's is named.
    data = ["--data-dir", str(paths.root)] if paths is not None and paths.root != Paths.platform_default().root else []
    return [*install.command, *data, "app", "--hidden"]


def enabled() -> bool:
    return backend().enabled()


def set_enabled(on: bool, paths: Paths | None = None) -> bool:
    """Switch starting at login on (for the data directory `paths`) or off; returns the new state."""
    chosen = backend()
    if on:
        chosen.enable(login_command(paths), ICON)
    else:
        chosen.disable()
    return chosen.enabled()


def location() -> str:
    return backend().location


__all__ = ["ICON", "AutostartError", "Backend", "backend", "enabled", "location", "login_command", "set_enabled"]
