"""Kept frames: bytes per hour, open latency and legibility of the frame store, against the
store of the previous version (one lossless WebP file per frame) on the same frames.

    .venv/bin/python bench/frames.py [--hours 1] [--interval 3] [--ocr-samples 4] [--video]

The frames are a synthetic working day at 1920x1080 (bench/screens.py: typing, scrolling,
switching windows, a clock), once in a light and once in a dark theme, every frame kept (an
upper bound: the daemon keeps a frame only when it stores new text). Prints for each store:
bytes per hour of frames, CPU ms per kept frame (its share of capture's CPU), open latency
p50/p95 (decrypt, decode, and load into a QImage, as the timeline does), and word recall of
OCR on decoded frames against OCR on the original frames. `--video` adds H.264 in 60-second
chunks through PyAV, when it is installed, for comparison (not encrypted, not kept)."""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import secrets
import sys
import tempfile
import time
from pathlib import Path
from statistics import mean

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from bench.screens import Day  # noqa: E402
from memory import FrameStore  # noqa: E402


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]{3,}", text.lower()))


class Ocr:
    """rapidocr with the models and detection size the capture daemon uses, one thread."""

    def __init__(self) -> None:
        from rapidocr import RapidOCR

        from capture import model_paths

        det, rec = model_paths()
        self.engine = RapidOCR(params={
            "Global.log_level": "error", "Global.use_cls": False, "Det.model_path": str(det),
            "Rec.model_path": str(rec), "Det.limit_type": "max", "Det.limit_side_len": 1280,
            "EngineConfig.onnxruntime.intra_op_num_threads": 1})

    def __call__(self, pixels: np.ndarray) -> set[str]:
        out = self.engine(np.ascontiguousarray(pixels[:, :, ::-1]))
        return words(" ".join(t for t, s in zip(out.txts or (), out.scores or (), strict=False) if s >= 0.5))


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]


def run_theme(theme: str, n: int, folder: Path, samples: int, ocr: Ocr | None, video: bool) -> dict:
    from PySide6.QtGui import QImage

    key = secrets.token_bytes(32)
    new = FrameStore(folder / f"{theme}-chunks", key)
    old = FrameStore(folder / f"{theme}-files", key)
    rng = random.Random(7)
    picks = set(rng.sample(range(n), min(samples, n)))
    keep_ms, put_ms, ids_new, ids_old, originals = [], [], [], [], {}
    video_frames = [] if video else None
    for i, (pixels, _) in enumerate(Day(theme, seed=3).frames(n)):
        t0 = time.process_time()
        ids_new.append(new.keep(pixels, stream="monitor 1"))
        keep_ms.append((time.process_time() - t0) * 1000)
        t0 = time.process_time()
        buf = io.BytesIO()  # the previous version: the daemon encoded, the store encrypted a file
        Image.fromarray(pixels).save(buf, "WEBP", lossless=True, method=1, quality=0)
        ids_old.append(old.put(buf.getvalue()))
        put_ms.append((time.process_time() - t0) * 1000)
        if i in picks:
            originals[i] = pixels
        if video_frames is not None:
            video_frames.append(pixels)

    def open_ms(store: FrameStore, ids: list[str], quick: bool) -> list[float]:
        out = []
        for i in random.Random(11).sample(range(n), min(60, n)):
            t0 = time.perf_counter()
            data = store.get(ids[i], quick=quick) if quick else store.get(ids[i])
            image = QImage()
            assert image.loadFromData(data)
            out.append((time.perf_counter() - t0) * 1000)
        return out

    result = {
        "frames": n,
        "new_bytes": sum(f.bytes for f in new.files()), "old_bytes": sum(f.bytes for f in old.files()),
        "new_files": len(new.files()),
        "keep_ms": mean(keep_ms), "put_ms": mean(put_ms),
        "new_open": open_ms(new, ids_new, True), "old_open": open_ms(old, ids_old, False),
    }
    exact = all(np.array_equal(new.pixels(ids_new[i]), px) for i, px in originals.items())
    result["exact"] = exact
    if ocr is not None:
        seen = decoded = base = 0
        for i, px in originals.items():
            truth = ocr(px)
            seen += len(truth)
            decoded += len(truth & ocr(new.pixels(ids_new[i])))
            base += len(truth & ocr(old.pixels(ids_old[i])))
        result["recall_new"] = decoded / max(1, seen)
        result["recall_old"] = base / max(1, seen)
        result["words"] = seen
    if video_frames is not None:
        result["video"] = video_arm(video_frames, originals, ocr)
    return result


def video_arm(frames: list[np.ndarray], originals: dict[int, np.ndarray], ocr: Ocr | None,
              per_chunk: int = 20) -> dict:
    """H.264 (libx264, crf 23, yuv420p) in chunks of `per_chunk` frames (60 s at a 3 s interval)."""
    import av

    chunks, cpu = [], 0.0
    for start in range(0, len(frames), per_chunk):
        t0 = time.process_time()
        buf = io.BytesIO()
        with av.open(buf, "w", format="mp4") as out:
            stream = out.add_stream("libx264", rate=1, options={"crf": "23", "preset": "veryfast"})
            stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
            for px in frames[start:start + per_chunk]:
                for packet in stream.encode(av.VideoFrame.from_ndarray(px, format="rgb24")):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
        cpu += time.process_time() - t0
        chunks.append(buf.getvalue())

    def decode(i: int) -> np.ndarray:
        with av.open(io.BytesIO(chunks[i // per_chunk])) as f:
            for n, frame in enumerate(f.decode(video=0)):
                if n == i % per_chunk:
                    return frame.to_ndarray(format="rgb24")
        raise LookupError(i)

    lat = []
    for i in random.Random(11).sample(range(len(frames)), min(30, len(frames))):
        t0 = time.perf_counter()
        decode(i)
        lat.append((time.perf_counter() - t0) * 1000)
    got = {"bytes": sum(len(c) for c in chunks), "cpu_ms": cpu * 1000 / len(frames), "open": lat}
    if ocr is not None:
        seen = hit = 0
        for i, px in originals.items():
            truth = ocr(px)
            seen += len(truth)
            hit += len(truth & ocr(decode(i)))
        got["recall"] = hit / max(1, seen)
    return got


def row(label: str, new: float, old: float) -> None:
    print(f"{label:34}{new:20.1f}{old:20.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, default=1.0, help="hours of frames for each theme")
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between kept frames")
    parser.add_argument("--ocr-samples", type=int, default=4, help="frames of each theme read by OCR (0: none)")
    parser.add_argument("--video", action="store_true", help="also H.264 chunks through PyAV, if installed")
    args = parser.parse_args()
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - image plugins
    n = int(args.hours * 3600 / args.interval)
    per_hour = 3600 / args.interval
    ocr = Ocr() if args.ocr_samples else None
    print(f"{n} frames a theme ({args.hours:g} h at a {args.interval:g} s interval, every frame kept), "
          "1920x1080; CPU shared with other work, so times are upper bounds")
    with tempfile.TemporaryDirectory(prefix="engram-frames-") as tmp:
        for theme in ("light", "dark"):
            r = run_theme(theme, n, Path(tmp), args.ocr_samples, ocr, args.video)
            hours = r["frames"] / per_hour
            print(f"\n== {theme} theme ==")
            print(f"{'':34}{'chunks of changes':>20}{'one WebP a frame':>20}")
            row("MB of frames per hour", r["new_bytes"] / hours / 1e6, r["old_bytes"] / hours / 1e6)
            row("KB per frame", r["new_bytes"] / r["frames"] / 1e3, r["old_bytes"] / r["frames"] / 1e3)
            row("CPU ms per kept frame", r["keep_ms"], r["put_ms"])
            row("open ms p50 (to a QImage)", percentile(r["new_open"], .5), percentile(r["old_open"], .5))
            row("open ms p95", percentile(r["new_open"], .95), percentile(r["old_open"], .95))
            if "recall_new" in r:
                print(f"{'OCR word recall vs original':34}{r['recall_new']:20.1%}{r['recall_old']:20.1%}"
                      f"   ({r['words']} words in {args.ocr_samples} frames)")
            print(f"decoded frames identical to the originals: {r['exact']}; chunk files: {r['new_files']}; "
                  f"a 30-day month of 8-hour days: {r['new_bytes'] / hours * 240 / 1e9:.2f} GB "
                  f"(one WebP a frame: {r['old_bytes'] / hours * 240 / 1e9:.1f} GB)")
            if "video" in r:
                v = r["video"]
                print(f"H.264 crf 23 (60 s chunks, not encrypted): {v['bytes'] / hours / 1e6:.1f} MB per hour, "
                      f"{v['cpu_ms']:.1f} CPU ms per frame, open p50 {percentile(v['open'], .5):.0f} ms "
                      f"p95 {percentile(v['open'], .95):.0f} ms"
                      + (f", OCR word recall {v['recall']:.1%}" if "recall" in v else ""))


if __name__ == "__main__":
    main()
