"""Capture as a running service: the daemon and what other processes know of it.

One module per concern: `settings` (the stored capture settings), `pause` (pausing across
processes), `owners` (whose windows are never read), `health` (states, figures and the encrypted
heartbeat), `status` (what `engram status` says), `pruning` (frame retention), `ocr_worker` (the
OCR process) and `core` (the capture, index and heartbeat threads). The image and text logic
they run lives in `capture` (change detection, reading, layout, privacy), testable without
threads."""

from app.daemon.core import CaptureDaemon
from app.daemon.health import BEAT_FILE, HEALTH_KEY, CaptureHealth, CaptureState, CaptureStats, Reason
from app.daemon.owners import WINDOW_PROCESS_KEY, forget_window_process, own_processes, record_window_process
from app.daemon.pause import PAUSE_KEY, pause_capture, resume_capture
from app.daemon.pruning import prune_frames
from app.daemon.settings import SETTINGS_KEY, load_capture_settings, save_capture_settings
from app.daemon.status import capture_status_lines
from capture import CaptureSettings

__all__ = [
    "BEAT_FILE", "HEALTH_KEY", "PAUSE_KEY", "SETTINGS_KEY", "WINDOW_PROCESS_KEY", "CaptureDaemon", "CaptureHealth",
    "CaptureSettings", "CaptureState", "CaptureStats", "Reason", "capture_status_lines", "forget_window_process",
    "load_capture_settings", "own_processes", "pause_capture", "prune_frames", "record_window_process",
    "resume_capture", "save_capture_settings",
]
