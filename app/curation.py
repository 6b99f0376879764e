"""What the Memories view does to memories: find, explain (provenance, history), edit."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from app.errors import AppError
from app.services import Engram, HistoryEntry, Memory, MemoryType, Observation
from memory import StoreError

EDIT_CAUSE = "edited by the user"


@dataclass(frozen=True)
class MemoryDetails:
    """A memory with why it says what it says."""

    memory: Memory
    history: tuple[HistoryEntry, ...]
    sources: tuple[Observation, ...]


def find(engram: Engram, query: str = "", kind: MemoryType | None = None, limit: int = 500) -> list[Memory]:
    """Memories of `kind` (or all), matching `query` by full-text search when one is given."""
    try:
        if not query.strip():
            return engram.memories(kind, limit=limit)
        hits = engram.store.search_memories(query, k=limit, kinds=[kind] if kind else None)
    except StoreError as exc:
        raise AppError(str(exc)) from None
    return [m for m, _ in hits]


def counts(engram: Engram) -> dict[str, int]:
    return {kind.value: n for kind, n in engram.store.counts().memories.items()}


def details(engram: Engram, memory_id: str) -> MemoryDetails:
    try:
        memory = engram.store.get(memory_id)
        history = tuple(engram.store.history(memory_id))
        sources = tuple(engram.store.observations(ids=memory.sources)) if memory.sources else ()
    except StoreError as exc:
        raise AppError(str(exc)) from None
    return MemoryDetails(memory, history, sources)


def edit(engram: Engram, memory_id: str, changes: dict[str, object]) -> Memory:
    """Change some fields of a memory; the old value stays in its history."""
    try:
        old = engram.store.get(memory_id)
        new = dataclasses.replace(old, **{k: _coerce(old, k, v) for k, v in changes.items()})
        return engram.store.update(memory_id, new, cause=EDIT_CAUSE)
    except StoreError as exc:
        raise AppError(str(exc)) from None
    except TypeError as exc:  # an unknown field name
        raise AppError(f"cannot edit {memory_id}: {exc}") from None


def _coerce(old: Memory, name: str, value: object) -> object:
    """A value typed by the editor (text) in the field's own type."""
    current = getattr(old, name)
    if isinstance(value, str):
        if isinstance(current, tuple):
            return tuple(line.strip() for line in value.splitlines() if line.strip())
        if isinstance(current, int) and not isinstance(current, bool):
            try:
                return int(value)
            except ValueError:
                raise AppError(f"{name} must be a whole number") from None
        if isinstance(current, datetime) or (current is None and name.endswith("_at")):
            if not value.strip():
                return None
            try:
                return datetime.fromisoformat(value.strip()).astimezone()
            except ValueError:
                raise AppError(f"{name} must be a date and time like 2025-03-04 10:42") from None
    return value
