"""Seconds from starting Engram to its first window on screen (the onboarding wizard on a new data
directory, else the unlock dialog or the main window), on an X display that is already running.

    usage: python bench/cold_start.py [--display :170] [--runs 3] [--title "Set up Engram"] -- COMMAND...
    e.g.   python bench/cold_start.py --display :172 -- /usr/bin/engram

Each run gets a new, empty data directory ($ENGRAM_HOME) and its own config home, so every run
reaches onboarding; the window is looked for with xdotool every 20 ms. The first run after an
install is the cold one (nothing of the program is in the page cache yet); later runs are warm.
Prints one line per run and the load average, since other work on the machine changes the figure.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time


def first_window(command: list[str], display: str, title: str, timeout: float) -> float:
    with tempfile.TemporaryDirectory(prefix="engram-cold-") as tmp:
        env = {**os.environ, "DISPLAY": display, "ENGRAM_HOME": os.path.join(tmp, "data"),
               "XDG_CONFIG_HOME": os.path.join(tmp, "config")}
        env.pop("WAYLAND_DISPLAY", None)
        start = time.monotonic()
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while time.monotonic() - start < timeout:
                found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title], env=env,
                                       capture_output=True, text=True)
                if found.stdout.strip():
                    return time.monotonic() - start
                if proc.poll() is not None:
                    raise SystemExit(f"{command[0]} exited ({proc.returncode}) before showing {title!r}")
                time.sleep(0.02)
            raise SystemExit(f"no window {title!r} within {timeout:.0f} s")
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--display", default=os.environ.get("DISPLAY", ":0"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--title", default="Set up Engram")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("command", nargs="+")
    args = parser.parse_args()
    for n in range(1, args.runs + 1):
        seconds = first_window(args.command, args.display, args.title, args.timeout)
        with open("/proc/loadavg") as fh:
            load = " ".join(fh.read().split()[:3])
        print(f"run {n}: first window after {seconds:.2f} s (load average {load})", flush=True)


if __name__ == "__main__":
    sys.exit(main())
