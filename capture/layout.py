"""Where each window shows on screen: the parts of it not covered by windows above it, and
which window a line of text was read from. Pure geometry over the window stack (bottom to top,
as the window system lists it)."""

from __future__ import annotations

from collections.abc import Sequence

from capture.models import Region, WindowInfo


def outer(window: WindowInfo) -> Region | None:
    """The window's rectangle with what the window manager draws around it (title bar,
    borders), when known; else its own rectangle."""
    return window.frame or window.geometry


def subtract(rect: Region, cut: Region) -> list[Region]:
    """`rect` without `cut`: up to four rectangles (above, below, left, right of the cut)."""
    if not rect.overlaps(cut):
        return [rect] if rect.area else []
    x0, y0, x1, y1 = rect.x, rect.y, rect.x + rect.width, rect.y + rect.height
    cx0, cy0 = max(x0, cut.x), max(y0, cut.y)
    cx1, cy1 = min(x1, cut.x + cut.width), min(y1, cut.y + cut.height)
    parts = [Region(x0, y0, x1 - x0, cy0 - y0), Region(x0, cy1, x1 - x0, y1 - cy1),
             Region(x0, cy0, cx0 - x0, cy1 - cy0), Region(cx1, cy0, x1 - cx1, cy1 - cy0)]
    return [p for p in parts if p.width > 0 and p.height > 0]


def visible_parts(windows: Sequence[WindowInfo]) -> list[list[Region]]:
    """For each window of the stack (bottom to top), the rectangles of it that no window above
    covers; [] for a window whose rectangle is unknown or wholly covered."""
    rects = [outer(w) for w in windows]
    out: list[list[Region]] = []
    for i, rect in enumerate(rects):
        parts = [rect] if rect is not None and rect.area else []
        for above in rects[i + 1:]:
            if above is None or not parts:
                continue
            parts = [p for part in parts for p in subtract(part, above)]
        out.append(parts)
    return out


def contains(parts: Sequence[Region], x: float, y: float) -> bool:
    return any(p.x <= x < p.x + p.width and p.y <= y < p.y + p.height for p in parts)


def owner(box: Region, parts: Sequence[Sequence[Region]]) -> int | None:
    """The index of the window whose visible part holds the centre of `box`, or None (the
    desktop, a panel, or a window not listed)."""
    cx, cy = box.x + box.width / 2, box.y + box.height / 2
    for i in range(len(parts) - 1, -1, -1):  # top first: visible parts do not overlap anyway
        if contains(parts[i], cx, cy):
            return i
    return None


__all__ = ["contains", "outer", "owner", "subtract", "visible_parts"]
