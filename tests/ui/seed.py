"""A believable day of seeded data for the UI tests and bench/screenshots.py."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

from PIL import Image, ImageDraw, ImageFont

from app.services import (
    CoreBlock,
    Engram,
    EpisodicEvent,
    ProceduralEntry,
    ResourceItem,
    SemanticFact,
    VaultEntry,
)
from memory import FrameStore, NewObservation

DAY = date(2025, 3, 4)

# (start, minutes, app, title, url, lines of text seen)
EPISODES = [
    ("08:52", 26, "Thunderbird", "Inbox — sam@acme.example — Thunderbird", "", [
        "Anna Keller — Release date moved to 14 March. Freeze on the 11th, please merge before then.",
        "Hetzner Online — Invoice 4471 for February (EUR 38.20) is ready, customer number K0471-2291.",
        "Tomás Ortega — New mockups for the timeline view attached.",
    ]),
    ("09:20", 84, "Code", "retrieval.py — engram — Visual Studio Code", "", [
        "def search(self, query: str, k: int = 10, filters: Filters | None = None):",
        "    hits = self.store.search_observations(words, depth, since=since, until=until)",
        "RRF_K = 60  # reciprocal rank fusion constant",
        "FAILED tests/memory/test_retrieval.py::test_fts_ranking - AssertionError",
    ]),
    ("10:45", 19, "Firefox", "Lisbon flights — TAP Air Portugal — Mozilla Firefox",
     "https://www.flytap.com/en-pt/flights/porto-lisbon", [
         "Porto (OPO) → Lisbon (LIS) · Friday 14 March · TP 1943 dep 07:35 arr 08:30",
         "Fare Classic · 1 adult · EUR 189.00 · Seat 12A · Booking reference QX7L2M",
     ]),
    ("11:05", 25, "Slack", "#release — Acme — Slack", "", [
        "Anna Keller: we ship 1.4 on the 14th, freeze on the 11th. Tomás owns the release notes.",
        "Sam Rivera: the FTS ranking fix lands today, then I am in Lisbon on Friday.",
        "Tomás Ortega: release notes draft is in the wiki under Releases/1.4.",
    ]),
    ("13:10", 80, "LibreOffice Calc", "Budget 2025.ods — LibreOffice Calc", "", [
        "Budget 2025 · Marketing 12,400 · Travel 6,850 · Hardware 9,300 · Total 28,550",
        "Q1 travel: Lisbon offsite 1,120 · Berlin conference 2,340",
    ]),
    ("14:30", 28, "Firefox", "SQLite FTS5 Extension — Mozilla Firefox", "https://sqlite.org/fts5.html", [
        "The bm25() function returns a real value indicating how well the current row matches the query.",
        "Better matches are assigned numerically lower values.",
    ]),
    ("15:00", 80, "Terminal", "~/src/engram — bash", "", [
        "$ pytest -q tests/memory",
        "112 passed, 2 skipped in 41.3s",
        "$ git commit -m 'Fix FTS5 ranking: bm25 is lower-is-better'",
    ]),
    ("16:30", 22, "Zoom", "Weekly sync — Zoom Meeting", "", [
        "Weekly sync · Anna Keller, Tomás Ortega, Sam Rivera",
        "Agenda: 1.4 release checklist, timeline mockups, Lisbon offsite",
    ]),
]


def _at(clock: str, day: date = DAY) -> datetime:
    h, m = map(int, clock.split(":"))
    return datetime.combine(day, time(h, m)).astimezone()


def frame_image(app: str, title: str, lines: list[str], width: int = 960, height: int = 600) -> bytes:
    """A plain mock screenshot (lossless WebP, as the capture daemon keeps them): a window with
    a title bar and the text lines."""
    image = Image.new("RGB", (width, height), (236, 239, 244))
    draw = ImageDraw.Draw(image)
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 18)
        small = ImageFont.truetype("DejaVuSans.ttf", 15)
    except OSError:
        font = small = ImageFont.load_default()
    draw.rectangle((40, 30, width - 40, height - 30), fill=(255, 255, 255), outline=(200, 205, 214))
    draw.rectangle((40, 30, width - 40, 70), fill=(52, 61, 79))
    draw.text((56, 40), f"{app} — {title}"[:80], fill=(255, 255, 255), font=small)
    y = 96
    for line in lines:
        draw.text((64, y), line[:90], fill=(28, 34, 48), font=font)
        y += 36
    out = io.BytesIO()
    image.save(out, "WEBP", lossless=True, method=1, quality=0)
    return out.getvalue()


def seed_observations(engram: Engram, day: date = DAY, *, frames: bool = True, every_minutes: int = 3) -> list[int]:
    """The day's observations (a few per episode); returns their ids in time order."""
    store = FrameStore(engram.paths.frames, engram.data_key)
    items = []
    for start, minutes, app, title, url, lines in EPISODES:
        t0 = _at(start, day)
        for n, offset in enumerate(range(0, minutes, every_minutes)):
            # the window fills up as the user works; later views add one line each, as capture stores them
            shown = lines[: n + 1] if n < len(lines) else [lines[n % len(lines)]]
            frame_id = store.put(frame_image(app, title, shown)) if frames and n == 0 else None
            items.append(NewObservation(
                time=t0 + timedelta(minutes=offset, seconds=7 * (n % 4)), app=app, title=title, url=url,
                text="\n".join(shown), source_kind="seed", source_id=f"{day}:{start}:{n}", frame_id=frame_id))
    return [i for i in engram.store.add_observations(items) if i is not None]


def _obs(engram: Engram, app: str, day: date = DAY) -> tuple[int, ...]:
    since = datetime.combine(day, time()).astimezone()
    return tuple(o.id for o in engram.observations(since=since, until=since + timedelta(days=1), app=app))[:3]


def seed_memories(engram: Engram, day: date = DAY) -> dict[str, str]:
    """One or more memories of each type, with provenance and an edit in the history."""
    s = engram.store
    ids: dict[str, str] = {}
    ids["persona"] = s.add(CoreBlock(label="persona", value="Answer briefly and say where each fact comes from."),
                           cause="seed").id
    ids["human"] = s.add(CoreBlock(label="human", value="Sam Rivera, software engineer at Acme in Porto; works "
                                   "on Engram's search and retrieval."), cause="seed").id
    flight = s.add(EpisodicEvent(occurred_at=_at("10:52", day), summary="Booked a flight to Lisbon for Friday 14 March",
                                 details="TAP TP 1943, Porto 07:35 → Lisbon 08:30, seat 12A.", app="Firefox",
                                 event_type="booking"),
                   sources=_obs(engram, "Firefox", day), cause="episodic manager, batch 3")
    ids["flight"] = s.update(flight.id, EpisodicEvent(
        occurred_at=flight.occurred_at, summary="Booked a flight to Lisbon for Friday 14 March (EUR 189)",
        details="TAP TP 1943, Porto 07:35 → Lisbon 08:30, seat 12A, booking reference QX7L2M.",
        app="Firefox", event_type="booking"), cause="episodic manager, batch 4").id
    ids["sync"] = s.add(EpisodicEvent(occurred_at=_at("16:30", day), ended_at=_at("16:52", day),
                                      summary="Weekly sync with Anna and Tomás about the 1.4 release",
                                      app="Zoom", event_type="meeting"),
                        sources=_obs(engram, "Zoom", day), cause="episodic manager, batch 7").id
    ids["fix"] = s.add(EpisodicEvent(occurred_at=_at("15:40", day), summary="Fixed the FTS5 ranking bug in "
                                     "retrieval.py; 112 tests pass", app="Terminal", event_type="activity"),
                       sources=_obs(engram, "Terminal", day), cause="episodic manager, batch 6").id
    ids["anna"] = s.add(SemanticFact(name="Anna Keller", summary="Release manager at Acme; moved the 1.4 release "
                                     "to 14 March with a freeze on the 11th."),
                        sources=_obs(engram, "Slack", day)[:2] + _obs(engram, "Thunderbird", day)[:1],
                        cause="semantic manager, batch 2").id
    ids["tomas"] = s.add(SemanticFact(name="Tomás Ortega", summary="Designer at Acme; owns the 1.4 release notes "
                                      "and the timeline mockups."),
                         sources=_obs(engram, "Slack", day)[2:], cause="semantic manager, batch 2").id
    ids["release"] = s.add(ProceduralEntry(summary="How to release Engram", steps=(
        "Freeze main two days before the release", "Run pytest -q and the LoCoMo evaluation",
        "Tag the version and push the tag", "Post the release notes in #release")),
        sources=_obs(engram, "Slack", day)[:1], cause="procedural manager, batch 2").id
    ids["fts5"] = s.add(ResourceItem(title="SQLite FTS5 Extension", resource_type="web page",
                                     summary="bm25() ranks matches; lower values are better matches.",
                                     location="https://sqlite.org/fts5.html"),
                        sources=_obs(engram, "Firefox", day)[1:], cause="resource manager, batch 5").id
    ids["budget"] = s.add(ResourceItem(title="Budget 2025.ods", resource_type="spreadsheet",
                                       summary="The 2025 budget: marketing, travel and hardware; total 28,550.",
                                       location="~/Documents/Budget 2025.ods"),
                          sources=_obs(engram, "LibreOffice Calc", day), cause="resource manager, batch 5").id
    ids["hetzner"] = s.add(VaultEntry(caption="Hetzner customer number", value="K0471-2291",
                                      entry_type="account id", sensitivity="medium"),
                           sources=_obs(engram, "Thunderbird", day)[:1], cause="vault manager, batch 1").id
    ids["door"] = s.add(VaultEntry(caption="Office door code", value="4471#", entry_type="code",
                                   sensitivity="high"), cause="added by hand").id
    return ids


ANSWER = ("You fly to Lisbon on Friday 14 March: TAP TP 1943 leaves Porto at 07:35 and lands at 08:30 "
          "(seat 12A, EUR 189). You booked it on 4 March at 10:52.")
