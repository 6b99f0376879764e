"""The day as episodes (memory.episodes: one window, one topic, no long pause), grouped by time;
search over what was seen; the kept frames of a day. Pure queries, no Qt."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.errors import AppError
from app.services import Engram, EpisodicEvent, MemoryType, Observation
from memory import FrameStore, StoreError
from memory.episodes import IDLE_GAP, segment, summary
from memory.grams import UNSEGMENTED
from memory.retrieval import NEAR_COSINE

DAY_GAP = IDLE_GAP  # at day zoom a card is a batch of the memory managers: the same episodes
HOUR_GAP = timedelta(minutes=5)  # at hour zoom, a pause this long starts a new card
TAIL = timedelta(minutes=1)  # how long the last observation before a pause is taken to last
MOMENTS = 40  # what was read, when: at most this many lines of an episode (the hour view)


@dataclass(frozen=True)
class Episode:
    """A stretch of time spent on one thing in one window of one app (memory.episodes)."""

    app: str
    start: datetime  # local, aware
    end: datetime
    observation_ids: tuple[int, ...]
    titles: tuple[str, ...]  # distinct window titles, most seen first
    summary: str  # the episodic memory made from it when there is one, else its most central line
    memory_id: str | None = None
    frames: int = 0
    moments: tuple[tuple[datetime, str], ...] = ()  # what was read, when (a sample, for the hour view)

    @property
    def minutes(self) -> float:
        return max((self.end - self.start).total_seconds() / 60, 0.0)


@dataclass(frozen=True)
class Day:
    """One day of the timeline (or one hour of it), with the apps seen that day."""

    day: date
    episodes: tuple[Episode, ...]
    apps: tuple[str, ...]
    observations: int
    hour: int | None = None


def day_bounds(day: date, hour: int | None = None) -> tuple[datetime, datetime]:
    """Local midnight to midnight (or the hour), as aware datetimes."""
    if hour is None:
        start = datetime.combine(day, time()).astimezone()
        return start, datetime.combine(day + timedelta(days=1), time()).astimezone()
    start = datetime.combine(day, time(hour)).astimezone()
    return start, start + timedelta(hours=1)


def day_timeline(engram: Engram, day: date, *, app: str | None = None, hour: int | None = None) -> Day:
    """The episodes of a local day (or one hour of it), optionally of one app only."""
    since, until = day_bounds(day, hour)
    seen = engram.observations(since=since, until=until)
    apps = tuple(a for a, _ in Counter(o.app for o in seen).most_common())
    events = [m for m in engram.store.memories_between(since, until, [MemoryType.EPISODIC])
              if isinstance(m, EpisodicEvent) and since <= m.occurred_at < until]
    gap = HOUR_GAP if hour is not None else DAY_GAP
    runs = [list(s.observations) for s in segment(seen, gap=gap)]
    made_from = _memories_made_from(runs, events)
    placed = {m.id for m in made_from.values()}
    unplaced = [m for m in events if m.id not in placed and not m.sources]
    episodes = []
    for n, run in enumerate(runs):
        if app is not None and run[0].app != app:
            continue
        # A run lasts until the user turned to something else, or a moment after its last
        # observation when a pause followed.
        following = runs[n + 1][0].time if n + 1 < len(runs) else None
        end = following if following is not None and following - run[-1].time <= gap else run[-1].time + TAIL
        episodes.append(_episode(run, min(end, until), made_from.get(n), unplaced))
    return Day(day=day, episodes=tuple(episodes), apps=apps,
               observations=sum(len(e.observation_ids) for e in episodes), hour=hour)


def _memories_made_from(runs: list[list[Observation]], events: list[EpisodicEvent]) -> dict[int, EpisodicEvent]:
    """The episodic memory each run (by index) shows: each memory goes to the run that holds most
    of its sources, and a run given several keeps the one made from most of it (the newest of
    equals; `events` come newest first)."""
    run_of = {o.id: n for n, run in enumerate(runs) for o in run}
    best: dict[int, tuple[int, EpisodicEvent]] = {}
    for m in events:
        held = Counter(run_of[i] for i in m.sources if i in run_of)
        if not held:
            continue
        n, count = held.most_common(1)[0]
        if n not in best or count > best[n][0]:
            best[n] = (count, m)
    return {n: m for n, (_, m) in best.items()}


def _episode(run: list[Observation], end: datetime, memory: EpisodicEvent | None,
             unplaced: list[EpisodicEvent]) -> Episode:
    start, end = run[0].time.astimezone(), end.astimezone()
    titles = tuple(t for t, _ in Counter(o.title for o in run if o.title).most_common())
    if memory is None:  # a memory without provenance (added by hand) that happened then, in this app
        memory = next((m for m in unplaced if start <= m.occurred_at <= end
                       and (not m.app or m.app == run[0].app)), None)
    return Episode(
        app=run[0].app or "unknown app", start=start, end=end, observation_ids=tuple(o.id for o in run),
        titles=titles, summary=memory.summary if memory else summary(run), memory_id=memory.id if memory else None,
        frames=sum(1 for o in run if o.frame_id), moments=_moments(run),
    )


def _moments(run: list[Observation], most: int = MOMENTS) -> tuple[tuple[datetime, str], ...]:
    """The newest line of text of each observation (repeats dropped), evenly sampled."""
    seen: list[tuple[datetime, str]] = []
    for o in run:
        lines = [ln for ln in o.text.splitlines() if ln.strip()]
        text = snippet(lines[-1], 140) if lines else ""
        if text and (not seen or seen[-1][1] != text):
            seen.append((o.time.astimezone(), text))
    if len(seen) <= most:
        return tuple(seen)
    step = len(seen) / most
    return tuple(seen[int(i * step)] for i in range(most))


def snippet(text: str, limit: int = 160) -> str:
    """The start of `text` on one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def adjacent_day(engram: Engram, day: date, step: int) -> date | None:
    """The nearest earlier (step -1) or later (step +1) local date that has observations."""
    since, until = day_bounds(day)
    if step < 0:
        found = engram.store.observations(until=since, limit=1, newest_first=True)
    else:
        found = engram.store.observations(since=until, limit=1)
    return found[0].time.astimezone().date() if found else None


def latest_day(engram: Engram) -> date | None:
    """The local date of the newest observation, or None for an empty store."""
    newest = engram.store.observations(limit=1, newest_first=True)
    return newest[0].time.astimezone().date() if newest else None


def missing_frame(o: Observation) -> str:
    """Why an observation shows no frame (for one without `frame_id`)."""
    if o.frame_removed == "retention":
        return "The frame was removed by retention (the days and space limits under Settings › Capture)."
    if o.frame_removed:
        return "The frame file is gone (it was deleted outside Engram, or by an earlier clean-up)."
    return "No frame was kept for this observation."


def frame_image(engram: Engram, frame_id: str) -> bytes:
    """A kept frame's image bytes (an uncompressed PPM, quick to show; PNG or WebP from
    earlier versions), decrypted in memory (never written anywhere in clear)."""
    try:
        return FrameStore(engram.paths.frames, engram.data_key).get(frame_id, quick=True)
    except StoreError as exc:
        raise AppError(str(exc)) from None


# -- search over what was seen -----------------------------------------------------------------------

SEARCH_RESULTS = 60  # hits a search shows (the retrieval ranks them; more is scrolling noise)
FRAME_NEAR = timedelta(minutes=10)  # a hit without its own frame shows the window's last frame this close
_WORD = re.compile(r"\w+", re.UNICODE)
_SUFFIXES = ("ing", "ed", "es", "s", "e", "y")


@dataclass(frozen=True)
class Found:
    """One observation a search found: a snippet around the match, the spans to highlight in it,
    and the kept frame that shows the moment (its own, or its window's last one before it)."""

    observation: Observation
    snippet: str
    spans: tuple[tuple[int, int], ...]  # (start, end) in `snippet`
    frame_id: str | None
    rank: int  # 0 is the best hit


@dataclass(frozen=True)
class FoundGroup:
    """Hits of one day in one app, in time order."""

    day: date
    app: str
    items: tuple[Found, ...]


def search_seen(engram: Engram, query: str, *, app: str | None = None, since: datetime | None = None,
                until: datetime | None = None, k: int = SEARCH_RESULTS,
                now: datetime | None = None) -> list[FoundGroup]:
    """What was seen that matches `query` (the app's hybrid search over the raw log), grouped by
    day (newest first) and app (best hit first), each hit in time order."""
    if not query.strip():
        return []
    # Grouped by day, the hits are not read in rank order: each must be related on its own.
    hits = engram.search(query, k, kinds=["observation"], app=app, since=since, until=until, now=now,
                         min_cosine=NEAR_COSINE)
    found = [o for o in (h.observation for h in hits) if o is not None]
    patterns = highlight_patterns(query)
    groups: dict[tuple[date, str], list[Found]] = {}
    for rank, o in enumerate(found):
        snip, spans = _snippet_around(o.text or o.title, patterns)
        holder = frame_holder(engram, o)
        groups.setdefault((o.time.astimezone().date(), o.app or "unknown app"), []).append(
            Found(o, snip, spans, holder.frame_id if holder else None, rank))
    ordered = sorted(groups.items(), key=lambda kv: (-kv[0][0].toordinal(), min(f.rank for f in kv[1])))
    return [FoundGroup(day, app_, tuple(sorted(items, key=lambda f: f.observation.time)))
            for (day, app_), items in ordered]


def highlight_patterns(query: str) -> list[re.Pattern[str]]:
    """One pattern per query word, matching the words it stands for (the full-text index stems
    words: "booking" finds "booked", so the highlight takes the word's stem as a prefix). A run of
    a script written without spaces (Chinese, Japanese, Thai) is marked as typed: "北京" in
    "北京是首都", not the whole run of characters after it."""
    out = [re.compile(re.escape(run)) for run in dict.fromkeys(UNSEGMENTED.findall(query))]
    for word in dict.fromkeys(w.lower() for w in _WORD.findall(UNSEGMENTED.sub(" ", query))):
        if len(word) < 2:
            continue
        stem = word
        for suffix in _SUFFIXES:
            if stem.endswith(suffix) and len(stem) - len(suffix) >= 3:
                stem = stem[: -len(suffix)]
                break
        out.append(re.compile(rf"\b{re.escape(stem)}\w*", re.IGNORECASE))
    return out


def highlight_spans(text: str, patterns: list[re.Pattern[str]]) -> tuple[tuple[int, int], ...]:
    spans = sorted({m.span() for p in patterns for m in p.finditer(text)})
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def _snippet_around(text: str, patterns: list[re.Pattern[str]],
                    width: int = 220) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The part of `text` (on one line) around its first match, and the matches in it."""
    flat = " ".join(text.split())
    spans = highlight_spans(flat, patterns)
    start = 0
    if spans and spans[0][0] > width // 3:
        start = flat.rfind(" ", 0, spans[0][0] - width // 3) + 1
    piece = flat[start:start + width]
    lead = "…" if start > 0 else ""
    tail = "…" if start + width < len(flat) else ""
    shown = lead + piece + tail
    return shown, highlight_spans(shown, patterns)


def frame_holder(engram: Engram, o: Observation) -> Observation | None:
    """The observation whose kept frame shows the moment of `o`: `o` itself when it kept one, else
    the newest one of the same window at most FRAME_NEAR before it (capture keeps a frame only when
    the picture changed enough, so the window looked like that then); None when there is none."""
    if o.frame_id:
        return o
    for prior in engram.store.observations(since=o.time - FRAME_NEAR, until=o.time + timedelta(seconds=1),
                                           app=o.app, limit=50, newest_first=True):
        if prior.frame_id and prior.title == o.title:
            return prior
    return None


@dataclass(frozen=True)
class MomentFrame:
    """The frame shown for an observation: whose it is (`holder`, maybe an earlier observation of
    the same window) and its image bytes (decrypted in memory)."""

    holder: Observation
    image: bytes


def moment_frame(engram: Engram, o: Observation) -> MomentFrame | None:
    """The frame that shows the moment of `o` (see `frame_holder`), or None."""
    holder = frame_holder(engram, o)
    return MomentFrame(holder, frame_image(engram, holder.frame_id)) if holder is not None else None


# -- kept frames, one after the other ------------------------------------------------------------------

def kept_frames(engram: Engram, day: date) -> list[Observation]:
    """The observations of a local day that kept a frame, in time order (the frame viewer steps
    through them)."""
    since, until = day_bounds(day)
    return [o for o in engram.observations(since=since, until=until) if o.frame_id]
