"""A private Xvfb (with openbox, for EWMH focus) and Tk windows showing known text, for tests
and the capture benchmark."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

_TK_WINDOW = r'''
import sys, tkinter as tk
root = tk.Tk(className=sys.argv[1])
root.title(sys.argv[2])
root.geometry(sys.argv[3])
size, fg, bg = (int(sys.argv[4]), sys.argv[5], sys.argv[6]) if len(sys.argv) > 6 else (16, "black", "white")
text = tk.Text(root, font=("DejaVu Sans", size), bg=bg, fg=fg, wrap="word",
               borderwidth=0, highlightthickness=0)
text.insert("end", sys.stdin.readline().replace("\\n", "\n").rstrip("\n"))
text.pack(fill="both", expand=True)
text.configure(state="disabled", insertofftime=0, insertontime=0)

def poll():
    import select
    while select.select([sys.stdin], [], [], 0)[0]:
        line = sys.stdin.readline()
        if not line:
            root.destroy()
            return
        cmd, _, arg = line.rstrip("\n").partition(" ")
        if cmd == "append":
            text.configure(state="normal")
            text.insert("end", "\n" + arg.replace("\\n", "\n"))
            text.configure(state="disabled")
            text.see("end")
        elif cmd == "title":
            root.title(arg)
        elif cmd == "raise":
            root.deiconify(); root.lift(); root.focus_force()
    root.after(50, poll)

root.after(50, poll)
root.mainloop()
'''


def usable() -> str | None:
    """Why an X server cannot be run here, or None."""
    for tool in ("Xvfb", "openbox", "xprop", "xdotool"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    try:
        import tkinter  # noqa: F401
    except ImportError:
        return "tkinter is not available"
    return None


class XServer:
    """Xvfb on a free display, with openbox; `window(...)` opens a Tk text window."""

    def __init__(self, width: int = 1280, height: int = 800) -> None:
        self._procs: list[subprocess.Popen] = []
        # -displayfd: Xvfb picks a free display number itself and tells it (no race with other
        # X servers started at the same time on this machine).
        read_end, write_end = os.pipe()
        self._xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_end), "-screen", "0", f"{width}x{height}x24",
             "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(write_end,))
        os.close(write_end)
        with os.fdopen(read_end) as f:
            number = f.readline().strip()
        if not number.isdigit():
            self._xvfb.kill()
            raise RuntimeError("Xvfb did not start")
        self.number = int(number)
        self.display = f":{self.number}"
        self.env = {**os.environ, "DISPLAY": self.display}
        self.env.pop("WAYLAND_DISPLAY", None)
        try:
            self._wait(self._answers, "Xvfb did not start")
            self._start_wm()
        except BaseException:
            self.close()
            raise

    def _start_wm(self) -> None:
        # openbox now and then exits at once with status 1 and no message when several X
        # servers start together on one machine, or the machine is busy; a later try works.
        for attempt in range(5):
            wm = subprocess.Popen(["openbox", "--sm-disable"], env=self.env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self._procs.append(wm)
            self._wait(lambda wm=wm: self._has_wm() or wm.poll() is not None, "openbox did not start")
            if wm.poll() is None:
                return
            time.sleep(0.5 * (attempt + 1))
        raise RuntimeError(f"openbox did not start (exit code {wm.returncode})")

    @staticmethod
    def _wait(check, message: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.05)
        raise RuntimeError(message)

    def _answers(self) -> bool:
        if self._xvfb.poll() is not None:
            raise RuntimeError(f"Xvfb {self.display} exited ({self._xvfb.returncode})")
        return subprocess.run(["xprop", "-root", "-display", self.display, "_NET_DESKTOP_NAMES"],
                              capture_output=True).returncode == 0

    def _has_wm(self) -> bool:
        out = subprocess.run(["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], env=self.env,
                             capture_output=True, text=True)
        return "window id" in out.stdout

    def active_title(self) -> str:
        out = subprocess.run(["xdotool", "getactivewindow", "getwindowname"], env=self.env,
                             capture_output=True, text=True)
        return out.stdout.strip()

    def window(self, app: str, title: str, text: str, geometry: str = "900x500+40+40", *,
               points: int = 16, ink: str = "black", paper: str = "white") -> TkWindow:
        """Open a window of WM_CLASS `app` titled `title` showing `text` (DejaVu Sans at
        `points`, `ink` on `paper`); returns when it has the focus."""
        proc = subprocess.Popen([sys.executable, "-c", _TK_WINDOW, app, title, geometry, str(points), ink,
                                 paper], env=self.env, stdin=subprocess.PIPE, text=True)
        proc.stdin.write(text.replace("\n", "\\n") + "\n")
        proc.stdin.flush()
        self._procs.append(proc)
        win = TkWindow(self, proc, title)
        self._wait(lambda: self.active_title() == title, f"window {title!r} did not get the focus")
        return win

    def close(self) -> None:
        for p in reversed(self._procs):
            p.terminate()
        for p in self._procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        self._xvfb.terminate()
        try:
            self._xvfb.wait(5)
        except subprocess.TimeoutExpired:
            self._xvfb.kill()


class TkWindow:
    def __init__(self, server: XServer, proc: subprocess.Popen, title: str) -> None:
        self.server, self.proc, self.title = server, proc, title

    def send(self, command: str) -> None:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def append(self, line: str) -> None:
        self.send(f"append {line}")

    def focus(self) -> None:
        self.send("raise")
        self.server._wait(lambda: self.server.active_title() == self.title,
                          f"window {self.title!r} did not get the focus")

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(5)


def serve_for_tests(set_display: bool = True):
    """The body of an `xserver` fixture: skip where Xvfb cannot run, else yield a server
    (with DISPLAY pointing at it meanwhile, when `set_display`) and close it afterwards."""
    import pytest

    reason = usable()
    if reason:
        pytest.skip(reason)
    server = XServer()
    mp = pytest.MonkeyPatch()
    if set_display:
        mp.setenv("DISPLAY", server.display)
        mp.delenv("WAYLAND_DISPLAY", raising=False)
    try:
        yield server
    finally:
        mp.undo()
        server.close()
