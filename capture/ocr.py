"""OCR with rapidocr's default models, the ones shipped inside its wheel: nothing is ever
downloaded. `OcrEngine` reads images in this process; `serve` is the body of the OCR worker
process (the app starts it), reading `OcrJob`s from a pipe and answering `OcrResult`s."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np

from capture.errors import OcrError
from capture.models import OcrJob, OcrResult, Region, TextLine

# The default PP-OCR models rapidocr 3.x ships in its wheel (see its default_models.yaml).
_DET_MODEL = "PP-OCRv6_det_small.onnx"
_REC_MODEL = "PP-OCRv6_rec_small.onnx"
_MIN_SIDE = 16  # crops smaller than this hold no readable text
_MIN_SCORE = 0.5
_BAND_MAX = 128  # taller images always go through the detection model
_LINE_MIN, _LINE_MAX = 6, 64  # ink height of one line of screen text, in pixels
# The detection model misses small text on big images: on a 1920x1080 screen at its own size
# (and, worse, shrunk to 1280 px) 8 pt lines vanish, while the same pixels cut into pieces of
# about half a megapixel are all found. So big images are detected in tiles at their native
# resolution, overlapping by more than a line's height, and the boxes joined across the seams.
_TILE_W, _TILE_H = 1024, 600
_TILE_OVERLAP = _LINE_MAX + 16
_INK_MIN = 12  # a tile with fewer ink pixels than this (borders aside) holds no text


def model_paths() -> tuple[Path, Path]:
    """The shipped detection and recognition models; OcrError if the wheel lacks them."""
    try:
        import rapidocr
    except ImportError as exc:
        raise OcrError(f"rapidocr is not installed ({exc})") from None
    folder = Path(rapidocr.__file__).parent / "models"
    paths = (folder / _DET_MODEL, folder / _REC_MODEL)
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise OcrError(f"rapidocr's shipped models are missing ({', '.join(missing)}); "
                       "reinstall rapidocr (Engram never downloads models)")
    return paths


class OcrEngine:
    """Reads text from RGB images. Loads the shipped models on first use.

    Lines are found by the detection model; each line image is then recognised, unless a line
    with the same ink was recognised before (recognition is most of the cost of a full frame,
    and a window shown again, or a band around one new line, is mostly lines already read)."""

    def __init__(self, threads: int = 1, cache_lines: int = 20_000) -> None:
        self._threads = max(1, threads)
        self._engine = None
        self._known: OrderedDict[bytes, tuple[str, float]] = OrderedDict()
        self._cache_lines = cache_lines
        self.recognised = 0  # line images run through the recognition model
        self.reused = 0  # line images whose text came from the cache
        self.undetected = 0  # images read as one line without the detection model
        self.tiles = 0  # tiles of big images run through the detection model

    def _load(self):
        if self._engine is None:
            det, rec = model_paths()
            # rapidocr runs on onnxruntime, whose wheels carry telemetry on every OS: off, first.
            os.environ["ORT_DISABLE_TELEMETRY"] = os.environ["ORT_TELEMETRY_DISABLED"] = "1"
            import onnxruntime
            from rapidocr import RapidOCR

            onnxruntime.disable_telemetry_events()

            # Explicit model paths: rapidocr never looks for (or fetches) anything else.
            # No angle classifier: screen text is upright, and it would cost a third model.
            # Detection sees tiles at their own size (see _TILE_W), and never enlarges thin
            # bands (the default would blow a 40 px band up to 736 px).
            self._engine = RapidOCR(params={
                "Global.log_level": "error",
                "Global.use_cls": False,
                "Det.model_path": str(det),
                "Rec.model_path": str(rec),
                "Det.limit_type": "max",
                "Det.limit_side_len": 1280,
                "EngineConfig.onnxruntime.intra_op_num_threads": self._threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            })
        return self._engine

    def read(self, image: np.ndarray, origin: tuple[int, int] = (0, 0)) -> list[TextLine]:
        """The lines of text in `image` (RGB, HxWx3), boxes shifted by `origin` (x, y)."""
        if image.ndim != 3 or image.shape[0] < _MIN_SIDE or image.shape[1] < _MIN_SIDE:
            return []
        self._load()
        bgr = np.ascontiguousarray(image[:, :, ::-1])  # rapidocr takes OpenCV's BGR order
        lines = []
        ox, oy = origin
        for x0, y0, x1, y1 in self._line_boxes(bgr):
            text, score = self._recognise(bgr[y0:y1, x0:x1])
            text = text.strip()
            if not text or score < _MIN_SCORE:
                continue
            lines.append(TextLine(text, Region(ox + x0, oy + y0, x1 - x0, y1 - y0), score))
        return lines

    def _line_boxes(self, bgr: np.ndarray) -> list[tuple[int, int, int, int]]:
        """Boxes (x0, y0, x1, y1) of the lines of text: found from the ink alone when the image
        is a band around one line (the common case: one line changed), else by detection."""
        boxes = one_line(bgr)
        if boxes is not None:
            self.undetected += 1
            return boxes
        h, w = bgr.shape[:2]
        xs, ys = _starts(w, _TILE_W), _starts(h, _TILE_H)
        if len(xs) == len(ys) == 1:
            return self._detect(bgr)
        # One tile along an axis spans all of it (up to a quarter more than a tile).
        tw, th = (_TILE_W if len(xs) > 1 else w), (_TILE_H if len(ys) > 1 else h)
        boxes = []
        for x, y in [(x, y) for y in ys for x in xs]:
            tile = bgr[y:y + th, x:x + tw]
            if not _has_ink(tile):
                continue  # background and borders only: nothing to find
            self.tiles += 1
            boxes += [(x0 + x, y0 + y, x1 + x, y1 + y) for x0, y0, x1, y1 in self._detect(tile)
                      if not _cut_by_seam(y0, y1, y, tile.shape[0], h)]
        return join_boxes(boxes)

    def _detect(self, bgr: np.ndarray) -> list[tuple[int, int, int, int]]:
        try:
            found = self._engine(np.ascontiguousarray(bgr), use_det=True, use_cls=False, use_rec=False)
        except Exception as exc:  # the engine's own errors are many and untyped
            raise OcrError(f"OCR failed on a {bgr.shape[1]}x{bgr.shape[0]} image: {exc}") from None
        h, w = bgr.shape[:2]
        out = []
        boxes = getattr(found, "boxes", None)
        for box in boxes if boxes is not None else ():
            x0, y0 = max(0, int(np.floor(box[:, 0].min()))), max(0, int(np.floor(box[:, 1].min())))
            x1, y1 = min(w, int(np.ceil(box[:, 0].max()))), min(h, int(np.ceil(box[:, 1].max())))
            if x1 - x0 >= 4 and y1 - y0 >= 4:
                out.append((x0, y0, x1, y1))
        return out

    def _recognise(self, crop: np.ndarray) -> tuple[str, float]:
        key = _ink_key(crop)
        if key is not None and key in self._known:
            self._known.move_to_end(key)
            self.reused += 1
            return self._known[key]
        try:
            out = self._engine(np.ascontiguousarray(crop), use_det=False, use_cls=False, use_rec=True)
        except Exception as exc:
            raise OcrError(f"OCR failed on a {crop.shape[1]}x{crop.shape[0]} line: {exc}") from None
        self.recognised += 1
        txts, scores = getattr(out, "txts", None), getattr(out, "scores", None)
        result = (str(txts[0]), float(scores[0])) if txts else ("", 0.0)
        if key is not None:
            self._known[key] = result
            while len(self._known) > self._cache_lines:
                self._known.popitem(last=False)
        return result

    def run(self, job: OcrJob) -> OcrResult:
        cpu, wall = time.process_time(), time.perf_counter()
        lines: list[TextLine] = []
        try:
            for region, crop in zip(job.regions, job.crops, strict=True):
                lines += self.read(crop, (region.x, region.y))
        except OcrError as exc:
            return OcrResult(job.seq, (), error=str(exc))
        return OcrResult(job.seq, tuple(lines), (time.process_time() - cpu) * 1000,
                         (time.perf_counter() - wall) * 1000)


def _starts(length: int, tile: int) -> list[int]:
    """Where tiles of `tile` pixels start along an axis of `length`, evenly spread and
    overlapping by at least _TILE_OVERLAP (one tile when it fits, with a quarter to spare)."""
    if length <= tile * 5 // 4:
        return [0]
    n = -(-(length - _TILE_OVERLAP) // (tile - _TILE_OVERLAP))
    step = (length - tile) / (n - 1)
    return [round(i * step) for i in range(n)]


def _has_ink(image: np.ndarray) -> bool:
    """Whether an image holds anything but flat colour and straight vertical edges (window
    borders, a blacked-out window beside): a tile without it is not worth the detector. Read
    from the steps between neighbour pixels, so that no background colour is assumed."""
    green = image[:, :, 1].astype(np.int16)
    steps = np.abs(np.diff(green, axis=1)) > 24
    steps[:, steps.mean(axis=0) > 0.6] = False
    return int(np.count_nonzero(steps)) >= _INK_MIN


def _cut_by_seam(y0: int, y1: int, top: int, tile_height: int, height: int) -> bool:
    """Whether a box touches its tile's top or bottom edge where another tile goes on: a line
    cut there (no taller than the overlap) is whole in the tile above or below."""
    return (top > 0 and y0 <= 1) or (top + tile_height < height and y1 >= tile_height - 1)


def join_boxes(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) found in overlapping tiles, as lines: boxes on one row that overlap
    or touch are one line (the same line found twice, or a line cut by a side seam in two).
    Boxes are on one row when they share most of the taller one's height: a box that spans two
    lines, or the edge of a blacked-out window, never swallows a line beside it."""
    boxes = sorted(boxes, key=lambda b: (b[1], b[0]))
    merged = True
    while merged:
        merged = False
        out: list[tuple[int, int, int, int]] = []
        for b in boxes:
            for i, o in enumerate(out):
                overlap = min(b[3], o[3]) - max(b[1], o[1])
                if overlap >= 0.6 * max(b[3] - b[1], o[3] - o[1]) and b[0] <= o[2] + 4 and o[0] <= b[2] + 4:
                    out[i] = (min(b[0], o[0]), min(b[1], o[1]), max(b[2], o[2]), max(b[3], o[3]))
                    merged = True
                    break
            else:
                out.append(b)
        boxes = out
    return sorted(boxes, key=lambda b: (b[1], b[0]))


def _ink(image: np.ndarray) -> np.ndarray:
    """Where the ink is: pixels far (in green) from the background, the median of the border."""
    grey = image[:, :, 1].astype(np.int16)
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return np.abs(grey - int(np.median(border))) > 40


def one_line(image: np.ndarray) -> list[tuple[int, int, int, int]] | None:
    """If `image` is a band holding one whole line of text (neighbour lines cut by its top or
    bottom edge aside), the line's boxes (x0, y0, x1, y1), one per run of words (columns far
    apart are read apart); else None, and the detection model must find the lines."""
    if image.shape[0] > _BAND_MAX:
        return None
    ink = _ink(image)
    ink[:, ink.mean(axis=0) > 0.8] = False  # vertical rules and borders are not text
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return None  # no contrast at all: let the detector look harder
    splits = np.flatnonzero(np.diff(rows) > 1)
    runs = [rows[a:b + 1] for a, b in zip([0, *(splits + 1)], [*splits, rows.size - 1], strict=True)]
    runs = [r for r in runs if r[0] > 0 and r[-1] < ink.shape[0] - 1]  # cut neighbours
    if len(runs) != 1:
        return None
    top, bottom = int(runs[0][0]), int(runs[0][-1]) + 1
    h = bottom - top
    if not _LINE_MIN <= h <= _LINE_MAX:
        return None
    cols = np.flatnonzero(ink[top:bottom].any(axis=0))
    gaps = np.flatnonzero(np.diff(cols) > 2 * h)
    pad = max(2, int(0.3 * h))  # about the margin the detector leaves around a line
    # Kept off the band's own edges, where a box would look like a neighbour line cut in two.
    y0, y1 = max(min(top, 2), top - pad), min(max(bottom, image.shape[0] - 2), bottom + pad)
    return [(max(0, int(cols[a]) - pad), y0, min(image.shape[1], int(cols[b]) + 1 + pad), y1)
            for a, b in zip([0, *(gaps + 1)], [*gaps, cols.size - 1], strict=True)]


def _ink_key(crop: np.ndarray) -> bytes | None:
    """A fingerprint of the ink in a line image, trimmed to the ink's bounding box, so that the
    same text in the same style gives the same key wherever the detector drew its box."""
    ink = _ink(crop)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return None
    trimmed = crop[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h = hashlib.blake2b(digest_size=16)
    h.update(np.int32(trimmed.shape).tobytes())
    h.update(np.ascontiguousarray(trimmed).tobytes())
    return h.digest()


def serve(conn, threads: int = 1) -> None:
    """The OCR worker process: answer each `OcrJob` read from `conn` with an `OcrResult`;
    stop on None, when the other end closes, or when the parent process is gone (killed: its
    end of the pipe may live on in another process, so the parent is watched too). Exits
    quietly in every case: an orphaned worker has no one to tell."""
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(5)  # OCR yields to what the user is doing
    # Ctrl-C in a terminal reaches the whole process group: the parent stops this worker itself.
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    engine = OcrEngine(threads)
    try:
        engine._load()
    except OcrError as exc:
        ready = OcrResult(-1, (), error=str(exc))
    else:
        ready = OcrResult(-1, ())
    if not _send(conn, ready):
        return
    while True:
        try:
            while not conn.poll(1.0):
                if _orphaned(parent):
                    return
            job = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if job is None or _orphaned(parent):
            return
        if not _send(conn, engine.run(job)):
            return


def _send(conn, result: OcrResult) -> bool:
    try:
        conn.send(result)
    except (BrokenPipeError, EOFError, OSError):  # the parent is gone
        return False
    return True


def _orphaned(parent: int) -> bool:
    return os.getppid() != parent
