"""Relative dates in a note, resolved against the note's own time for the answer model.

"I went there yesterday", seen on 8 May 2023, means 7 May 2023; a small model asked "when?" copies
the note's save date or the word "yesterday" unless the date is written out beside it. So notes are
annotated before they reach a prompt: "yesterday [7 May 2023]", "last week [the week before 9 June
2023]", "two days ago [6 May 2023]". English phrases only; the note's text is otherwise unchanged.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

_WORDS = "one two three four five six seven eight nine ten eleven twelve".split()
_NUMBERS = {w: n for n, w in enumerate(_WORDS, start=1)} | {"a": 1, "an": 1, "a couple of": 2, "a few": 3}
_DAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_COUNT = r"(\d{1,3}|a couple of|a few|an?|" + "|".join(_WORDS) + ")"
_PHRASE = re.compile(
    r"\b(?:(day before yesterday|yesterday|today|tonight|this (?:morning|afternoon|evening)|tomorrow|"
    r"day after tomorrow|last night|last week|this week|next week|last weekend|this weekend|next weekend|"
    r"last month|this month|next month|last year|this year|next year)"
    r"|(?:(last|this|next) (" + "|".join(_DAYS) + r"))"
    r"|(?:" + _COUNT + r" (days?|weeks?|months?|years?) ago))\b", re.IGNORECASE)


def day(d: datetime) -> str:
    """`7 May 2023`: the form people write, and that answers are scored against."""
    return f"{d.day} {d:%B %Y}"


def _month(d: datetime, delta: int) -> str:
    month = d.month - 1 + delta
    return f"{datetime(d.year + month // 12, month % 12 + 1, 1):%B %Y}"


def resolve(phrase: str, when: datetime) -> str | None:
    """The date a relative `phrase` names, seen at `when`, as words; None if it is not one."""
    match = _PHRASE.fullmatch(phrase.strip())
    return _resolved(match, when) if match else None


def _resolved(m: re.Match, when: datetime) -> str | None:
    fixed, rel, weekday, count, unit = (g.lower() if g else g for g in m.groups())
    if fixed:
        days = {"day before yesterday": -2, "yesterday": -1, "last night": -1, "today": 0, "tonight": 0,
                "this morning": 0, "this afternoon": 0, "this evening": 0, "tomorrow": 1,
                "day after tomorrow": 2}
        if fixed in days:
            return day(when + timedelta(days=days[fixed]))
        span, _, _ = fixed.partition(" ")
        which = fixed.split()[-1]
        if which in ("week", "weekend"):
            return {"last": f"the {which} before {day(when)}", "this": f"the {which} of {day(when)}",
                    "next": f"the {which} after {day(when)}"}[span]
        if which == "month":
            return _month(when, {"last": -1, "this": 0, "next": 1}[span])
        return str(when.year + {"last": -1, "this": 0, "next": 1}[span])
    if weekday:
        target = _DAYS.index(weekday)
        if rel == "next":
            return day(when + timedelta(days=(target - when.weekday()) % 7 or 7))
        if rel == "this":
            return day(when + timedelta(days=target - when.weekday()))
        back = (when.weekday() - target) % 7 or 7  # "last Friday": the one before ("on Friday" may be either)
        return day(when - timedelta(days=back))
    n = int(count) if count.isdigit() else _NUMBERS.get(count, 1)
    unit = unit.rstrip("s")
    if unit == "day":
        return day(when - timedelta(days=n))
    if unit == "week":
        return f"the week of {day(when - timedelta(weeks=n))}"
    if unit == "month":
        return _month(when, -n)
    return str(when.year - n)


def annotate(text: str, when: datetime | None) -> str:
    """`text` with each relative date followed by the date it names, in brackets."""
    if when is None:
        return text

    def put(m: re.Match) -> str:
        resolved = _resolved(m, when)
        return f"{m.group(0)} [{resolved}]" if resolved else m.group(0)

    return _PHRASE.sub(put, text)
