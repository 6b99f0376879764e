"""Screen capture: grab, change detection, active window per OS, privacy gate, OCR worker, and
what was read in each window (the window stack's visible parts, lines filed by window).

Never imports Qt, `memory`, `ui` or `app`. The app builds the daemon from these parts and
starts the OCR worker process (`serve`)."""

from capture.change import Change, ChangeDetector, ChangeResult, thumbnail
from capture.errors import CaptureError, OcrError, ScreenError
from capture.layout import visible_parts
from capture.models import (
    DEFAULT_EXCLUDED_APPS,
    DEFAULT_EXCLUDED_TITLES,
    UNKNOWN_WINDOW,
    AccessCheck,
    CaptureSettings,
    Frame,
    Monitor,
    OcrJob,
    OcrResult,
    Region,
    TextLine,
    WindowInfo,
)
from capture.ocr import OcrEngine, model_paths, serve
from capture.privacy import (
    Exclusion,
    PrivacyGate,
    iban_ok,
    luhn_ok,
    redact,
    redact_lines,
    secret_boxes,
    secret_lines,
)
from capture.reading import WindowText, split_by_window
from capture.screen import (
    FakeFrameSource,
    FrameSource,
    MssFrameSource,
    screen_problem,
    screen_warning,
    wayland_only,
)
from capture.titles import app_names, normalise_title
from capture.window import access_checks, active_window, idle_seconds, release, visible_windows

__all__ = [
    "DEFAULT_EXCLUDED_APPS",
    "DEFAULT_EXCLUDED_TITLES",
    "UNKNOWN_WINDOW",
    "AccessCheck",
    "CaptureError",
    "CaptureSettings",
    "Change",
    "ChangeDetector",
    "ChangeResult",
    "Exclusion",
    "FakeFrameSource",
    "Frame",
    "FrameSource",
    "Monitor",
    "MssFrameSource",
    "OcrEngine",
    "OcrError",
    "OcrJob",
    "OcrResult",
    "PrivacyGate",
    "Region",
    "ScreenError",
    "TextLine",
    "WindowInfo",
    "WindowText",
    "access_checks",
    "active_window",
    "app_names",
    "iban_ok",
    "idle_seconds",
    "luhn_ok",
    "model_paths",
    "normalise_title",
    "redact",
    "redact_lines",
    "release",
    "screen_problem",
    "screen_warning",
    "secret_boxes",
    "secret_lines",
    "serve",
    "split_by_window",
    "thumbnail",
    "visible_parts",
    "visible_windows",
    "wayland_only",
]
