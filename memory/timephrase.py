"""Time phrases in a question, read as spans of local time.

A small grammar over the question's words, not substring tests: "the day before yesterday" is not
"yesterday", "3 days ago" is one day, "last Monday" is a day, "last weekend" a Saturday and its
Sunday, "in March" a month, "between 2 and 5 March 2026" a span, "since Monday" runs to the end of
today, "an hour ago" is the hour around that moment. Day boundaries are local midnights in the
user's time zone, built with its rules (zoneinfo) for each day, so a span that crosses a
daylight-saving change has 23 or 25 hours (and "an hour ago" is counted in real time).

A phrase is *certain* when it names calendar days relative to now or by full date ("yesterday",
"last week", "on 8 March 2026"): search puts what is inside it first. A phrase is *uncertain*
when it is approximate ("a few days ago", "3 weeks ago") or leaves out the year or month ("in
March", "on 8 March", "on the 5th"): its span is only one more ranking. Neither drops anything
(memory.retrieval): the thing asked about may be mentioned or seen outside it. An impossible date
("march 0000", "31 February") gives no span; parsing never raises.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from memory import timewords
from memory.language import language_of

__all__ = ["TimeSpan", "asks_when", "local_zone", "parse", "states_time"]

_MONTHS = {name: n for n, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
    ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
    ("october", "oct"), ("november", "nov"), ("december", "dec")), 1) for name in names}
_WEEKDAYS = {name: n for n, names in enumerate((
    ("monday",), ("tuesday",), ("wednesday",), ("thursday",), ("friday",), ("saturday",), ("sunday",)))
    for name in names}
_NUMBERS = {w: n for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())} | {"a": 1, "an": 1}
_PARTS = {"morning": (5, 12), "afternoon": (12, 18), "evening": (18, 24), "night": (18, 30)}

_MONTH = r"(?P<{0}>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?P<wd>" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")"
_DAYNUM = r"(?P<{0}>[0-9]{{1,2}})(?:st|nd|rd|th)?"
_YEAR = r"(?P<{0}>[0-9]{{1,4}})"
_AMOUNT = r"(?P<n>[0-9]{1,4}|" + "|".join(_NUMBERS) + r"|a few|a couple of|a couple|few|several)"
_UNIT = r"(?P<unit>day|week|month|year)s?"


def _date(tag: str) -> str:
    """A calendar date: 2026-03-08, 8 March [2026], 8th of March, March 8[th][,] [2026]."""
    d, m, y = f"{tag}d", f"{tag}m", f"{tag}y"
    return (rf"(?:(?P<{tag}iso>[0-9]{{4}})-(?P<{tag}isom>[0-9]{{1,2}})-(?P<{tag}isod>[0-9]{{1,2}})"
            rf"|{_DAYNUM.format(d)}(?: of)? {_MONTH.format(m)}(?:,? {_YEAR.format(y)})?"
            rf"|{_MONTH.format(m + '2')} {_DAYNUM.format(d + '2')}(?:,? {_YEAR.format(y + '2')})?)")


def _month(tag: str) -> str:
    return rf"{_MONTH.format(tag + 'm')}(?:,? {_YEAR.format(tag + 'y')})?"


@dataclass(frozen=True)
class TimeSpan:
    """A half-open span [since, until) of UTC datetimes named by `phrase`."""

    since: datetime
    until: datetime
    certain: bool
    phrase: str


def local_zone(fallback: tzinfo | None = None) -> tzinfo:
    """The user's time zone with its rules: $TZ, else /etc/localtime's zone, else `fallback`
    (a fixed offset knows no daylight-saving changes), else UTC."""
    names = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            names.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                continue
    return fallback or UTC


def parse(query: str, now: datetime, zone: tzinfo | None = None) -> TimeSpan | None:
    """The first time phrase of `query` as a span, or None. `now` must be aware; `zone` is the
    user's time zone (default: now's own zone if it has rules, else local_zone())."""
    if now.tzinfo is None:
        return None
    if zone is None:
        zone = now.tzinfo if isinstance(now.tzinfo, ZoneInfo) else local_zone(now.tzinfo)
    text = " ".join(re.findall(r"[0-9]+(?:-[0-9]+)*(?:st|nd|rd|th)?|[^\W\d_]+", query.lower()))
    text = timewords.in_english(text, language_of(query))  # "gestern" -> "yesterday" (memory.timewords)
    try:
        today = now.astimezone(zone).date()
    except (OverflowError, ValueError):
        return None
    best: tuple[int, TimeSpan] | None = None
    impossible: list[range] = []  # "31 February 2026" is no date, and "February 2026" inside it is not one either
    for pattern, rule in _RULES:
        for match in pattern.finditer(text):
            if any(match.start() in r or match.end() - 1 in r for r in impossible):
                continue
            try:
                span = rule(match.groupdict(), today, zone, now)
            except (ValueError, OverflowError, KeyError):
                impossible.append(range(match.start(), match.end()))
                span = None
            if span is not None and (best is None or match.start() < best[0]):
                # In UTC: aware datetimes that share a zone compare and subtract as wall times.
                since, until, certain, *phrase = span  # a rule may say how much of its match is the phrase
                best = (match.start(), TimeSpan(since.astimezone(UTC), until.astimezone(UTC), certain,
                                                phrase[0] if phrase else match.group(0)))
            if span is not None:
                break
    return best[1] if best is not None else None


# -- questions about a time, and texts that give one -------------------------------------------------
_ASKING = re.compile(
    r"\b(?:when|what (?:time|date|day|week|month|year)|which (?:day|date|week|weekend|month|year)"
    r"|how long|how many (?:days|weeks|months|years)|how (?:old|recently)|"
    + "|".join(timewords.ASKING.values()) + r")\b", re.IGNORECASE)
# Words, numbers, clock times (14:35, 3pm) and written dates (2026-03-08, 8/3) of a text.
_TOKEN = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{1,2}/[0-9]{1,2}(?:/[0-9]{2,4})?"
                    r"|[0-9]{1,2}:[0-5][0-9]|[0-9]+(?:st|nd|rd|th|am|pm)?|[^\W\d_]+")
_UNITS = frozenset({*(u + s for u in ("second", "minute", "hour", "day", "week", "weekend", "month", "year")
                      for s in ("", "s")), *timewords.names("unit"), "semaine", "année", "wochenende"})
_DAY_WORDS = frozenset({"yesterday", "today", "tonight", "tomorrow", "noon", "midnight", *_WEEKDAYS,
                        *(d + "s" for d in _WEEKDAYS), *timewords.names("weekday"), *timewords.RELATIVE_DAYS})
_MONTH_NAMES = frozenset({*(m for m in _MONTHS if len(m) > 3 or m == "may"), *timewords.names("month")})
_COUNTS = frozenset({*_NUMBERS, *timewords.names("number"), "few", "couple", "several"})
_BESIDE_UNIT = frozenset({"this", "last", "next", "past", "coming", "previous", *timewords.BESIDE_UNIT})
_DAY_PARTS = frozenset({"morning", "afternoon", "evening", "night", *_WEEKDAYS})
_AFTER_COUNT = frozenset({"ago", "later", "earlier", "before", "after"})
_BEFORE_COUNT = frozenset({"in", "for", "over", "within", "a", *timewords.BEFORE_COUNT})  # "a": French "il y a"
_BEFORE_YEAR = frozenset("in since of during by im seit en depuis desde".split())
_TRIGGERS = _DAY_WORDS | _UNITS | _BESIDE_UNIT | _MONTH_NAMES


def asks_when(question: str) -> bool:
    """Whether `question` asks for a time: when, how long, which day or year ("When did Jon lose
    his job?", "How long ago was Caroline's 18th birthday?", "Wann ist die Budgetbesprechung?")."""
    return _ASKING.search(question) is not None


def states_time(text: str) -> bool:
    """Whether `text` says when something is or was: a weekday, a relative day or week
    ("yesterday", "last week", "two days ago", "in 3 weeks", "for 4 years"), a day of a month
    ("8 May", "March 3"), a year ("in 2019"), a clock time ("3 pm", "14:35"), a written date; in
    English, and the common words of German, French and Spanish ("gestern", "il y a 3 jours",
    "hace 2 semanas", "um 15 Uhr"). A bare "may" or "march" is a word, not a month. One pass over
    the text's words (tens of microseconds for a page: search asks it of every candidate of a
    question that asks when)."""
    words = _TOKEN.findall(text.lower())
    return any((word in _TRIGGERS or word[0].isdigit()) and _says_when(words, n) for n, word in enumerate(words))


def _says_when(words: list[str], n: int) -> bool:
    """Whether the word at `n` begins or ends a time expression."""
    word, before = words[n], words[n - 1] if n else ""
    after = words[n + 1] if n + 1 < len(words) else ""
    if word in _DAY_WORDS:
        return True
    if word in _UNITS:  # "two days ago", "last week", "la semaine dernière", "for 4 years", "vor 3 Tagen"
        return (after in _AFTER_COUNT or before in _BESIDE_UNIT or after in _BESIDE_UNIT
                or _count(before) and n > 1 and words[n - 2] in _BEFORE_COUNT)
    if word in _BESIDE_UNIT:  # "this morning", "last Friday"
        return after in _DAY_PARTS
    if word in _MONTH_NAMES:  # "8 May", "8th of May", "8 de mayo", "May 8", "May 2023"
        return _day_number(after) or _day_number(words[n - 2] if before in ("of", "de") and n > 1 else before)
    if word[0].isdigit():
        if word.endswith(("am", "pm")) or any(c in word for c in "-/:"):
            return True  # "3pm", "14:35", "2026-03-08", "8/3"
        return (len(word) == 4 and word[:2] in ("19", "20") and before in _BEFORE_YEAR  # "in 2019"
                or len(word) <= 2 and (after in ("am", "pm", "uhr", "h") or words[n - 2:n] == ["a", "las"]))
    return False


def _count(word: str) -> bool:
    return word.isdigit() or word in _COUNTS


def _day_number(word: str) -> bool:
    digits = word.removesuffix("st").removesuffix("nd").removesuffix("rd").removesuffix("th")
    return digits.isdigit() and (0 < int(digits) <= 31 or len(digits) == 4)


# -- building spans --------------------------------------------------------------------------------
def _midnight(day: date, zone: tzinfo) -> datetime:
    """Local midnight of `day` in `zone` (zoneinfo picks that day's offset)."""
    return datetime.combine(day, time(0), tzinfo=zone)


def _days(first: date, last: date, zone: tzinfo, certain: bool) -> tuple[datetime, datetime, bool]:
    since, until = _midnight(first, zone), _midnight(last + timedelta(days=1), zone)
    since.astimezone(UTC), until.astimezone(UTC)  # OverflowError at the ends of the calendar
    return since, until, certain


def _month_start(year: int, month: int) -> date:
    return date(year, month, 1)


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def _year(raw: str | None) -> int | None:
    if raw is None:
        return None
    year = int(raw)
    if len(raw) <= 2:  # '23 -> 2023
        year += 2000
    if not 1 <= year <= 9999:
        raise ValueError("year out of range")
    return year


def _latest_month(month: int, today: date) -> int:
    """The year of the latest `month` that has begun by `today`."""
    return today.year if month <= today.month else today.year - 1


def _calendar_date(g: dict, tag: str, today: date) -> tuple[date, bool] | None:
    """A date of the grammar's _date(tag), and whether its year was given."""
    if g.get(f"{tag}iso"):
        return date(int(g[f"{tag}iso"]), int(g[f"{tag}isom"]), int(g[f"{tag}isod"])), True
    for suffix in ("", "2"):
        if g.get(f"{tag}m{suffix}"):
            month = _MONTHS[g[f"{tag}m{suffix}"]]
            day = int(g[f"{tag}d{suffix}"])
            year = _year(g.get(f"{tag}y{suffix}"))
            if year is not None:
                return date(year, month, day), True
            guess = date(today.year, month, day) if (month, day) <= (today.month, today.day) \
                else date(today.year - 1, month, day)
            return guess, False
    return None


def _amount(raw: str) -> tuple[int, bool]:
    """A count and whether it is exact ("3", "three") or approximate ("a few", "several")."""
    if raw in _NUMBERS:
        return _NUMBERS[raw], raw not in ("a", "an")
    if raw.isdigit():
        return int(raw), True
    return 3, False


# -- the rules, most specific first ----------------------------------------------------------------
def _between(g, today, zone, now):
    first, last = _calendar_date(g, "a", today), _calendar_date(g, "b", today)
    if first is None or last is None:
        return None
    (start, known_a), (end, known_b) = first, last
    if start > end:
        start, end = end, start
    return _days(start, end, zone, known_a and known_b)


def _between_days_of_month(g, today, zone, now):
    """between 2 and 5 March [2026]"""
    month = _MONTHS[g["m"]]
    year = _year(g.get("y")) or _latest_month(month, today)
    first, last = sorted((int(g["d1"]), int(g["d2"])))
    return _days(date(year, month, first), date(year, month, last), zone, g.get("y") is not None)


def _between_months(g, today, zone, now):
    a, b = _MONTHS[g["am"]], _MONTHS[g["bm"]]
    year_b = _year(g.get("by")) or _latest_month(b, today)
    year_a = _year(g.get("ay")) or (year_b if a <= b else year_b - 1)
    return _days(_month_start(year_a, a), _month_end(year_b, b), zone, bool(g.get("by")))


def _day_before_yesterday(g, today, zone, now):
    day = today - timedelta(days=2)
    return _days(day, day, zone, True)


def _day_part(g, today, zone, now):
    """this morning, yesterday evening, tonight, last night"""
    day = today - timedelta(days=1) if g.get("which") in ("yesterday", "last") else today
    start, end = _PARTS["night" if g["part"] == "tonight" else g["part"]]
    midnight = datetime.combine(day, time(0))
    since = (midnight + timedelta(hours=start)).replace(tzinfo=zone)
    until = (midnight + timedelta(hours=end)).replace(tzinfo=zone)
    since.astimezone(UTC), until.astimezone(UTC)
    return since, until, True


def _relative_day(g, today, zone, now):
    back = {"today": 0, "yesterday": 1}[g["word"]]
    return _days(today - timedelta(days=back), today - timedelta(days=back), zone, True)


def _ago(g, today, zone, now):
    n, exact = _amount(g["n"])
    unit = g["unit"]
    if unit == "day":
        day = today - timedelta(days=n)
        if exact:
            return _days(day, day, zone, True)
        return _days(today - timedelta(days=n + 2), today - timedelta(days=1), zone, False)
    if unit == "week":
        middle = today - timedelta(weeks=n)
        return _days(middle - timedelta(days=4), middle + timedelta(days=3), zone, False)
    if unit == "month":
        return _month_back(today, n, zone, False)
    return _days(date(today.year - n, 1, 1), date(today.year - n, 12, 31), zone, False)


def _month_back(today, n, zone, exact):
    """The whole calendar month `n` months before today's."""
    year, month = divmod(today.year * 12 + today.month - 1 - n, 12)
    return _days(_month_start(year, month + 1), _month_end(year, month + 1), zone, exact)


def _this_last(g, today, zone, now):
    """this/last/past week, month, year; the past N days/weeks"""
    which, unit = g["which"], g["unit"]
    if g.get("n"):
        n, exact = _amount(g["n"])
        length = {"day": 1, "week": 7, "month": 30, "year": 365}[unit] * n
        return _days(today - timedelta(days=length), today, zone, exact and unit in ("day", "week"))
    if which == "past":
        length = {"day": 1, "week": 7, "month": 30, "year": 365}[unit]
        return _days(today - timedelta(days=length), today, zone, True)
    shift = 1 if which in ("last", "previous") else 0
    if unit == "day":
        return _days(today - timedelta(days=shift), today - timedelta(days=shift), zone, True)
    if unit == "week":
        monday = today - timedelta(days=today.weekday() + 7 * shift)
        return _days(monday, monday + timedelta(days=6), zone, True)
    if unit == "month":
        return _month_back(today, shift, zone, True)
    return _days(date(today.year - shift, 1, 1), date(today.year - shift, 12, 31), zone, True)


def _weekday(g, today, zone, now):
    """last Monday, on Monday, this Monday, Monday (the latest one before today)"""
    n = _WEEKDAYS[g["wd"]]
    if g.get("which") == "this":
        day = today - timedelta(days=today.weekday()) + timedelta(days=n)
    else:
        day = today - timedelta(days=(today.weekday() - n) % 7 or 7)
    return _days(day, day, zone, True)


def _on_date(g, today, zone, now):
    found = _calendar_date(g, "a", today)
    if found is None:
        return None
    day, known = found
    return _days(day, day, zone, known)


def _since(g, today, zone, now):
    """since Monday, since yesterday, since last week, since 3 March: from the start of what it
    names to the end of today"""
    rest = g["rest"]
    if rest.startswith("since "):
        return None  # one level: "since since ..." is no phrase
    inner = parse(rest, now, zone)
    if inner is None or not rest.startswith(inner.phrase) or inner.since > now:
        return None
    return inner.since, _midnight(today + timedelta(days=1), zone), inner.certain, f"since {inner.phrase}"


def _weekend(g, today, zone, now):
    """last weekend, this (past) weekend, over the weekend: a Saturday and its Sunday. "The
    weekend" is the latest one that has begun; "last weekend", asked during one, the one before."""
    saturday = today - timedelta(days=(today.weekday() - 5) % 7)
    if g.get("which") in ("last", "past", "previous", "this past") and today <= saturday + timedelta(days=1):
        saturday -= timedelta(weeks=1)
    return _days(saturday, saturday + timedelta(days=1), zone, True)


def _week_before_last(g, today, zone, now):
    monday = today - timedelta(days=today.weekday() + 14)
    return _days(monday, monday + timedelta(days=6), zone, True)


def _clock_ago(g, today, zone, now):
    """an hour ago, 30 minutes ago: as long again around that moment (approximate)"""
    n, _ = _amount(g["n"])
    size = timedelta(hours=n) if g["unit"] == "hour" else timedelta(minutes=n)
    if not size:
        return None
    moment = now.astimezone(UTC) - size  # in UTC: an aware local time adds and subtracts as wall time
    return moment - size / 2, moment + size / 2, False


def _day_of_month(g, today, zone, now):
    """on the 5th: that day of the latest month that has had it (the month is left out: approximate)"""
    day = int(g["d"])
    if not 1 <= day <= 31:
        return None
    year, month = today.year, today.month
    for _ in range(12):
        if day <= _month_end(year, month).day and date(year, month, day) <= today:
            return _days(date(year, month, day), date(year, month, day), zone, False)
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return None


def _in_month(g, today, zone, now):
    month = _MONTHS[g["am"]]
    year = _year(g.get("ay"))
    if g.get("which") is None and year is None:
        return None  # a bare "may" or "march" is more often a word than a month
    if g.get("which") == "last" and year is None:
        year = today.year if month < today.month else today.year - 1
        return _days(_month_start(year, month), _month_end(year, month), zone, True)
    known = year is not None
    year = year if known else _latest_month(month, today)
    return _days(_month_start(year, month), _month_end(year, month), zone, known)


def _in_year(g, today, zone, now):
    year = _year(g["year"])
    return _days(date(year, 1, 1), date(year, 12, 31), zone, True)


_RANGE = r"(?:between|from)"
_TO = r"(?:and|to|until|till)"
_RULES = [(re.compile(p), rule) for p, rule in [
    (rf"\b{_RANGE} (?:the )?(?P<d1>[0-9]{{1,2}})(?:st|nd|rd|th)? {_TO} (?:the )?"
     rf"(?P<d2>[0-9]{{1,2}})(?:st|nd|rd|th)?(?: of)? {_MONTH.format('m')}(?:,? {_YEAR.format('y')})?\b",
     _between_days_of_month),
    (rf"\b{_RANGE} {_date('a')} {_TO} {_date('b')}\b", _between),
    (rf"\b{_RANGE} {_month('a')} {_TO} {_month('b')}\b", _between_months),
    (r"\bsince (?P<rest>.+)", _since),
    (r"\b(?:the )?day before yesterday\b", _day_before_yesterday),
    (r"\b(?:the )?week before last\b", _week_before_last),
    (r"\b(?P<which>this past|last|past|previous|this|over the|at the|on the|during the|the) weekend\b", _weekend),
    (r"\b(?:(?P<which>this|yesterday|last) (?P<part>morning|afternoon|evening|night)|(?P<part2>tonight))\b",
     lambda g, *a: _day_part({**g, "part": g.get("part") or g.get("part2")}, *a)),
    (r"\b(?P<word>today|yesterday)\b", _relative_day),
    (rf"\b{_AMOUNT} {_UNIT} ago\b", _ago),
    (rf"\b{_AMOUNT} (?P<unit>hour|minute|min)s? ago\b", _clock_ago),
    (rf"\b(?P<which>this|last|past|previous)(?: {_AMOUNT})? {_UNIT}\b", _this_last),
    (rf"\b(?:(?P<which>last|this|on|past|previous) )?{_WEEKDAY}\b", _weekday),
    (rf"\b(?:(?:on|at) (?:the )?)?{_date('a')}\b", _on_date),
    (rf"\b(?:(?P<which>last|in|during|of|this|early|late|mid) )?{_month('a')}\b", _in_month),
    (r"\b(?:on )?the (?P<d>[0-9]{1,2})(?:st|nd|rd|th)\b", _day_of_month),
    (r"\b(?:in|during|of) (?P<year>[0-9]{4})\b", _in_year),
]]
