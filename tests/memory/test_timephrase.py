from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memory.timephrase import asks_when, parse, states_time

NEW_YORK = ZoneInfo("America/New_York")  # 2026: summer time from 8 March to 1 November
BERLIN = ZoneInfo("Europe/Berlin")  # 2026: summer time from 29 March to 25 October


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def span_utc(query: str, now: datetime):
    span = parse(query, now)
    assert span is not None, query
    return span.since.astimezone(UTC), span.until.astimezone(UTC), span.certain


# Around both 2026 changes, in both zones: each local day is its own length (23 or 25 hours).
@pytest.mark.parametrize(("now", "query", "expected"), [
    # New York, the Monday after clocks went forward on Sunday 8 March
    (datetime(2026, 3, 9, 10, 0, tzinfo=NEW_YORK), "what did I book yesterday?",
     (utc(2026, 3, 8, 5), utc(2026, 3, 9, 4), True)),
    (datetime(2026, 3, 9, 10, 0, tzinfo=NEW_YORK), "What did I book the day before yesterday?",
     (utc(2026, 3, 7, 5), utc(2026, 3, 8, 5), True)),
    (datetime(2026, 3, 9, 10, 0, tzinfo=NEW_YORK), "the page I read 2 days ago",
     (utc(2026, 3, 7, 5), utc(2026, 3, 8, 5), True)),
    (datetime(2026, 3, 9, 10, 0, tzinfo=NEW_YORK), "notes from last Saturday",
     (utc(2026, 3, 7, 5), utc(2026, 3, 8, 5), True)),
    (datetime(2026, 3, 9, 10, 0, tzinfo=NEW_YORK), "this morning",
     (utc(2026, 3, 9, 9), utc(2026, 3, 9, 16), True)),
    (datetime(2026, 3, 9, 10, 0, tzinfo=NEW_YORK), "the flights I looked at two weeks ago",
     (utc(2026, 2, 19, 5), utc(2026, 2, 27, 5), False)),
    (datetime(2026, 3, 9, 10, 0, tzinfo=NEW_YORK), "between 6 and 8 March 2026",
     (utc(2026, 3, 6, 5), utc(2026, 3, 9, 4), True)),
    # New York, the Monday after clocks went back on Sunday 1 November: 1 November has 25 hours
    (datetime(2026, 11, 2, 10, 0, tzinfo=NEW_YORK), "yesterday",
     (utc(2026, 11, 1, 4), utc(2026, 11, 2, 5), True)),
    (datetime(2026, 11, 2, 10, 0, tzinfo=NEW_YORK), "last Sunday",
     (utc(2026, 11, 1, 4), utc(2026, 11, 2, 5), True)),
    (datetime(2026, 11, 2, 10, 0, tzinfo=NEW_YORK), "what did I read in October?",
     (utc(2026, 10, 1, 4), utc(2026, 11, 1, 4), False)),
    (datetime(2026, 11, 2, 10, 0, tzinfo=NEW_YORK), "in March",
     (utc(2026, 3, 1, 5), utc(2026, 4, 1, 4), False)),
    # Berlin, the Monday after 29 March (23 hours) and after 25 October (25 hours)
    (datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN), "yesterday",
     (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22), True)),
    (datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN), "the day before yesterday",
     (utc(2026, 3, 27, 23), utc(2026, 3, 28, 23), True)),
    (datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN), "last week",
     (utc(2026, 3, 22, 23), utc(2026, 3, 29, 22), True)),
    (datetime(2026, 10, 26, 9, 0, tzinfo=BERLIN), "yesterday",
     (utc(2026, 10, 24, 22), utc(2026, 10, 25, 23), True)),
    (datetime(2026, 10, 26, 9, 0, tzinfo=BERLIN), "3 days ago",
     (utc(2026, 10, 22, 22), utc(2026, 10, 23, 22), True)),
    (datetime(2026, 10, 26, 9, 0, tzinfo=BERLIN), "in March 2026",
     (utc(2026, 2, 28, 23), utc(2026, 3, 31, 22), True)),
    (datetime(2026, 10, 26, 9, 0, tzinfo=BERLIN), "between 24 October 2026 and 25 October 2026",
     (utc(2026, 10, 23, 22), utc(2026, 10, 25, 23), True)),
    # Weekends, "since", the week before last, hours ago, a day of the month, across the changes
    (datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN), "what did I do last weekend?",
     (utc(2026, 3, 27, 23), utc(2026, 3, 29, 22), True)),  # Saturday CET to Monday CEST: 47 hours
    (datetime(2026, 3, 8, 15, 0, tzinfo=NEW_YORK), "what did I read this weekend?",
     (utc(2026, 3, 7, 5), utc(2026, 3, 9, 4), True)),  # asked on its Sunday
    (datetime(2026, 3, 8, 15, 0, tzinfo=NEW_YORK), "the article from last weekend",
     (utc(2026, 2, 28, 5), utc(2026, 3, 2, 5), True)),  # asked during a weekend: the one before
    (datetime(2026, 11, 2, 10, 0, tzinfo=NEW_YORK), "what did I buy over the weekend",
     (utc(2026, 10, 31, 4), utc(2026, 11, 2, 5), True)),  # 49 hours
    (datetime(2026, 11, 4, 10, 0, tzinfo=NEW_YORK), "everything I wrote since Monday",
     (utc(2026, 11, 2, 5), utc(2026, 11, 5, 5), True)),
    (datetime(2026, 10, 26, 9, 0, tzinfo=BERLIN), "since yesterday",
     (utc(2026, 10, 24, 22), utc(2026, 10, 26, 23), True)),
    (datetime(2026, 10, 26, 9, 0, tzinfo=BERLIN), "the mails since 3 October",
     (utc(2026, 10, 2, 22), utc(2026, 10, 26, 23), False)),
    (datetime(2026, 4, 6, 9, 0, tzinfo=BERLIN), "the week before last",
     (utc(2026, 3, 22, 23), utc(2026, 3, 29, 22), True)),
    (datetime(2026, 3, 8, 3, 30, tzinfo=NEW_YORK), "what was on screen an hour ago",
     (utc(2026, 3, 8, 6), utc(2026, 3, 8, 7), False)),  # 01:00-02:00 EST: 02:00-03:00 never existed
    (datetime(2026, 10, 26, 9, 0, tzinfo=BERLIN), "30 minutes ago",
     (utc(2026, 10, 26, 7, 15), utc(2026, 10, 26, 7, 45), False)),
    (datetime(2026, 10, 26, 9, 0, tzinfo=BERLIN), "the invoice on the 5th",
     (utc(2026, 10, 4, 22), utc(2026, 10, 5, 22), False)),
    (datetime(2026, 3, 11, 9, 0, tzinfo=BERLIN), "on the 31st",
     (utc(2026, 1, 30, 23), utc(2026, 1, 31, 23), False)),  # February has none, March's is to come
    # German, French and Spanish questions (memory.timewords), the same spans
    (datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN), "Was habe ich letztes Wochenende gemacht?",
     (utc(2026, 3, 27, 23), utc(2026, 3, 29, 22), True)),
    (datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN), "Wer hat vorgestern angerufen?",
     (utc(2026, 3, 27, 23), utc(2026, 3, 28, 23), True)),
    (datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN), "Qu'est-ce que j'ai lu hier ?",
     (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22), True)),
    (datetime(2026, 11, 2, 10, 0, tzinfo=NEW_YORK), "¿Qué leí ayer?",
     (utc(2026, 11, 1, 4), utc(2026, 11, 2, 5), True)),
    (datetime(2026, 11, 2, 10, 0, tzinfo=NEW_YORK), "¿Qué hice el fin de semana pasado?",
     (utc(2026, 10, 31, 4), utc(2026, 11, 2, 5), True)),
    (datetime(2026, 3, 8, 3, 30, tzinfo=NEW_YORK), "Was habe ich vor zwei Stunden gelesen?",
     (utc(2026, 3, 8, 4, 30), utc(2026, 3, 8, 6, 30), False)),
    (datetime(2026, 11, 4, 10, 0, tzinfo=NEW_YORK), "Qu'ai-je écrit depuis lundi ?",
     (utc(2026, 11, 2, 5), utc(2026, 11, 5, 5), True)),
    # Chinese and Japanese, written without spaces (memory.timewords), across the same changes
    (datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN), "我前天读了什么?",
     (utc(2026, 3, 27, 23), utc(2026, 3, 28, 23), True)),
    (datetime(2026, 11, 2, 10, 0, tzinfo=NEW_YORK), "昨日何を読みましたか?",
     (utc(2026, 11, 1, 4), utc(2026, 11, 2, 5), True)),
    (datetime(2026, 11, 2, 10, 0, tzinfo=NEW_YORK), "上周末我去了哪里?",
     (utc(2026, 10, 31, 4), utc(2026, 11, 2, 5), True)),
    (datetime(2026, 11, 4, 10, 0, tzinfo=NEW_YORK), "上周三我和谁开会了?",  # the Wednesday of last week
     (utc(2026, 10, 26, 4), utc(2026, 11, 2, 5), True)),
    (datetime(2026, 11, 4, 10, 0, tzinfo=NEW_YORK), "三天前我看了什么网页?",
     (utc(2026, 11, 1, 4), utc(2026, 11, 2, 5), True)),
    (datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN), "2日前の会議は?",
     (utc(2026, 3, 27, 23), utc(2026, 3, 28, 23), True)),
])
def test_phrases_are_local_days_by_the_zone_rules(now, query, expected):
    assert span_utc(query, now) == expected


def test_a_00_30_event_on_the_25_hour_day_is_yesterday():
    span = parse("yesterday", datetime(2026, 11, 2, 10, 0, tzinfo=NEW_YORK))
    event = datetime(2026, 11, 1, 0, 30, tzinfo=NEW_YORK)
    assert span.since <= event < span.until
    assert span.until - span.since == timedelta(hours=25)


def test_a_phrase_is_only_its_own_words():
    now = datetime(2026, 3, 9, 10, 0, tzinfo=NEW_YORK)
    assert parse("What did I write since Monday about the budget?", now).phrase == "since monday"


def test_the_longest_phrase_wins_over_a_word_inside_it():
    now = datetime(2026, 3, 9, 10, 0, tzinfo=NEW_YORK)
    assert parse("the day before yesterday", now).phrase == "the day before yesterday"
    assert parse("yesterday evening", now).phrase == "yesterday evening"


@pytest.mark.parametrize("query", [
    "budget in march 0000", "What did I do in december 9999?", "on 31 February 2026",
    "between 2026-13-01 and 2026-14-01", "the login bug", "may I ask something", "",
    "the 3 files", "on the 32nd", "0 minutes ago", "since tomorrow's meeting",
    "Was ist hier los?",  # German "hier" is "here", not the French "yesterday"
])
def test_no_span_for_impossible_dates_and_plain_words(query):
    assert parse(query, datetime(2026, 3, 9, 10, 0, tzinfo=NEW_YORK)) is None


def test_a_naive_now_gives_no_span_instead_of_an_error():
    assert parse("yesterday", datetime(2026, 3, 9, 10, 0)) is None


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec="utf-8")) | st.lists(st.sampled_from(
    "in on last this between and from to ago day days week weeks month year the before yesterday today "
    "march december 0000 9999 0 1 31 99 2026 -1 monday of morning few since weekend hour minutes 5th "
    "31st past".split())).map(" ".join),
       st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
       st.sampled_from([UTC, NEW_YORK, BERLIN, ZoneInfo("Pacific/Kiritimati")]))
def test_parsing_never_raises(query, naive_now, zone):
    span = parse(query, naive_now.replace(tzinfo=zone))
    assert span is None or span.since < span.until


def test_a_fixed_offset_now_gets_the_zone_rules_of_the_user(monkeypatch):
    # The app's now is datetime.now().astimezone(): a fixed offset, which knows no DST changes.
    monkeypatch.setenv("TZ", "Europe/Berlin")
    now = datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN)
    fixed = now.astimezone(timezone(now.utcoffset()))  # +02:00
    assert span_utc("yesterday", fixed) == (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22), True)


@pytest.mark.parametrize(("question", "expected"), [
    ("When did Jon lose his job as a banker?", True),
    ("How long ago was Caroline's 18th birthday?", True),
    ("Which month did Gina open her store?", True),
    ("What year did they move?", True),
    ("Wann ist die Budgetbesprechung?", True),
    ("Depuis quand est-il malade ?", True),
    ("¿Cuándo es la cita con el dentista?", True),
    ("What did I read yesterday?", False),
    ("Where did Melanie go camping?", False),
])
def test_a_question_asks_for_a_time(question, expected):
    assert asks_when(question) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("I went to the support group yesterday", True),
    ("The review moved to Thursday at 3 pm", True),
    ("We met two weeks ago", True),
    ("I painted that lake sunrise last year!", True),
    ("Seen on 8 May 2023", True),
    ("Flight LH 404 departs 14:35", True),
    ("I've known them for 4 years", True),
    ("We moved here in 2019", True),
    ("Die Rechnung ist am Montag fällig", True),
    ("Je l'ai vu il y a trois jours", True),
    ("Lo compré hace 2 semanas", True),
    ("Treffen um 15 Uhr", True),
    ("On s'est vus la semaine dernière", True),
    ("I may go swimming with the kids", False),  # "may" is a month only beside a day or year
    ("Mars looks red", False),  # the planet, not French March
    ("The meeting is in room 4", False),
    ("Painting is a fun way to relax", False),
])
def test_a_text_states_a_time(text, expected):
    assert states_time(text) is expected
