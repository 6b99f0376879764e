"""The XDG autostart entry (freedesktop.org Desktop Application Autostart Specification): a
desktop file in `$XDG_CONFIG_HOME/autostart`, which GNOME, KDE Plasma, Xfce, Cinnamon, MATE,
LXQt and the other XDG desktops start at login."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from app.autostart.base import AutostartError

FILE_NAME = "engram.desktop"


def config_home() -> Path:
    """$XDG_CONFIG_HOME when it is an absolute path (as the spec says), else ~/.config."""
    chosen = os.environ.get("XDG_CONFIG_HOME", "")
    return Path(chosen) if chosen and os.path.isabs(chosen) else Path.home() / ".config"


def quote(argument: str) -> str:
    """One argument of an Exec line: quoted when it holds a reserved character, with `"`, `` ` ``,
    `$` and `\\` escaped inside the quotes, and `%` doubled (the field-code escape)."""
    argument = argument.replace("%", "%%")
    if argument and not any(c in argument for c in " \t\n\"'\\><~|&;$*?#()`"):
        return argument
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in argument)
    return f'"{escaped}"'


def desktop_entry(command: list[str], icon: Path) -> str:
    """The autostart desktop file for `command`. TryExec makes desktops skip the entry quietly
    once that program is gone (the package was removed: a package never edits a user's home)."""
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Version=1.0\n"
        "Name=Engram\n"
        "Comment=Your private memory of what you see on screen; starts in the tray\n"
        f"Exec={' '.join(quote(a) for a in command)}\n"
        f"TryExec={quote(command[0])}\n"
        f"Icon={icon}\n"
        "Terminal=false\n"
        "Categories=Utility;\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


class XdgAutostart:
    """`<config home>/autostart/engram.desktop`."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or config_home() / "autostart"
        self.file = self.folder / FILE_NAME
        self.location = str(self.file)

    def enabled(self) -> bool:
        try:
            text = self.file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
        lines = {line.strip().replace(" ", "").lower() for line in text.splitlines()}
        return not ({"hidden=true", "x-gnome-autostart-enabled=false"} & lines)

    def enable(self, command: list[str], icon: Path) -> None:
        part = self.file.with_name(self.file.name + ".new")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            part.write_text(desktop_entry(command, icon), encoding="utf-8")
            os.chmod(part, 0o644)  # desktop files are not secret; some session managers skip odd modes
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
