"""Window and model preferences kept in the encrypted store's settings (capture has its own)."""

from __future__ import annotations

from pathlib import Path

from app.errors import AppError
from app.services import Engram

MODEL_PATH = "model_path"  # Engram.model reads it: a GGUF file the user chose; None: the embedded default
IDLE_UNLOAD = "model.idle_unload_minutes"  # free a model's memory after this long unused; 0: never
IDLE_UNLOAD_DEFAULT = 10.0
THEME = "ui.theme"  # system | light | dark
CAPTURE_AT_START = "capture.autostart"
THEMES = ("system", "light", "dark")


def model_path(engram: Engram) -> Path | None:
    value = engram.store.setting(MODEL_PATH)
    return Path(value) if value else None


def check_model_file(path: Path) -> Path:
    """`path` made absolute if it is a readable GGUF file; AppError saying why not otherwise."""
    path = Path(path).expanduser().absolute()
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise AppError(f"cannot read the model file {path}: {exc.strerror or exc}") from None
    if magic != b"GGUF":
        raise AppError(f"{path.name} is not a GGUF model file")
    return path


def set_model_path(engram: Engram, path: Path | None) -> None:
    """Use the GGUF file at `path` from the next question on (None: the embedded default model)."""
    engram.use_model_file(check_model_file(path) if path is not None else None)


def idle_unload_minutes(engram: Engram) -> float:
    value = engram.store.setting(IDLE_UNLOAD, IDLE_UNLOAD_DEFAULT)
    return float(value) if isinstance(value, (int, float)) and value >= 0 else IDLE_UNLOAD_DEFAULT


def set_idle_unload_minutes(engram: Engram, minutes: float) -> None:
    if minutes < 0:
        raise AppError("the idle time before a model is unloaded cannot be negative")
    engram.store.set_setting(IDLE_UNLOAD, float(minutes))


def theme(engram: Engram) -> str:
    value = engram.store.setting(THEME, "system")
    return value if value in THEMES else "system"


def set_theme(engram: Engram, name: str) -> None:
    if name not in THEMES:
        raise AppError(f"unknown theme {name!r}; choose one of {', '.join(THEMES)}")
    engram.store.set_setting(THEME, name)


def capture_at_start(engram: Engram) -> bool:
    return bool(engram.store.setting(CAPTURE_AT_START, True))


def set_capture_at_start(engram: Engram, enabled: bool) -> None:
    engram.store.set_setting(CAPTURE_AT_START, bool(enabled))
