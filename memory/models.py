"""Typed values that cross package lines: observations, the six memory types, history, hits."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import ClassVar

from memory.errors import ValidationError

# The times Engram keeps. Outside them a time cannot be shown in every time zone (year 1 west of
# UTC, year 9999 east of it overflow `astimezone`), and no screen was ever seen then.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC) - timedelta(microseconds=1)


def utc(dt: datetime) -> datetime:
    """`dt` as an aware UTC datetime; a naive one is taken as local time."""
    return dt.astimezone(UTC)


def checked_time(dt: datetime) -> datetime:
    """`dt` as aware UTC if Engram can keep it (EARLIEST..LATEST); ValidationError saying so if not.
    Every way in (capture, import, archives) stores times through this check."""
    if not isinstance(dt, datetime):
        raise ValidationError(f"not a time: {dt!r}")
    try:
        aware = utc(dt)
    except (OverflowError, ValueError):
        aware = None
    if aware is None or not EARLIEST <= aware <= LATEST:
        raise ValidationError(f"the time {dt.isoformat()} is out of range "
                              f"(Engram keeps times from {EARLIEST.year} to {LATEST.year})")
    return aware


def clamped_time(dt: datetime) -> datetime:
    """`dt` as aware UTC, moved into EARLIEST..LATEST: a time stored before times were checked still
    converts to every time zone (for reading and for query bounds; never for storing)."""
    try:
        aware = utc(dt)
    except (OverflowError, ValueError):  # past year 1 or 9999 in UTC
        return EARLIEST if dt.year < 2000 else LATEST
    return min(max(aware, EARLIEST), LATEST)


@dataclass(frozen=True)
class NewObservation:
    """One thing seen or imported, before it is stored."""

    time: datetime
    text: str
    app: str = ""
    title: str = ""
    url: str = ""
    source_kind: str = "screen"  # screen | import | eval | ...
    source_id: str | None = None
    frame_id: str | None = None


@dataclass(frozen=True)
class Observation(NewObservation):
    """A stored observation of the raw log."""

    id: int = 0
    processed: bool = False
    frame_removed: str = ""  # why a frame kept for it is gone ("retention"); "" if none was removed
    context: str = ""  # for a reply in a conversation, the question it answers (memory.dialogue)


class MemoryType(StrEnum):
    CORE = "core"
    EPISODIC = "episodic"
    SEMANTIC = "semantic"
    PROCEDURAL = "procedural"
    RESOURCE = "resource"
    VAULT = "vault"


@dataclass(frozen=True, kw_only=True)
class Memory:
    """Base of the six memory types. `id` is "<type>:<n>", empty before the memory is stored."""

    type: ClassVar[MemoryType]
    id: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    sources: tuple[int, ...] = ()  # provenance: observation ids

    def content(self) -> dict[str, object]:
        """The type's own fields (no id, times or sources)."""
        return {f.name: getattr(self, f.name) for f in content_fields(type(self))}

    def text(self) -> str:
        """The memory's searchable text, one line per non-empty text field."""
        return "\n".join(
            " ; ".join(v) if isinstance(v, tuple) else str(v)
            for v in self.content().values()
            if isinstance(v, (str, tuple)) and v
        )

    def headline(self) -> str:
        """A short one-line description for lists."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class CoreBlock(Memory):
    """Who the user is and how to talk to them: a bounded block of text."""

    type: ClassVar[MemoryType] = MemoryType.CORE
    label: str  # persona | human
    value: str
    limit: int = 2000

    def headline(self) -> str:
        return f"{self.label}: {self.value[:80]}"


@dataclass(frozen=True, kw_only=True)
class EpisodicEvent(Memory):
    """A time-stamped event: what the user did, saw or said."""

    type: ClassVar[MemoryType] = MemoryType.EPISODIC
    occurred_at: datetime
    summary: str
    details: str = ""
    actor: str = "user"
    event_type: str = "activity"
    app: str = ""
    ended_at: datetime | None = None

    def headline(self) -> str:
        return self.summary


@dataclass(frozen=True, kw_only=True)
class SemanticFact(Memory):
    """A fact about a person, thing or concept, independent of time."""

    type: ClassVar[MemoryType] = MemoryType.SEMANTIC
    name: str
    summary: str
    details: str = ""

    def headline(self) -> str:
        return f"{self.name}: {self.summary}"


@dataclass(frozen=True, kw_only=True)
class ProceduralEntry(Memory):
    """A how-to or workflow the user follows."""

    type: ClassVar[MemoryType] = MemoryType.PROCEDURAL
    summary: str
    steps: tuple[str, ...] = ()
    entry_type: str = "workflow"  # workflow | guide | script

    def headline(self) -> str:
        return self.summary


@dataclass(frozen=True, kw_only=True)
class ResourceItem(Memory):
    """A document, file, page or piece of code the user worked with."""

    type: ClassVar[MemoryType] = MemoryType.RESOURCE
    title: str
    summary: str = ""
    resource_type: str = "document"
    content_excerpt: str = ""
    location: str = ""  # path or url

    def headline(self) -> str:
        return self.title


@dataclass(frozen=True, kw_only=True)
class VaultEntry(Memory):
    """A discrete reference value: contact, address, account id, bookmark."""

    type: ClassVar[MemoryType] = MemoryType.VAULT
    caption: str
    value: str
    entry_type: str = "note"
    sensitivity: str = "low"  # low | medium | high

    def headline(self) -> str:
        shown = "••••••" if self.sensitivity == "high" else self.value
        return f"{self.caption}: {shown}"


MEMORY_CLASSES: dict[MemoryType, type[Memory]] = {
    cls.type: cls
    for cls in (CoreBlock, EpisodicEvent, SemanticFact, ProceduralEntry, ResourceItem, VaultEntry)
}
SENSITIVITIES = ("low", "medium", "high")
_BASE_FIELDS = {f.name for f in dataclasses.fields(Memory)}


def content_fields(cls: type[Memory]) -> tuple[dataclasses.Field, ...]:
    """The fields a memory type adds to the base (its table's own columns)."""
    return tuple(f for f in dataclasses.fields(cls) if f.name not in _BASE_FIELDS)


def parse_memory_id(memory_id: str) -> tuple[MemoryType, int]:
    """Split "semantic:12" into its type and row number; ValueError if malformed."""
    kind, _, number = memory_id.partition(":")
    if not number.isdigit():
        raise ValueError(f"not a memory id: {memory_id!r} (expected e.g. 'semantic:12')")
    return MemoryType(kind), int(number)


@dataclass(frozen=True)
class HistoryEntry:
    """One change to a memory: what it was, what it became, why."""

    memory_id: str
    operation: str  # ADD | UPDATE | DELETE
    at: datetime
    cause: str
    old: dict[str, object] | None = None
    new: dict[str, object] | None = None


@dataclass(frozen=True)
class StoreCounts:
    observations: int
    pending_observations: int
    memories: dict[MemoryType, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ForgetReport:
    """What a forget removed, layer by layer."""

    observations: int = 0
    memories: tuple[str, ...] = ()
    observation_ids: tuple[int, ...] = ()
    history: int = 0
    frames: tuple[str, ...] = ()
    # Lines that kept a forgotten line as their context: it was cleared, and they need new vectors.
    changed_observation_ids: tuple[int, ...] = ()

    def summary(self) -> str:
        return (
            f"removed {self.observations} observations, {len(self.memories)} memories, "
            f"{self.history} history entries, {len(self.frames)} frames"
        )


@dataclass(frozen=True)
class SearchHit:
    """One search result: an observation of the raw log or a memory, with its provenance."""

    ref: str  # "obs:12" or a memory id such as "semantic:3"
    score: float
    headline: str
    text: str
    time: datetime | None = None
    app: str = ""
    sources: tuple[int, ...] = ()  # observation ids (for an observation: itself)
    memory: Memory | None = None
    observation: Observation | None = None
    relation: str = ""  # in a before/after question: "before" or "after" the "anchor", else ""
    # Lines of the same conversation the answer model read with this one (memory.answer), in
    # time order; empty in search results.
    around: tuple[Observation, ...] = ()

    @property
    def kind(self) -> str:
        """'observation' or the memory type's name."""
        return "observation" if self.observation is not None else self.ref.split(":", 1)[0]


@dataclass(frozen=True)
class Answer:
    """An answer from the local model, with the hits that support it."""

    question: str
    text: str
    citations: tuple[SearchHit, ...] = ()
    found_anything: bool = True
