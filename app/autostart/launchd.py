"""The macOS login item as a per-user LaunchAgent (launchd.plist(5)): launchd runs it at login
(`RunAtLoad`), once, and does not restart it when the user quits Engram."""

from __future__ import annotations

import contextlib
import os
import plistlib
from pathlib import Path

from app.autostart.base import AutostartError

LABEL = "org.engram.Engram"


def agent_plist(command: list[str]) -> bytes:
    """The LaunchAgent property list that runs `command` at login."""
    return plistlib.dumps({
        "Label": LABEL,
        "ProgramArguments": list(command),
        "RunAtLoad": True,
        "KeepAlive": False,
        "ProcessType": "Interactive",
        "LimitLoadToSessionType": "Aqua",  # the graphical login only, not an ssh session
    })


class LaunchAgent:
    """`~/Library/LaunchAgents/org.engram.Engram.plist`."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or Path.home() / "Library" / "LaunchAgents"
        self.file = self.folder / f"{LABEL}.plist"
        self.location = str(self.file)

    def enabled(self) -> bool:
        try:
            data = plistlib.loads(self.file.read_bytes())
        except (OSError, plistlib.InvalidFileException, ValueError):
            return False
        return not data.get("Disabled", False)

    def enable(self, command: list[str], icon: Path) -> None:  # noqa: ARG002 (the app bundle has its icon)
        part = self.file.with_name(self.file.name + ".new")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            part.write_bytes(agent_plist(command))
            os.chmod(part, 0o644)  # launchd refuses agents that others may write
            os.replace(part, self.file)
        except OSError as exc:
            with contextlib.suppress(OSError):  # the folder itself may be what failed
                part.unlink(missing_ok=True)
            raise AutostartError(f"cannot write {self.file}: {exc.strerror or exc}") from None

    def disable(self) -> None:
        try:
            self.file.unlink(missing_ok=True)
        except OSError as exc:
            raise AutostartError(f"cannot remove {self.file}: {exc.strerror or exc}") from None
