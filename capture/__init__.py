"""Screen capture: grab, change detection, active window per OS, privacy gate, OCR worker."""
