"""How this Engram was installed, and the command that starts it again (for autostart entries).

Three kinds: a frozen build (PyInstaller: the Debian package, the macOS app, the Windows folder),
a source install (a virtualenv with the `engram` console script), or Python running the
package some other way (`python -m app`)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

FROZEN, SOURCE = "frozen", "source"
WINDOWS_GUI_EXE = "Engram.exe"  # the windowed executable beside the console one (packaging/windows)


@dataclass(frozen=True)
class Install:
    """What runs: `kind` ("frozen" | "source"), the folder it lives in, and `command`, the argv
    prefix that starts this Engram (arguments such as `app --hidden` go after it)."""

    kind: str
    root: Path
    command: tuple[str, ...]

    @property
    def executable(self) -> Path:
        """The program `command` runs (an autostart entry is ignored once it is gone)."""
        return Path(self.command[0])


def frozen() -> bool:
    """Whether this is a frozen build (PyInstaller sets `sys.frozen`)."""
    return bool(getattr(sys, "frozen", False))


def bundle_root() -> Path | None:
    """The folder of a frozen build's data files (PyInstaller's `sys._MEIPASS`); None from source."""
    folder = getattr(sys, "_MEIPASS", None)
    return Path(folder) if frozen() and folder else None


def current() -> Install:
    """This Engram: a frozen build's own executable, else the virtualenv's `engram` script, else
    `python -m app`."""
    exe = Path(sys.executable).absolute()
    if frozen():
        if sys.platform == "win32" and (exe.parent / WINDOWS_GUI_EXE).is_file():
            exe = exe.parent / WINDOWS_GUI_EXE  # start without a console window
        return Install(FROZEN, exe.parent, (str(exe),))
    script = exe.parent / ("engram.exe" if sys.platform == "win32" else "engram")
    if script.is_file() and os.access(script, os.X_OK):
        return Install(SOURCE, exe.parent.parent, (str(script),))
    return Install(SOURCE, Path(__file__).absolute().parent.parent, (str(exe), "-m", "app"))
