"""Capture figures on a 1920x1080 Xvfb screen with a scripted workload of real text windows.

    .venv/bin/python bench/capture.py [--interval 2] [--duration 48]

Runs the real capture daemon (in a child process, so its CPU and memory are its own) while the
script opens text windows, appends lines and switches between them. Meanwhile it records the
screen at the same interval; afterwards it runs a naive baseline on the recording in the same
run: full-frame OCR of every frame, every frame's text and PNG stored (as OpenRecall does).
Prints CPU per frame by kind, OCR cost, peak memory, bytes stored per hour, frames skipped,
text recall of both against the text the windows showed, and CPU per hour of both.

Then (unless --no-fonts) the share of words read from a full-screen window of three lines of small text, per
font size (8, 10, 12, 14 pt), light and dark, at 1920x1080 and 2560x1440: what a large read (a
first frame, a window switch) gets from the OCR worker's engine, and its CPU cost."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from statistics import mean, median

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TICKS_PER_HOUR_AT = 3.0  # the default capture interval: figures per hour assume it
_WORDS = ("the project budget review meeting notes draft summary customer invoice report "
          "design release server database backup schedule weekly update team design "
          "quarterly roadmap feature request deadline travel expense approval contract "
          "research paper reading list kitchen garden recipe flight hotel museum concert "
          "library migration benchmark latency memory profile encryption keyboard window "
          "monitor screen capture search timeline archive question answer").split()


def sentences(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(6, 10))]
        out.append(" ".join(words).capitalize() + f" {rng.randint(10, 999)}.")
    return out


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- the daemon, in its own process ---------------------------------------------------------------
def daemon_child(data_dir: str, interval: float, conn) -> None:
    from app.daemon import CaptureDaemon
    from app.paths import Paths
    from app.services import Engram
    from capture import CaptureSettings

    engram = Engram.unlock(Paths(Path(data_dir)), "bench", use_keyring=False)
    daemon = CaptureDaemon(engram, CaptureSettings(interval=interval, idle_seconds=0))
    daemon.start()
    while daemon.ocr_worker_pid is None:
        time.sleep(0.1)
    worker = daemon.ocr_worker_pid
    time.sleep(4.0)  # the worker loads its models at start; that is not per-frame cost
    cpu0 = time.process_time() + _proc_cpu(worker)
    frames0 = daemon.health().frames
    conn.send("ready")
    conn.recv()  # the workload is over
    while daemon.health().queue_depth:  # let what was grabbed be indexed
        time.sleep(0.2)
    time.sleep(2 * interval + 3.0)
    worker_hwm = _proc_hwm_mb(worker) if daemon.ocr_worker_pid == worker else float("nan")
    cpu1 = time.process_time() + _proc_cpu(worker)
    health = daemon.health()
    stats = daemon.stats
    daemon.stop()
    engram.close()
    conn.send({
        "cpu_s": cpu1 - cpu0, "frames": health.frames - frames0, "all_frames": health.frames,
        "skipped": health.skipped, "dropped": health.dropped, "observations": health.observations,
        "indexed_share": health.indexed_share, "last_error": health.last_error,
        "daemon_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_rss_mb": worker_hwm,
        "grab_ms": {k: list(v) for k, v in stats.grab_ms.items()},
        "ocr": list(stats.ocr), "index_ms": list(stats.index_ms),
    })


# -- the workload --------------------------------------------------------------------------------
def workload(server, duration: float, interval: float, record: list) -> set[str]:
    """Open, edit and switch windows for `duration` s while recording a frame every `interval`
    s into `record`; returns every line the windows showed."""
    import mss

    shown: set[str] = set()
    windows = {}
    plan = [  # (second, action, window, text)
        (0, "open", "editor", sentences(1, 22)),
        (12, "open", "browser", sentences(2, 26)),
        (24, "focus", "editor", None),
        (34, "open", "terminal", sentences(3, 12)),
    ]
    geometry = {"editor": ("Gedit", "notes.txt - Text Editor", "1100x820+40+40"),
                "browser": ("Firefox", "Release notes - Mozilla Firefox", "1150x900+700+120"),
                "terminal": ("XTerm", "bash - ~/src", "900x500+300+500")}
    active = None
    grabber = mss.MSS(display=server.display)
    start = time.monotonic()
    next_grab = next_line = 0.0
    line_seed = 100
    while (now := time.monotonic() - start) < duration:
        while plan and plan[0][0] <= now:
            _, action, name, text = plan.pop(0)
            if action == "open":
                app, title, geo = geometry[name]
                windows[name] = server.window(app, title, "\n".join(text), geo)
                shown.update(text)
            else:
                windows[name].focus()
            active = name
        if now >= next_line and now > 2:  # a one-line change every 4 s in the active window
            line_seed += 1
            (line,) = sentences(line_seed, 1)
            windows[active].append(line)
            shown.add(line)
            next_line = now + 4.0
        if now >= next_grab:
            shot = grabber.grab(grabber.monitors[1])
            record.append(bytes(shot.rgb))
            next_grab += interval
        time.sleep(0.02)
    grabber.close()
    for w in windows.values():
        w.close()
    return shown


# -- the naive baseline ---------------------------------------------------------------------------
def baseline(record: list[bytes], size: tuple[int, int], data_dir: Path) -> dict:
    import io

    import numpy as np
    from PIL import Image
    from rapidocr import RapidOCR

    from app.paths import Paths
    from app.services import Engram
    from capture import model_paths
    from memory import FrameStore, NewObservation

    det, rec = model_paths()
    # rapidocr's own pipeline, with the same models and detection size as the daemon, one
    # thread, and no line cache: every frame is read in full.
    engine = RapidOCR(params={
        "Global.log_level": "error", "Global.use_cls": False, "Det.model_path": str(det),
        "Rec.model_path": str(rec), "Det.limit_type": "max", "Det.limit_side_len": 1280,
        "EngineConfig.onnxruntime.intra_op_num_threads": 1})
    engine(np.full((64, 256, 3), 255, np.uint8))  # load the models outside the timing
    engram = Engram.create(Paths(data_dir), "bench")
    frames = FrameStore(engram.paths.frames, engram.data_key)
    w, h = size
    cpu_ms, texts = [], []
    for i, raw in enumerate(record):
        t0 = time.process_time()
        pixels = np.frombuffer(raw, np.uint8).reshape(h, w, 3)
        out = engine(np.ascontiguousarray(pixels[:, :, ::-1]))
        text = "\n".join(t for t, score in zip(out.txts or (), out.scores or (), strict=False)
                         if score >= 0.5)
        buf = io.BytesIO()
        Image.fromarray(pixels).save(buf, "PNG", compress_level=3)
        frame_id = frames.put(buf.getvalue())
        engram.store.add_observations([NewObservation(
            time=datetime.now(UTC), text=text, app="bench", source_id=f"base:{i}", frame_id=frame_id)])
        cpu_ms.append((time.process_time() - t0) * 1000)
        texts.append(text)
    engram.close()
    # rapidocr's defaults (detection at full resolution) on a few frames, for reference
    default = RapidOCR(params={"Global.log_level": "error", "Det.model_path": str(det),
                               "Rec.model_path": str(rec),
                               "EngineConfig.onnxruntime.intra_op_num_threads": 1})
    default(np.full((64, 256, 3), 255, np.uint8))
    default_ms = []
    for raw in record[:: max(1, len(record) // 4)][:4]:
        t0 = time.process_time()
        default(np.ascontiguousarray(np.frombuffer(raw, np.uint8).reshape(h, w, 3)[:, :, ::-1]))
        default_ms.append((time.process_time() - t0) * 1000)
    return {"cpu_ms": cpu_ms, "texts": texts, "bytes": _bytes(data_dir), "default_ms": default_ms}


def _bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _words(texts) -> set[str]:
    return {w for t in texts for w in re.findall(r"[a-z0-9]{3,}", t.lower())}


FONT_SIZES = (8, 10, 12, 14)
THEMES = {"light": ("black", "white"), "dark": ("#d4d4d4", "#1e1e1e")}
SCREENS = ((1920, 1080), (2560, 1440))


def font_recall() -> None:
    """Word recall of a large read, per font size and theme, on two screen sizes."""
    import mss
    import numpy as np

    from capture import OcrEngine
    from tests.capture.xserver import XServer

    engine = OcrEngine()
    engine.read(np.full((64, 256, 3), 255, np.uint8))
    print("\n== small text: words read from a full-screen window in one large read ==")
    print(f"{'screen':>10} {'theme':>6} " + " ".join(f"{p:>5} pt" for p in FONT_SIZES) + "   CPU ms per read")
    for width, height in SCREENS:
        server = XServer(width, height)
        try:
            for theme, (ink, paper) in THEMES.items():
                recalls, costs = [], []
                for points in FONT_SIZES:
                    # A short note (the case that failed: a few lines on a big, mostly empty screen)
                    text = sentences(points * 7 + len(theme), 3)
                    win = server.window("Notes", f"{points} pt {theme}", "\n".join(text),
                                        f"{width}x{height}+0+0", points=points, ink=ink, paper=paper)
                    time.sleep(0.5)
                    with mss.MSS(display=server.display) as grabber:
                        shot = grabber.grab(grabber.monitors[1])
                    pixels = np.frombuffer(bytes(shot.rgb), np.uint8).reshape(height, width, 3)
                    t0 = time.process_time()
                    lines = engine.read(pixels)
                    costs.append((time.process_time() - t0) * 1000)
                    truth = _words(text)
                    recalls.append(len(_words(ln.text for ln in lines) & truth) / len(truth))
                    win.close()
                print(f"{width}x{height:<5} {theme:>6} " + " ".join(f"{r:>7.0%}" for r in recalls)
                      + f"   {mean(costs):6.0f}")
        finally:
            server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=48.0)
    parser.add_argument("--no-fonts", action="store_true", help="skip the small-text recall table")
    parser.add_argument("--fonts-only", action="store_true", help="only the small-text recall table")
    args = parser.parse_args()
    if args.fonts_only:
        font_recall()
        return

    from app.paths import Paths
    from app.services import Engram
    from tests.capture.xserver import XServer

    server = XServer(1920, 1080)
    os.environ["DISPLAY"] = server.display
    os.environ.pop("WAYLAND_DISPLAY", None)
    tmp = Path(tempfile.mkdtemp(prefix="engram-bench-"))
    try:
        data = tmp / "daemon"
        Engram.create(Paths(data), "bench").close()
        empty_bytes = _bytes(data)
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=daemon_child, args=(str(data), args.interval, child))
        proc.start()
        assert parent.recv() == "ready"
        record: list[bytes] = []
        shown = workload(server, args.duration, args.interval, record)
        parent.send("done")
        live = parent.recv()
        proc.join(30)
        base = baseline(record, (1920, 1080), tmp / "baseline")
        empty_base = empty_bytes  # a fresh store is the same size for both
        with Engram.unlock(Paths(data), "bench", use_keyring=False) as engram:
            stored = [f"{o.title}\n{o.text}" for o in engram.observations()]
        report(args, live, base, stored, shown, _bytes(data) - empty_bytes,
               base["bytes"] - empty_base, len(record))
    finally:
        server.close()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    if not args.no_fonts:
        font_recall()


def report(args, live, base, stored, shown, live_bytes, base_bytes, recorded) -> None:
    g = live["grab_ms"]
    ocr = live["ocr"]
    index = live["index_ms"]

    def avg(xs):
        return mean(xs) if xs else float("nan")

    region_jobs = [o for o in ocr if o[0] == "regions"]
    full_jobs = [o for o in ocr if o[0] == "full"]
    per_region = [cpu / max(1, n) for _, n, cpu, _ in region_jobs]
    one_line = avg(g["regions"]) + avg([o[2] for o in region_jobs]) + \
        avg([c for k, c in index if k == "regions"])
    new_window = avg(g["full"]) + avg([o[2] for o in full_jobs]) + avg([c for k, c in index if k == "full"])
    hours = args.duration / 3600
    ticks_per_hour = 3600 / TICKS_PER_HOUR_AT
    live_per_tick = live["cpu_s"] * 1000 / max(1, live["frames"])
    base_per_tick = mean(base["cpu_ms"])
    truth = _words(shown)
    w_live, w_base = _words(stored), _words(base["texts"])
    print(f"workload: {args.duration:.0f} s on 1920x1080 Xvfb, a grab every {args.interval:g} s; "
          f"3 text windows opened, 1 switch back, a new line every 4 s ({len(shown)} lines shown)")
    print("\n== Engram capture daemon ==")
    print(f"CPU ms per frame, unchanged screen:      {avg(g['unchanged']):8.1f}  (grab + thumbnail diff; "
          f"median {median(g['unchanged']) if g['unchanged'] else float('nan'):.1f}, n={len(g['unchanged'])})")
    print(f"CPU ms per frame, one-line change:       {one_line:8.1f}  (n={len(region_jobs)})")
    print(f"CPU ms per frame, new window:            {new_window:8.1f}  (n={len(full_jobs)})")
    print(f"OCR CPU ms per changed region:           {avg(per_region):8.1f}  "
          f"(wall {avg([w / max(1, n) for _, n, _, w in region_jobs]):.1f})")
    print(f"OCR CPU ms per full frame:               {avg([o[2] for o in full_jobs]):8.1f}  "
          f"(wall {avg([o[3] for o in full_jobs]):.1f})")
    print(f"peak RSS: daemon {live['daemon_rss_mb']:.0f} MB, OCR worker {live['worker_rss_mb']:.0f} MB")
    print(f"frames: {live['all_frames']} grabbed, {live['skipped']} skipped "
          f"({live['skipped'] / max(1, live['all_frames']):.0%}), {live['dropped']} dropped; "
          f"{live['observations']} observations; indexed share {live['indexed_share']}")
    print(f"bytes stored per hour (db + frames):     {live_bytes / hours / 1e6:8.1f} MB")
    print(f"CPU per frame over the run:              {live_per_tick:8.1f} ms "
          f"-> {live_per_tick * ticks_per_hour / 1000:.0f} CPU s per hour at a {TICKS_PER_HOUR_AT:g} s interval")
    if live["last_error"]:
        print(f"last error: {live['last_error']}")
    print("\n== naive baseline (full-frame OCR of every frame, every frame stored) ==")
    print(f"CPU ms per frame:                        {base_per_tick:8.1f}  (n={recorded})")
    print(f"  with rapidocr's default settings:      {mean(base['default_ms']):8.1f}  "
          f"(n={len(base['default_ms'])}; the ratio below uses the cheaper line above)")
    print(f"bytes stored per hour (db + frames):     {base_bytes / hours / 1e6:8.1f} MB")
    print(f"CPU per hour at a {TICKS_PER_HOUR_AT:g} s interval:            "
          f"{base_per_tick * ticks_per_hour / 1000:8.0f} CPU s")
    print("\n== comparison ==")
    print(f"CPU ratio baseline / Engram:             {base_per_tick / live_per_tick:8.1f}x")
    print(f"storage ratio baseline / Engram:         {base_bytes / max(1, live_bytes):8.1f}x")
    print(f"word recall vs the text shown: Engram {len(w_live & truth) / len(truth):.1%}, "
          f"baseline {len(w_base & truth) / len(truth):.1%}")
    missed = sorted((w_base & truth) - w_live)
    print(f"words shown that the baseline read and Engram missed: {len(missed)} {missed[:12]}")
    print(f"baseline words that were never shown (fragments of half-covered windows, misreads): "
          f"{len(w_base - truth)}; Engram's: {len(w_live - truth)}")


if __name__ == "__main__":
    main()
