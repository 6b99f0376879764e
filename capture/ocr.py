"""OCR with rapidocr's default models, the ones shipped inside its wheel: nothing is ever
downloaded. `OcrEngine` reads images in this process; `serve` is the body of the OCR worker
process (the app starts it), reading `OcrJob`s from a pipe and answering `OcrResult`s."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import numpy as np

from capture.errors import OcrError
from capture.models import OcrJob, OcrResult, Region, TextLine

# The default PP-OCR models rapidocr 3.x ships in its wheel (see its default_models.yaml).
_DET_MODEL = "PP-OCRv6_det_small.onnx"
_REC_MODEL = "PP-OCRv6_rec_small.onnx"
_MIN_SIDE = 16  # crops smaller than this hold no readable text
_MIN_SCORE = 0.5


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
    """Reads text from RGB images. Loads the shipped models on first use."""

    def __init__(self, threads: int = 1) -> None:
        self._threads = max(1, threads)
        self._engine = None

    def _load(self):
        if self._engine is None:
            det, rec = model_paths()
            from rapidocr import RapidOCR

            # Explicit model paths: rapidocr never looks for (or fetches) anything else.
            # No angle classifier: screen text is upright, and it would cost a third model.
            self._engine = RapidOCR(params={
                "Global.log_level": "error",
                "Global.use_cls": False,
                "Det.model_path": str(det),
                "Rec.model_path": str(rec),
                "EngineConfig.onnxruntime.intra_op_num_threads": self._threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            })
        return self._engine

    def read(self, image: np.ndarray, origin: tuple[int, int] = (0, 0)) -> list[TextLine]:
        """The lines of text in `image` (RGB, HxWx3), boxes shifted by `origin` (x, y)."""
        if image.ndim != 3 or image.shape[0] < _MIN_SIDE or image.shape[1] < _MIN_SIDE:
            return []
        engine = self._load()
        try:
            # rapidocr expects OpenCV's BGR order for arrays
            out = engine(np.ascontiguousarray(image[:, :, ::-1]))
        except Exception as exc:  # the engine's own errors are many and untyped
            raise OcrError(f"OCR failed on a {image.shape[1]}x{image.shape[0]} image: {exc}") from None
        if out.txts is None or out.boxes is None:
            return []
        lines = []
        ox, oy = origin
        for text, box, score in zip(out.txts, out.boxes, out.scores, strict=False):
            text = text.strip()
            if not text or score < _MIN_SCORE:
                continue
            xs, ys = box[:, 0], box[:, 1]
            x0, y0 = int(xs.min()), int(ys.min())
            lines.append(TextLine(text, Region(ox + x0, oy + y0, int(xs.max()) - x0,
                                               int(ys.max()) - y0), float(score)))
        return lines

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


def serve(conn, threads: int = 1) -> None:
    """The OCR worker process: answer each `OcrJob` read from `conn` with an `OcrResult`;
    stop on None or when the other end closes."""
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(5)  # OCR yields to what the user is doing
    engine = OcrEngine(threads)
    try:
        engine._load()
    except OcrError as exc:
        conn.send(OcrResult(-1, (), error=str(exc)))
    else:
        conn.send(OcrResult(-1, ()))  # ready
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        conn.send(engine.run(job))
