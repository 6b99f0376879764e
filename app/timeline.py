"""The day as episodes: runs of observations in one app, grouped by time. Pure queries, no Qt."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.errors import AppError
from app.services import Engram, EpisodicEvent, MemoryType, Observation
from memory import FrameStore, StoreError

DAY_GAP = timedelta(minutes=10)  # at day zoom, a pause this long starts a new episode
HOUR_GAP = timedelta(minutes=5)
TAIL = timedelta(minutes=1)
MOMENTS = 40  # how long the last observation before a pause is taken to last


@dataclass(frozen=True)
class Episode:
    """A stretch of time spent in one app."""

    app: str
    start: datetime  # local, aware
    end: datetime
    observation_ids: tuple[int, ...]
    titles: tuple[str, ...]  # distinct window titles, most seen first
    summary: str  # from an episodic memory when one covers it, else the start of the text seen
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
    runs = _runs(seen, gap)
    episodes = []
    for n, run in enumerate(runs):
        if app is not None and run[0].app != app:
            continue
        # A run lasts until the user turned to something else, or a moment after its last
        # observation when a pause followed.
        following = runs[n + 1][0].time if n + 1 < len(runs) else None
        end = following if following is not None and following - run[-1].time <= gap else run[-1].time + TAIL
        episodes.append(_episode(run, min(end, until), events))
    return Day(day=day, episodes=tuple(episodes), apps=apps,
               observations=sum(len(e.observation_ids) for e in episodes), hour=hour)


def _runs(observations: list[Observation], gap: timedelta) -> list[list[Observation]]:
    runs: list[list[Observation]] = []
    for o in observations:
        last = runs[-1][-1] if runs else None
        if last is not None and last.app == o.app and o.time - last.time <= gap:
            runs[-1].append(o)
        else:
            runs.append([o])
    return runs


def _episode(run: list[Observation], end: datetime, events: list[EpisodicEvent]) -> Episode:
    start, end = run[0].time.astimezone(), end.astimezone()
    titles = tuple(t for t, _ in Counter(o.title for o in run if o.title).most_common())
    memory = next((m for m in events if start <= m.occurred_at <= end
                   and (not m.app or m.app == run[0].app)), None)
    summary = memory.summary if memory else snippet(next((o.text for o in run if o.text.strip()), ""))
    return Episode(
        app=run[0].app or "unknown app", start=start, end=end, observation_ids=tuple(o.id for o in run),
        titles=titles, summary=summary, memory_id=memory.id if memory else None,
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
