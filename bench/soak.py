"""Soak: capture and memory-making for N minutes on a scripted Xvfb workload, while the capture daemon
and the memory worker are killed (SIGKILL) and restarted at random.

    .venv/bin/python bench/soak.py [--minutes 3] [--interval 2] [--kill-every 25] [--seed 1]

The daemon is `engram capture` in a child process; the worker is a child process that makes memories
(`Engram.process_pending`) with a scripted model that answers every manager by its schema (no
language model runs: this is about faults, not quality). A reader in this process polls the store.
Prints frames seen, observations stored, memories made, dropped frames, errors, peak RSS, and whether
every observation ever seen committed is still there and readable at the end (and the database
passes quick_check)."""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.capture import sentences  # noqa: E402

PASS = "soak"
WORKER = r'''
import json, sys, time
from app.paths import Paths
from app.services import Engram, ProcessingElsewhere
from memory.llm import FakeModel

class ReplyBySchema(FakeModel):
    """Routes every batch to episodic and semantic; each manager ADDs one item with its schema's fields."""
    def __init__(self):
        super().__init__(["unused"])
    def complete(self, messages, *, schema=None, max_tokens=256):
        props = (schema or {}).get("properties") or {}
        if "operations" not in props:
            return json.dumps({k: k in ("episodic", "semantic") for k in props})
        item = props["operations"]["items"]
        op = {f: "ADD" if f == "op" else 0 if item["properties"][f].get("type") == "integer"
              else "seen on screen" for f in item["required"]}
        return json.dumps({"operations": [op]})

with Engram.unlock(Paths.resolve(sys.argv[1]), sys.argv[2], use_keyring=False) as engram:
    engram.set_model(ReplyBySchema())
    while True:
        try:
            report = engram.process_pending()
            print("batches", report.batches, flush=True)
        except ProcessingElsewhere:
            print("busy", flush=True)
        time.sleep(2.0)
'''


class Child:
    """A child process restarted after each kill; counts its starts, kills and unexpected exits."""

    def __init__(self, name: str, argv: list[str], env: dict, log: Path) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.proc: subprocess.Popen | None = None
        self.starts = self.kills = self.crashes = 0
        self.peak_rss_mb = 0.0
        self.start()

    def start(self) -> None:
        out = open(self.log, "a")  # noqa: SIM115 - the child keeps it
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        out.close()
        self.starts += 1

    def kill(self) -> None:
        self.sample()
        with _quiet():
            os.killpg(self.proc.pid, signal.SIGKILL)  # the daemon's OCR worker too
        self.proc.wait()
        self.kills += 1
        self.start()

    def check(self) -> None:
        """Restart it if it ended by itself (counted as a crash)."""
        self.sample()
        if self.proc.poll() is not None:
            self.crashes += 1
            self.start()

    def sample(self) -> None:
        """Peak RSS of the process and its children (the OCR worker), from /proc."""
        for pid in [self.proc.pid, *_children(self.proc.pid)]:
            self.peak_rss_mb = max(self.peak_rss_mb, _hwm_mb(pid))

    def stop(self) -> None:
        self.sample()
        with _quiet():
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            with _quiet():
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class _quiet:
    def __enter__(self):
        return self

    def __exit__(self, kind, *_):
        return kind is not None and issubclass(kind, (ProcessLookupError, PermissionError))


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _hwm_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _server(display: int | None, width: int = 1920, height: int = 1080):
    """tests.capture.xserver's X server with openbox, on a chosen display number (or a free one)."""
    from tests.capture.xserver import XServer

    if display is None:
        return XServer(width, height)
    server = XServer.__new__(XServer)
    server._procs = []
    server._xvfb = subprocess.Popen(["Xvfb", f":{display}", "-screen", "0", f"{width}x{height}x24", "-nolisten",
                                     "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server.number, server.display = display, f":{display}"
    server.env = {**os.environ, "DISPLAY": server.display}
    server.env.pop("WAYLAND_DISPLAY", None)
    try:
        server._wait(server._answers, "Xvfb did not start")
        server._start_wm()
    except BaseException:
        server.close()
        raise
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--interval", type=float, default=2.0, help="capture interval, seconds")
    parser.add_argument("--kill-every", type=float, default=25.0, help="mean seconds between kills")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--display", type=int, default=None, help="X display number (default: a free one)")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    from app.daemon import HEALTH_KEY
    from app.paths import Paths
    from app.services import Engram

    server = _server(args.display)
    tmp = Path(tempfile.mkdtemp(prefix="engram-soak-"))
    data = tmp / "data"
    Engram.create(Paths(data), PASS).close()
    env = {**server.env, "ENGRAM_HOME": str(data), "ENGRAM_PASSPHRASE": PASS, "PYTHONPATH": str(ROOT)}
    windows = [server.window("Gedit", "notes.txt - Text Editor", "\n".join(sentences(1, 12)), "1100x700+40+40"),
               server.window("XTerm", "bash - ~/src", "\n".join(sentences(2, 8)), "900x500+500+450")]
    daemon = Child("daemon", [sys.executable, "-c", "from app.cli import main; main()", "capture",
                              "--interval", str(args.interval)], env, tmp / "daemon.log")
    worker = Child("worker", [sys.executable, "-c", WORKER, str(data), PASS], env, tmp / "worker.log")
    reader = Engram.unlock(Paths(data), PASS, use_keyring=False)
    seen: dict[int, str] = {}  # every observation id seen committed, with its text
    frames = dropped = 0
    beats: dict[int, dict] = {}  # the last heartbeat of each daemon process
    errors: set[str] = set()
    start = time.monotonic()
    next_kill = start + rng.expovariate(1 / args.kill_every)
    next_line, line_seed = start + 3, 100
    try:
        while time.monotonic() - start < args.minutes * 60:
            time.sleep(1.0)
            now = time.monotonic()
            if now >= next_line:
                line_seed += 1
                active = windows[line_seed % 2]
                active.append(sentences(line_seed, 1)[0])
                if line_seed % 5 == 0:
                    active.send("raise")  # switch windows now and then (best effort, not waited for)
                next_line = now + 3
            if now >= next_kill:
                rng.choice([daemon, worker]).kill()
                next_kill = now + rng.expovariate(1 / args.kill_every)
            daemon.check()
            worker.check()
            for o in reader.store.observations(since=None):
                seen.setdefault(o.id, o.text)
            beat = reader.store.setting(HEALTH_KEY, None)
            if isinstance(beat, dict) and beat.get("pid"):
                beats[beat["pid"]] = beat
                if beat.get("last_error"):
                    errors.add(str(beat["last_error"])[:120])
    finally:
        daemon.stop()
        worker.stop()
        reader.close()
        for w in windows:
            w.close()
        server.close()
    for beat in beats.values():
        frames += int(beat.get("frames") or 0)
        dropped += int(beat.get("dropped") or 0)
    tracebacks = sum(log.read_text(errors="replace").count("Traceback") for log in (tmp / "daemon.log",
                                                                                  tmp / "worker.log"))
    with Engram.unlock(Paths(data), PASS, use_keyring=False) as engram:
        check = engram.store.quick_check()
        now_there = {o.id: o.text for o in engram.store.observations()}
        lost = [i for i, text in seen.items() if now_there.get(i) != text]
        status = engram.status()
    print(f"soak: {args.minutes:g} min on 1920x1080 Xvfb, a grab every {args.interval:g} s, a kill every "
          f"~{args.kill_every:g} s (seed {args.seed}); other agents were using the CPU")
    print(f"daemon: {daemon.starts} starts, {daemon.kills} killed, {daemon.crashes} ended by itself; "
          f"worker: {worker.starts} starts, {worker.kills} killed, {worker.crashes} ended by itself")
    print(f"frames seen: {frames} (last heartbeat of each daemon run; a killed run's last seconds are not "
          f"counted), dropped frames: {dropped}")
    print(f"observations stored: {status.observations} ({status.pending_observations} still pending); "
          f"memories made: {sum(status.memories.values())} {status.memories}")
    print(f"errors: {len(errors)} distinct in heartbeats {sorted(errors)[:3]}; tracebacks in child output: "
          f"{tracebacks}")
    print(f"peak RSS: daemon+OCR worker {daemon.peak_rss_mb:.0f} MB, memory worker {worker.peak_rss_mb:.0f} MB")
    print(f"every committed observation still readable: {not lost} ({len(seen)} seen, {len(lost)} lost or "
          f"changed); quick_check: {check or 'ok'}")
    print(f"(logs and data kept in {tmp})")


if __name__ == "__main__":
    main()
