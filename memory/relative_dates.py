"""Relative dates in a note, resolved against the note's own time for the answer model.

"I went there yesterday", seen on 8 May 2023, means 7 May 2023; a small model asked "when?" copies
the note's save date or the word "yesterday" unless the date is written out beside it. So notes are
annotated before they reach a prompt: "yesterday [7 May 2023]", "last week [the week before 9 June
2023]", "two days ago [6 May 2023]"; the note's text is otherwise unchanged. English phrases, and in
a note memory.language reads as German, French or Spanish that language's common ones too
("gestern [1 December 2026]", "il y a 3 jours", "la semana pasada": memory.timewords). An answer
that still says "Yesterday" or "Last week" (the 1.5B did, for notes from months before), or
"gestern", gets the date its note meant written out instead (`written_out`), in the phrase's language.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from memory import timewords
from memory.language import language_of

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
    r"|(?:the (" + "|".join(_DAYS) + r") of (last|next) week)"
    r"|(?:" + _COUNT + r" (days?|weekends?|weeks?|months?|years?) ago))\b", re.IGNORECASE)


# English month names whatever the process locale (Qt sets LC_TIME from the desktop's, and %B follows it).
_MONTH_NAMES = ("January February March April May June July August September October November "
                "December").split()
_WRITTEN = re.compile(r"(?:the (week|weekend) (before|of|after) )?(?:(\d{1,2}) )?(" + "|".join(_MONTH_NAMES)
                      + r") (\d{4})")


_WEEKDAY_NAMES = [d.capitalize() for d in _DAYS]
YEARLESS_WITHIN = timedelta(days=92)  # a season either side: an appointment ahead, a meeting just past
_ORDINAL = r"(\d{1,2})(?:st|nd|rd|th)?"
# "Tuesday 8 December", "on the 8th of December", "December 8": a day of a month without its year
# (a year after it, "8 December 2026", is not one). Names capitalised, as written: "may" is a verb.
_YEARLESS = re.compile(r"\b(?:(" + "|".join(_WEEKDAY_NAMES) + r"),? )?(?:the )?(?:" + _ORDINAL + r" (?:of )?("
                       + "|".join(_MONTH_NAMES) + r")|(" + "|".join(_MONTH_NAMES) + r") " + _ORDINAL
                       + r")\b(?!,? \d{4}|:\d)")


def yearless(m: re.Match, when: datetime) -> str | None:
    """The date a day of a month without a year (a match of _YEARLESS) names, seen at `when`: of
    last, this and next year, the one on its weekday when it names one (a mail of 3 December 2026
    about "Tuesday 8 December" means 2026), else the one within YEARLESS_WITHIN of `when`; None
    when none is."""
    weekday, number, month, month_first, number_after = m.groups()
    month_index = _MONTH_NAMES.index(month or month_first) + 1
    dates = []
    for year in (when.year - 1, when.year, when.year + 1):
        try:
            dates.append(when.replace(year=year, month=month_index, day=int(number or number_after)))
        except ValueError:  # 31 April, 29 February of most years
            continue
    if weekday:  # the weekday tells the year: at most one of three has it
        dates = [d for d in dates if d.weekday() == _WEEKDAY_NAMES.index(weekday)]
    else:  # further away, "on 12 March" may be last March or next (the tense would say which)
        dates = [d for d in dates if abs(d - when) <= YEARLESS_WITHIN]
    return day(min(dates, key=lambda d: abs(d - when))) if dates else None


def day(d: datetime) -> str:
    """`7 May 2023`: the form people write, and that answers are scored against."""
    return f"{d.day} {_MONTH_NAMES[d.month - 1]} {d.year}"


def _month(d: datetime, delta: int) -> str:
    month = d.month - 1 + delta
    return f"{_MONTH_NAMES[month % 12]} {d.year + month // 12}"


def resolve(phrase: str, when: datetime) -> str | None:
    """The date a relative `phrase` names, seen at `when`, as words; None if it is not one."""
    match = _PHRASE.fullmatch(phrase.strip())
    return _resolved(match, when) if match else None


def _resolved(m: re.Match, when: datetime) -> str | None:
    fixed, rel, weekday, of_week, which_week, count, unit = (g.lower() if g else g for g in m.groups())
    if of_week:  # "the wednesday of last week" (Chinese "上周三"): weeks from Monday
        monday = when - timedelta(days=when.weekday(), weeks=1 if which_week == "last" else -1)
        return day(monday + timedelta(days=_DAYS.index(of_week)))
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


def _english(phrase: str, when: datetime) -> str | None:
    """What an English phrase of memory.timewords means ("yesterday evening": that day)."""
    m = _PHRASE.search(phrase)
    return _resolved(m, when) if m else None


def _said(text: str, language: str) -> list[tuple[int, int, str | re.Match]]:
    """Each relative date of `text` as (start, end, what resolves it): a match of _PHRASE, or the
    English phrase a `language` phrase means; in text order, none overlapping another."""
    spans: list[tuple[int, int, str | re.Match]] = list(timewords.phrases(text, language))
    for m in _PHRASE.finditer(text):
        if all(m.end() <= start or m.start() >= end for start, end, _ in spans):
            spans.append((m.start(), m.end(), m))
    return sorted(spans, key=lambda span: span[0])


def _meaning(said: str | re.Match, when: datetime) -> str | None:
    return _resolved(said, when) if isinstance(said, re.Match) else _english(said, when)


def written_out(answer: str, notes: list[tuple[str, datetime | None]]) -> str:
    """`answer` with each relative date it repeats from a note replaced by the date that note
    means: "Yesterday", answered from a note "I went to the park yesterday" seen on 28 August 2023,
    is "27 August 2023"; "Last week [the week before 9 June 2023]" (the annotation copied) is "The
    week before 9 June 2023". `notes` are (text, time seen); the first that says the phrase, or
    another that names the same time ("Last weekend" for "this past weekend"), counts; a phrase no
    note says is left as it is."""
    answer = _COPIED.sub(lambda m: _in_place(m, m.group("written") or m.group("date")), answer)
    # What each note's own phrases mean: it may say the answer's phrase in other words ("this past weekend").
    named, languages = [], {}
    for text, when in notes:
        if when is not None:
            language = language_of(text)
            languages[language] = None
            named.append((when, {_meaning(said, when) for *_, said in _said(text, language)}))
    # The answer's phrases in the notes' languages ("gestern", "el lunes pasado"), then English ones.
    spans: list[tuple[int, int, str | re.Match, str]] = []
    for language in [*languages, "en"]:
        for start, end, said in _said(answer, language):
            if all(end <= s or start >= e for s, e, *_ in spans):
                spans.append((start, end, said, language))
    out, last = [], 0
    for start, end, said, language in sorted(spans, key=lambda span: span[0]):
        for when, dates in named:
            resolved = _meaning(said, when)
            if resolved and resolved in dates:
                if isinstance(said, re.Match):
                    out += [answer[last:start], _in_place(said, resolved)]
                else:
                    end += len(_BRACKET.match(answer, end)[0])  # "gestern [1 December 2026]": the date once
                    out += [answer[last:start], _in_language(answer, start, end, resolved, language)]
                last = end
                break
    return "".join(out) + answer[last:]


_BRACKET = re.compile(r"(?:\s*\[[^\[\]]{3,60}\])?")


def _in_language(text: str, start: int, end: int, resolved: str, language: str) -> str:
    """The day, month or week `resolved` names ("1 December 2026", "the week before 9 June
    2023") as `language` writes it where text[start:end] said it; a year is left as the text said it."""
    m = _WRITTEN.fullmatch(resolved)
    if m is None:
        return text[start:end]
    kind, relation, day_number, month, year = m.groups()
    year, month, day_number = int(year), _MONTH_NAMES.index(month) + 1, day_number and int(day_number)
    if kind:
        written = timewords.written_week(kind, relation, year, month, day_number, language, inside=start > 0)
    else:
        written = timewords.written_date(year, month, day_number, language, inside=start > 0)
    return written or text[start:end]


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
    """`text` with each relative date, and each day of a month without its year, followed by the
    date it names, in brackets ("Tuesday 8 December [8 December 2026]")."""
    if when is None:
        return text

    spans = [(start, end, _meaning(said, when)) for start, end, said in _said(text, language_of(text))]
    for m in _YEARLESS.finditer(text):
        if all(m.end() <= start or m.start() >= end for start, end, _ in spans):
            spans.append((m.start(), m.end(), yearless(m, when)))
    out, last = [], 0
    for _start, end, resolved in sorted(spans, key=lambda span: span[0]):
        if resolved:
            out += [text[last:end], f" [{resolved}]"]
            last = end
    return "".join(out) + text[last:]
