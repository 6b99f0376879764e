"""The day's episodes take their summaries from that day's episodic memories only, read by time."""

from datetime import datetime, time, timedelta

from app.paths import Paths
from app.services import Engram, EpisodicEvent
from app.timeline import day_timeline
from memory import NewObservation
from tests.conftest import FAST_KDF


class DayOnly:
    """The store seam: refuses to list every memory, as the timeline must not need that."""

    def __init__(self, store) -> None:
        self._store = store

    def memories(self, kind=None, *, limit=None, ids=()):
        assert ids, "the timeline listed every memory instead of asking for the day's"
        return self._store.memories(kind, limit=limit, ids=ids)

    def __getattr__(self, name):
        return getattr(self._store, name)


def test_a_day_reads_only_its_own_episodic_memories(tmp_path):
    engram = Engram.create(Paths(tmp_path / "d"), "pass", FAST_KDF)
    try:
        day = datetime(2025, 3, 4).date()
        nine = datetime.combine(day, time(9)).astimezone()
        ids = engram.store.add_observations([
            NewObservation(time=nine + timedelta(minutes=m), text=f"reading {m}", app="Firefox")
            for m in range(3)])
        engram.store.add(EpisodicEvent(occurred_at=nine, summary="Read the release notes", app="Firefox"),
                         sources=ids, cause="test")
        engram.store.add(EpisodicEvent(occurred_at=nine - timedelta(days=1), summary="Yesterday's reading",
                                       app="Firefox"), cause="test")
        engram.store = DayOnly(engram.store)
        shown = day_timeline(engram, day)
        assert [(e.app, e.summary) for e in shown.episodes] == [("Firefox", "Read the release notes")]
        assert day_timeline(engram, day - timedelta(days=1)).episodes == ()
    finally:
        engram.store = getattr(engram.store, "_store", engram.store)
        engram.close()


def test_a_terminal_titled_bash_is_two_cards_when_its_text_moves_from_curl_to_bash_each_with_its_summary(tmp_path):
    from tests.memory.test_episodes import BASH, CURL, screens

    engram = Engram.create(Paths(tmp_path / "d"), "pass", FAST_KDF)
    try:
        day = datetime(2025, 3, 4).date()
        three = datetime.combine(day, time(15)).astimezone()
        texts = screens(CURL) + screens(BASH, scroll=6)
        ids = engram.store.add_observations([
            NewObservation(time=three + timedelta(seconds=30 * n), text=text, app="Konsole", title="bash")
            for n, text in enumerate(texts)])
        # a memory made from the curl screens (and, made before episodes split by topic, one Bash screen)
        engram.store.add(EpisodicEvent(occurred_at=three, summary="Read the curl manual", app="Konsole"),
                         sources=ids[:5], cause="test")
        shown = day_timeline(engram, day)
        assert [(len(e.observation_ids), e.titles, e.summary) for e in shown.episodes] == [
            (4, ("bash",), "Read the curl manual"),
            (2, ("bash",), "A Unix shell is both a command interpreter and a programming language.")]
        assert shown.episodes[0].end == shown.episodes[1].start  # the first lasts until the user turned away
    finally:
        engram.close()
