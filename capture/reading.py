"""What was read in each window: lines folded into a window's text as changed bands are read
again, the lines of it already stored, reading order, and which window a line belongs to.
Pure logic over `TextLine`s, with no threads: the daemon keeps one `WindowText` per window."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from capture.layout import owner
from capture.models import Region, TextLine

KNOWN_LINES = 5000  # per window: lines already stored, so text that comes back is not stored again


def norm(text: str) -> str:
    """A line as compared with lines already stored: spacing and case do not make it new."""
    return re.sub(r"\s+", " ", text).strip().lower()


def reading_order(lines: Sequence[TextLine]) -> list[TextLine]:
    """Top to bottom in rows of 12 px, left to right within a row."""
    return sorted(lines, key=lambda ln: (ln.box.y // 12, ln.box.x))


def cut(box: Region, band: Region, frame_height: int) -> bool:
    """Whether a line touches a band's top or bottom edge (where the band does not end at the
    frame's edge): a neighbour of the change, only partly inside the band."""
    top_cut = band.y > 0 and box.y <= band.y + 1
    bottom_cut = band.y + band.height < frame_height and box.y + box.height >= band.y + band.height - 1
    return top_cut or bottom_cut


def centred_in(box: Region, band: Region) -> bool:
    cy = box.y + box.height // 2
    return band.y <= cy < band.y + band.height and box.overlaps(band)


@dataclass
class WindowText:
    """The text last read in one window, and the lines of it already stored."""

    lines: list[TextLine] = field(default_factory=list)
    stored: OrderedDict[str, None] = field(default_factory=OrderedDict)

    def update(self, lines: Sequence[TextLine], regions: Sequence[Region], whole: bool,
               frame_height: int) -> list[TextLine]:
        """Fold `lines`, read in `regions`, into the window's text: what was there before in
        those regions is replaced. `whole`: the regions were read whole (a full read), so no
        line is a cut neighbour. Returns the lines, in reading order, never stored before."""
        if not whole:
            # A line cut by a band's edge is a neighbour of the change, read whole before.
            lines = [ln for ln in lines if not any(cut(ln.box, r, frame_height) for r in regions)]
        self.lines = [ln for ln in self.lines if not any(centred_in(ln.box, r) for r in regions)] + list(lines)
        return [ln for ln in reading_order(lines) if (n := norm(ln.text)) and n not in self.stored]

    def remember(self, lines: Sequence[TextLine]) -> None:
        """Note `lines` as stored."""
        for ln in lines:
            self.stored[norm(ln.text)] = None
        while len(self.stored) > KNOWN_LINES:
            self.stored.popitem(last=False)


def split_by_window(lines: Sequence[TextLine], parts: Sequence[Sequence[Region]]) -> tuple[
        list[TextLine], dict[int, list[TextLine]]]:
    """Lines by the window they were read in: (lines of no listed window, {index in `parts`:
    its lines}). A line belongs to the window whose visible part holds its centre."""
    rest: list[TextLine] = []
    by: dict[int, list[TextLine]] = {}
    for ln in lines:
        i = owner(ln.box, parts)
        if i is None:
            rest.append(ln)
        else:
            by.setdefault(i, []).append(ln)
    return rest, by


__all__ = ["KNOWN_LINES", "WindowText", "centred_in", "cut", "norm", "reading_order", "split_by_window"]
