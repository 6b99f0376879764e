"""A synthetic working day on a 1920x1080 screen, frame by frame, for the frame-store bench.

Three windows (an editor, a browser page, a terminal) in a light or a dark theme: a line is
typed into the active window every other tick (the capture bench's pace: a line every 4 s at a
2 s interval), a window full of text scrolls, focus moves to another window every 40 ticks and
a new page opens in the browser every 150, and the panel clock changes every 20 ticks. Drawing is
deterministic for a seed, so two runs (or two stores) see the same pixels."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

W, H = 1920, 1080
WORDS = ("the project budget review meeting notes draft summary customer invoice report design "
         "release server database backup schedule weekly update team quarterly roadmap feature "
         "request deadline travel expense approval contract research paper reading list kitchen "
         "garden recipe flight hotel museum concert library migration benchmark latency memory "
         "profile encryption keyboard window monitor screen capture search timeline archive "
         "question answer").split()
THEMES = {  # desktop, window, title bar, text, panel
    "light": ((58, 110, 165), (255, 255, 255), (225, 225, 228), (20, 20, 20), (40, 40, 44)),
    "dark": ((20, 24, 32), (30, 31, 36), (50, 52, 60), (215, 218, 224), (12, 12, 14)),
}
LINE = 22  # pixels per text line


def font(size: int = 16) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "C:/Windows/Fonts/segoeui.ttf",
                 "/System/Library/Fonts/Helvetica.ttc"):
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


@dataclass
class _Window:
    title: str
    box: tuple[int, int, int, int]  # x, y, w, h
    lines: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return (self.box[3] - 40) // LINE


class Day:
    """`frames(n)` yields (pixels, lines shown) for n ticks; pixels are (1080, 1920, 3) uint8."""

    def __init__(self, theme: str = "light", seed: int = 1) -> None:
        self.colors = THEMES[theme]
        self.rng = random.Random(seed)
        self.font = font(16)
        self.small = font(14)
        self.windows = [
            _Window("notes.txt - Text Editor", (40, 60, 1100, 820)),
            _Window("Release notes - Mozilla Firefox", (700, 140, 1150, 900)),
            _Window("bash - ~/src", (300, 520, 900, 500)),
        ]
        for w in self.windows:
            w.lines = [self.sentence() for _ in range(w.rows // 2 + self.rng.randint(0, 6))]
        self.order = [0, 1, 2]  # drawing order, the last on top
        self.image = Image.new("RGB", (W, H), self.colors[0])
        self.draw = ImageDraw.Draw(self.image)
        self.clock = 9 * 60

    def sentence(self) -> str:
        words = [self.rng.choice(WORDS) for _ in range(self.rng.randint(5, 9))]
        return " ".join(words).capitalize() + f" {self.rng.randint(10, 999)}."

    def frames(self, n: int) -> Iterator[tuple[np.ndarray, list[str]]]:
        self._paint_all()
        for tick in range(n):
            if tick and tick % 150 == 0:  # a new page in the browser, brought to the front
                browser = self.windows[1]
                browser.lines = [self.sentence() for _ in range(browser.rows - 2)]
                self.order = [i for i in self.order if i != 1] + [1]
                self._paint_all()
            elif tick and tick % 40 == 0:  # focus moves to the window at the back
                self.order = self.order[1:] + self.order[:1]
                self._paint_all()
            if tick % 2 == 1:
                self._type_line(self.windows[self.order[-1]])
            if tick % 20 == 0:
                self.clock += 1
                self._paint_panel()
            yield np.asarray(self.image).copy(), self.visible_lines()

    def visible_lines(self) -> list[str]:
        """The lines of the window on top (the others are partly covered)."""
        top = self.windows[self.order[-1]]
        return top.lines[-top.rows:]

    # -- drawing -------------------------------------------------------------------------------
    def _paint_all(self) -> None:
        self.draw.rectangle((0, 0, W, H), fill=self.colors[0])
        self._paint_panel()
        for i in self.order:
            self._paint_window(self.windows[i])

    def _paint_panel(self) -> None:
        self.draw.rectangle((0, 0, W, 28), fill=self.colors[4])
        self.draw.text((12, 5), "Activities    Files    Browser    Terminal", font=self.small,
                       fill=(230, 230, 230))
        self.draw.text((W - 90, 5), f"{self.clock // 60:02d}:{self.clock % 60:02d}", font=self.small,
                       fill=(230, 230, 230))

    def _paint_window(self, w: _Window) -> None:
        x, y, ww, wh = w.box
        self.draw.rectangle((x - 1, y - 1, x + ww, y + wh), fill=self.colors[2])
        self.draw.text((x + 12, y + 6), w.title, font=self.small, fill=self.colors[3])
        self.draw.rectangle((x, y + 30, x + ww - 1, y + wh - 1), fill=self.colors[1])
        for row, text in enumerate(w.lines[-w.rows:]):
            self.draw.text((x + 12, y + 36 + row * LINE), text, font=self.font, fill=self.colors[3])

    def _type_line(self, w: _Window) -> None:
        w.lines.append(self.sentence())
        if len(w.lines) > w.rows:  # scroll: the window's text moves up a line
            self._paint_window(w)
            self._repaint_above(w)
            return
        x, y, _, _ = w.box
        row = len(w.lines) - 1
        self.draw.text((x + 12, y + 36 + row * LINE), w.lines[-1], font=self.font, fill=self.colors[3])
        self._repaint_above(w)

    def _repaint_above(self, w: _Window) -> None:
        above = self.order[self.order.index(self.windows.index(w)) + 1:]
        for i in above:
            self._paint_window(self.windows[i])
