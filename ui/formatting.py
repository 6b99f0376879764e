"""How times, durations and sizes read in the window (local time, short and plain)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime


def clock(dt: datetime | None) -> str:
    return dt.astimezone().strftime("%H:%M") if dt is not None else ""


def duration(minutes: float) -> str:
    if minutes < 1:
        return "under a minute"
    whole = round(minutes)
    if whole < 60:
        return f"{whole} min"
    hours, rest = divmod(whole, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def day_title(day: date, today: date | None = None) -> str:
    today = today or date.today()
    name = f"{day:%A}, {day.day} {day:%B %Y}"
    if day == today:
        return f"Today — {name}"
    if (today - day).days == 1:
        return f"Yesterday — {name}"
    return name


def moment(dt: datetime | None, today: date | None = None) -> str:
    """'10:42' today, 'Yesterday 10:42', else '4 Mar 2025, 10:42'."""
    if dt is None:
        return ""
    local = dt.astimezone()
    today = today or date.today()
    if local.date() == today:
        return f"Today {local:%H:%M}"
    if (today - local.date()).days == 1:
        return f"Yesterday {local:%H:%M}"
    return f"{local.day} {local:%b %Y, %H:%M}"


def size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def counted(n: int, word: str, plural: str | None = None) -> str:
    """'1 observation', '2 observations' (`plural` for words that do not just take an s)."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


_BREAK_EVERY = 24
ZWSP = "\u200b"


def breakable(text: str, every: int = _BREAK_EVERY) -> str:
    """`text` with a zero-width break opportunity every `every` characters of an unbroken run (a
    URL, a hash, a token), so that a word-wrapping label wraps it instead of growing wider than
    its view. Runs shorter than `every` are left alone."""
    out = []
    for part in re.split(r"(\s+)", text):
        if len(part) > every and not part.isspace():
            part = ZWSP.join(part[i:i + every] for i in range(0, len(part), every))
        out.append(part)
    return "".join(out)


def right_to_left(text: str | None) -> bool:
    """Whether `text` reads right to left: its first letter of a strong direction is Arabic,
    Hebrew or another right-to-left script (the rule of the Unicode bidi algorithm, P2)."""
    for ch in text or "":
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False
