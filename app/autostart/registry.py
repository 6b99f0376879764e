"""The Windows login entry: the `Engram` value of the current user's Run key, which Explorer
starts at login (and lists under Task Manager's Startup apps, where the user can switch it off;
that switch lives in the StartupApproved key and is honoured here)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from app.autostart.base import AutostartError

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
APPROVED_KEY = r"Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run"
VALUE = "Engram"


class RunKey:
    """HKEY_CURRENT_USER\\...\\Run, value `Engram`."""

    location = "HKEY_CURRENT_USER\\" + RUN_KEY + "\\" + VALUE

    def enabled(self) -> bool:
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                winreg.QueryValueEx(key, VALUE)
        except OSError:
            return False
        try:  # Task Manager's switch: the first byte of the value is 2 (on) or 3 (off)
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, APPROVED_KEY) as key:
                state, _ = winreg.QueryValueEx(key, VALUE)
            return not (isinstance(state, bytes) and state[:1] == b"\x03")
        except OSError:
            return True

    def enable(self, command: list[str], icon: Path) -> None:  # noqa: ARG002 (the executable has its icon)
        import winreg

        try:
            with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                winreg.SetValueEx(key, VALUE, 0, winreg.REG_SZ, subprocess.list2cmdline(command))
        except OSError as exc:
            raise AutostartError(f"cannot write {self.location}: {exc.strerror or exc}") from None
        try:  # switched off in Task Manager before: the user asked again, so on
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, APPROVED_KEY, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, VALUE)
        except OSError:
            pass

    def disable(self) -> None:
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, VALUE)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise AutostartError(f"cannot remove {self.location}: {exc.strerror or exc}") from None
