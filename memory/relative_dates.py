"""Relative dates in a note, resolved against the note's own time for the answer model.

"I went there yesterday", seen on 8 May 2023, means 7 May 2023; a small model asked "when?" copies
the note's save date or the word "yesterday" unless the date is written out beside it. So notes are
annotated before they reach a prompt: "yesterday [7 May 2023]", "last week [the week before 9 June
2023]", "two days ago [6 May 2023]". English phrases only; the note's text is otherwise unchanged.
An answer that still says "Yesterday" or "Last week" (the 1.5B did, for notes from months before)
gets the date its note meant written out instead (`written_out`).
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
    r"day after tomorrow|last night|(?:this|the) past week(?:end)?|last week|this week|next week|last weekend|"
    r"this weekend|next weekend|"
    r"last month|this month|next month|last year|this year|next year)"
    r"|(?:(last|this|next) (" + "|".join(_DAYS) + r"))"
    r"|(?:" + _COUNT + r" (days?|weekends?|weeks?|months?|years?) ago))\b", re.IGNORECASE)


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
        span = "last" if "past" in fixed.split() else fixed.partition(" ")[0]  # "this past weekend"
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
    if unit == "weekend":  # "two weekends ago": the Saturday of the weekend before last
        if n == 1:
            return f"the weekend before {day(when)}"
        back = (when.weekday() - 5) % 7
        back += 7 if back <= 1 else 0  # said on a Saturday or Sunday: the weekend before this one
        saturday = when - timedelta(days=back, weeks=n - 1)
        return f"the weekend of {day(saturday)}"
    if unit == "month":
        return _month(when, -n)
    return str(when.year - n)


# A phrase the answer copied with the date beside it: "Last week [the week before 9 June 2023]",
# "Yesterday, 22 October 2026", "yesterday (7 May 2023)": the date alone is kept.
_COPIED = re.compile(_PHRASE.pattern + r"(?:\s*\[(?P<written>[^\[\]]{3,60})\]"
                     r"|\s*[,(]\s*(?P<date>\d{1,2} [a-z]+ \d{4})\)?)", re.IGNORECASE)


def written_out(answer: str, notes: list[tuple[str, datetime | None]]) -> str:
    """`answer` with each relative date it repeats from a note replaced by the date that note
    means: "Yesterday", answered from a note "I went to the park yesterday" seen on 28 August 2023,
    is "27 August 2023"; "Last week [the week before 9 June 2023]" (the annotation copied) is "The
    week before 9 June 2023". `notes` are (text, time seen); the first that says the phrase, or
    another that names the same time ("Last weekend" for "this past weekend"), counts; a phrase no
    note says is left as it is."""
    answer = _COPIED.sub(lambda m: _in_place(m, m.group("written") or m.group("date")), answer)
    # What each note's own phrases mean: it may say the answer's phrase in other words ("this past weekend").
    named = [(when, {_resolved(said, when) for said in _PHRASE.finditer(text)})
             for text, when in notes if when is not None]

    def put(m: re.Match) -> str:
        for when, dates in named:
            resolved = _resolved(m, when)
            if resolved and resolved in dates:
                return _in_place(m, resolved)
        return m.group(0)

    return _PHRASE.sub(put, answer)


def _in_place(m: re.Match, date: str) -> str:
    """`date` written where the phrase `m` was: "on 27 August 2023" or "in July 2023" inside a
    sentence ("she went yesterday"), capitalised at its start as the phrase was."""
    if m.start() > 0:
        if re.fullmatch(r"\d{1,2} \w+ \d{4}", date):
            return f"on {date}"
        if re.fullmatch(r"(?:\w+ )?\d{4}", date):
            return f"in {date}"
        return date
    return date[:1].upper() + date[1:] if m.group(0)[:1].isupper() else date


def annotate(text: str, when: datetime | None) -> str:
    """`text` with each relative date followed by the date it names, in brackets."""
    if when is None:
        return text

    def put(m: re.Match) -> str:
        resolved = _resolved(m, when)
        return f"{m.group(0)} [{resolved}]" if resolved else m.group(0)

    return _PHRASE.sub(put, text)
