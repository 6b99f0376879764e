"""The one exception family of `capture/`."""


class CaptureError(Exception):
    """Base of every error `capture/` raises on purpose. The message is one clear line."""


class ScreenError(CaptureError):
    """The screen could not be grabbed: no display, a monitor that is gone, a bad frame."""


class OcrError(CaptureError):
    """The OCR engine could not be loaded or could not read an image."""
