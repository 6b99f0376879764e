"""Frame captions: when the user configured a vision model, the capture daemon asks it to describe
each frame it stores, and the caption joins the observation's text (so the memory managers see it).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

import numpy as np

from app.errors import AppError

log = logging.getLogger(__name__)

LONGEST_SIDE = 896  # vision projectors work on a few hundred pixels; a smaller PNG is encoded faster


def frame_captioner(engram) -> Callable[[np.ndarray], str] | None:
    """The daemon's caption hook (RGB pixels -> caption) if a vision model is configured, else None."""
    try:
        captioner = engram.captioner
    except AppError as exc:  # a bad setting must not keep capture from starting
        log.warning("frames are not captioned: %s", exc)
        return None
    if captioner is None:
        return None
    return lambda pixels: captioner.caption(png_for_caption(pixels))


def png_for_caption(pixels: np.ndarray, longest: int = LONGEST_SIDE) -> bytes:
    """The pixels as a PNG no larger than `longest` on either side."""
    from PIL import Image

    image = Image.fromarray(pixels)
    image.thumbnail((longest, longest))
    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=1)
    return buf.getvalue()
