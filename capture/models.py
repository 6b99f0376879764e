"""Typed values of capture: monitors, frames, windows, regions, settings, OCR lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from capture.errors import ScreenError


@dataclass(frozen=True)
class Monitor:
    """One screen, in virtual-desktop pixel coordinates. `index` counts from 1 (mss style)."""

    index: int
    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True)
class Region:
    """A rectangle in frame pixel coordinates."""

    x: int
    y: int
    width: int
    height: int

    @property
    def area(self) -> int:
        return max(0, self.width) * max(0, self.height)

    def clip(self, width: int, height: int) -> Region:
        x0, y0 = max(0, self.x), max(0, self.y)
        x1, y1 = min(width, self.x + self.width), min(height, self.y + self.height)
        return Region(x0, y0, max(0, x1 - x0), max(0, y1 - y0))

    def overlaps(self, other: Region) -> bool:
        return (self.x < other.x + other.width and other.x < self.x + self.width
                and self.y < other.y + other.height and other.y < self.y + self.height)


@dataclass(frozen=True, eq=False)
class Frame:
    """One grab of one monitor: RGB pixels, shape (height, width, 3), uint8.

    Construct with `Frame.of(...)`, which checks the pixels: a zero-size or malformed frame is a
    ScreenError, never a frame."""

    monitor: Monitor
    time: datetime
    pixels: np.ndarray

    @classmethod
    def of(cls, monitor: Monitor, time: datetime, pixels: object) -> Frame:
        if not isinstance(pixels, np.ndarray):
            raise ScreenError(f"monitor {monitor.index}: the frame is not an image")
        if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
            raise ScreenError(f"monitor {monitor.index}: the frame has a bad shape {pixels.shape} "
                              f"or type {pixels.dtype}")
        if pixels.shape[0] == 0 or pixels.shape[1] == 0:
            raise ScreenError(f"monitor {monitor.index}: the frame is empty (zero size)")
        return cls(monitor, time, pixels)

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


@dataclass(frozen=True)
class WindowInfo:
    """The active (or one visible) window. `app` is "unknown" where the OS does not say.

    `geometry` is in virtual-desktop pixels when known; `frame` is the same window with what
    the window manager draws around it (title bar, borders), when known. `locked` means the
    screen is locked (the lock screen is the active window); `private` means a
    private/incognito browser window."""

    app: str = "unknown"
    title: str = ""
    url: str = ""
    window_id: str = ""
    pid: int | None = None
    geometry: Region | None = None
    locked: bool = False
    private: bool = False
    frame: Region | None = None

    @property
    def key(self) -> str:
        """What identifies "the same window" for the text cache: app and window id."""
        return f"{self.app}\x1f{self.window_id or self.title}"


UNKNOWN_WINDOW = WindowInfo()


@dataclass(frozen=True)
class AccessCheck:
    """One thing capture needs from the OS, as `engram doctor` reports it: `ok` True (there),
    False (missing: capture is blind or partial without it) or None (cannot tell here), and one
    plain sentence of detail."""

    name: str
    ok: bool | None
    detail: str


@dataclass(frozen=True)
class TextLine:
    """One line of OCR text and its box in frame coordinates."""

    text: str
    box: Region
    score: float = 1.0


# Password managers, banking, lock screens: never captured unless the user removes them.
DEFAULT_EXCLUDED_APPS: tuple[str, ...] = (
    "keepass", "keepassx", "keepassxc", "1password", "bitwarden", "lastpass", "dashlane",
    "enpass", "nordpass", "roboform", "keeper", "proton pass", "seahorse", "gnome-keyring",
    "kwalletmanager", "kwalletmanager5", "keychain access", "passwords", "pinentry",
    "gcr-prompter", "polkit-gnome-authentication-agent-1", "ksshaskpass", "ssh-askpass",
)
# Whole words where words can say it, so that Settings shows them as words; a bank's sign-in page
# ("Sparkasse — Log in") is the one pattern that needs a regular expression.
DEFAULT_EXCLUDED_TITLES: tuple[str, ...] = (
    r"\bonline banking\b", r"\bonlinebanking\b", r"\binternet banking\b", r"\binternetbanking\b",
    r"\bmobile banking\b", r"\bmobilebanking\b", r"\bnet banking\b", r"\bnetbanking\b", r"\bpaypal\b",
    r"\bpassword manager\b", r"\bpassword vault\b", r"\bpassphrase manager\b", r"\bpassphrase vault\b",
    r"\bkeepass\b", r"\bkeepassx\b", r"\bkeepassxc\b", r"\b1password\b", r"\bbitwarden\b", r"\blastpass\b",
    r"\bprivate browsing\b", r"\bincognito\b", r"\bInPrivate\b",
    r"\bbank(ing)?\b.*\b(log ?in|sign ?in|account)\b",
)


@dataclass(frozen=True)
class CaptureSettings:
    """What the user chose for capture (stored in the `capture` setting)."""

    interval: float = 3.0  # seconds between grabs
    monitors: tuple[int, ...] = ()  # mss indexes from 1; empty = every monitor
    excluded_apps: tuple[str, ...] = DEFAULT_EXCLUDED_APPS
    excluded_titles: tuple[str, ...] = DEFAULT_EXCLUDED_TITLES  # regexes, case-insensitive
    keep_frames: bool = True
    retention_days: float = 30.0
    retention_gb: float = 5.0
    idle_seconds: float = 300.0  # pause after this long without input; 0 = never
    queue_size: int = 8
    ocr_threads: int = 1

    def __post_init__(self) -> None:
        if not self.interval > 0:
            raise ValueError("the capture interval must be more than 0 seconds")
        if self.queue_size < 1:
            raise ValueError("the queue size must be at least 1")
        if self.retention_days < 0 or self.retention_gb < 0:
            raise ValueError("retention limits cannot be negative")

    def to_dict(self) -> dict[str, object]:
        return {
            "interval": self.interval, "monitors": list(self.monitors),
            "excluded_apps": list(self.excluded_apps), "excluded_titles": list(self.excluded_titles),
            "keep_frames": self.keep_frames, "retention_days": self.retention_days,
            "retention_gb": self.retention_gb, "idle_seconds": self.idle_seconds,
            "queue_size": self.queue_size, "ocr_threads": self.ocr_threads,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> CaptureSettings:
        """Settings from stored JSON; unknown keys are ignored, missing ones take defaults."""
        base = cls()
        known = base.to_dict()
        values: dict[str, object] = {}
        for name, default in known.items():
            if name not in data:
                continue
            value = data[name]
            if isinstance(default, list):
                if not isinstance(value, (list, tuple)):
                    raise ValueError(f"capture setting {name} must be a list")
                value = tuple(value)
            elif isinstance(default, bool):
                value = bool(value)
            elif isinstance(default, int):
                value = int(value)
            elif isinstance(default, float):
                value = float(value)
            values[name] = value
        return cls(**values)


@dataclass(frozen=True)
class OcrJob:
    """Images to read, sent to the OCR worker. `crops` are RGB arrays cut from one frame at
    `regions` (the same order)."""

    seq: int
    regions: tuple[Region, ...]
    crops: tuple[np.ndarray, ...] = field(repr=False, default=())


@dataclass(frozen=True)
class OcrResult:
    """What the worker read: lines in frame coordinates, and what it cost."""

    seq: int
    lines: tuple[TextLine, ...]
    cpu_ms: float = 0.0
    wall_ms: float = 0.0
    error: str = ""
