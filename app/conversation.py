"""The Ask history: questions, answers and their sources, kept in the encrypted store's settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from app.services import Answer, Engram, SearchHit

KEY = "ask.history"
MAX_TURNS = 200  # older turns are dropped; the memories themselves stay


@dataclass(frozen=True)
class Source:
    """A cited item as the history remembers it (enough to show it and to open it again)."""

    ref: str  # "obs:12" or a memory id
    kind: str  # "observation" or a memory type
    headline: str
    time: datetime | None = None
    app: str = ""

    @classmethod
    def of(cls, hit: SearchHit) -> Source:
        return cls(ref=hit.ref, kind=hit.kind, headline=hit.headline, time=hit.time, app=hit.app)

    @property
    def observation_id(self) -> int | None:
        kind, _, number = self.ref.partition(":")
        return int(number) if kind == "obs" and number.isdigit() else None


@dataclass(frozen=True)
class Turn:
    """One question and its answer."""

    question: str
    answer: str
    at: datetime
    sources: tuple[Source, ...] = ()
    found_anything: bool = True

    @classmethod
    def of(cls, answer: Answer, at: datetime | None = None) -> Turn:
        return cls(question=answer.question, answer=answer.text, at=at or datetime.now(UTC),
                   sources=tuple(Source.of(h) for h in answer.citations), found_anything=answer.found_anything)


def history(engram: Engram) -> list[Turn]:
    """The kept turns, oldest first."""
    return [_turn(d) for d in engram.store.setting(KEY, []) or []]


def append(engram: Engram, turn: Turn) -> None:
    kept = (engram.store.setting(KEY, []) or []) + [_doc(turn)]
    engram.store.set_setting(KEY, kept[-MAX_TURNS:])


def merge(engram: Engram, docs: list[dict], ref_here: Callable[[str], str | None]) -> None:
    """Add turns kept elsewhere (an archive's) to the history, in time order, without repeats.
    `ref_here` gives each source's id in this Engram (None: not here, and the source is dropped)."""
    kept = engram.store.setting(KEY, []) or []
    seen = {(d["at"], d["question"]) for d in kept}
    for doc in docs:
        if (doc["at"], doc["question"]) in seen:
            continue
        sources = []
        for source in doc.get("sources", []):
            ref = ref_here(source["ref"])
            if ref is not None:
                sources.append({**source, "ref": ref})
        kept.append({**doc, "sources": sources})
        seen.add((doc["at"], doc["question"]))
    kept.sort(key=lambda d: datetime.fromisoformat(d["at"]))
    engram.store.set_setting(KEY, kept[-MAX_TURNS:])


def clear(engram: Engram) -> None:
    engram.store.set_setting(KEY, [])


def ask(engram: Engram, question: str, on_token=None) -> Turn:
    """Ask, keep the turn in the history, and return it."""
    turn = Turn.of(engram.ask(question, on_token=on_token))
    append(engram, turn)
    return turn


def _doc(turn: Turn) -> dict:
    return {
        "question": turn.question, "answer": turn.answer, "at": turn.at.isoformat(),
        "found_anything": turn.found_anything,
        "sources": [{"ref": s.ref, "kind": s.kind, "headline": s.headline,
                     "time": s.time.isoformat() if s.time else None, "app": s.app} for s in turn.sources],
    }


def _turn(doc: dict) -> Turn:
    return Turn(
        question=doc["question"], answer=doc["answer"], at=datetime.fromisoformat(doc["at"]),
        found_anything=doc.get("found_anything", True),
        sources=tuple(Source(ref=s["ref"], kind=s["kind"], headline=s["headline"],
                             time=datetime.fromisoformat(s["time"]) if s.get("time") else None,
                             app=s.get("app", "")) for s in doc.get("sources", [])),
    )
