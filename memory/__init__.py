"""Engram's memory: the encrypted store, the six memory types, models, managers and retrieval.

Never imports Qt, `capture`, `ui` or `app`.
"""

from memory.errors import (
    DatabaseDamaged,
    DatabaseEmpty,
    KeyFileError,
    ModelError,
    ReadOnlyStore,
    StoreError,
    ValidationError,
    WrongPassphrase,
)
from memory.frames import DiskFull, FrameMissing, FrameStore, PruneReport
from memory.keys import KdfParams, create_key_file, rewrap_key_file, unlock_key_file
from memory.models import (
    MEMORY_CLASSES,
    Answer,
    CoreBlock,
    EpisodicEvent,
    ForgetReport,
    HistoryEntry,
    Memory,
    MemoryType,
    NewObservation,
    Observation,
    ProceduralEntry,
    ResourceItem,
    SearchHit,
    SemanticFact,
    StoreCounts,
    VaultEntry,
    checked_time,
    clamped_time,
    parse_memory_id,
)
from memory.store import MemoryStore

__all__ = [
    "MEMORY_CLASSES",
    "Answer",
    "CoreBlock",
    "DatabaseDamaged",
    "DatabaseEmpty",
    "DiskFull",
    "EpisodicEvent",
    "ForgetReport",
    "FrameMissing",
    "FrameStore",
    "HistoryEntry",
    "KdfParams",
    "KeyFileError",
    "Memory",
    "MemoryStore",
    "MemoryType",
    "ModelError",
    "NewObservation",
    "Observation",
    "ProceduralEntry",
    "PruneReport",
    "ReadOnlyStore",
    "ResourceItem",
    "SearchHit",
    "SemanticFact",
    "StoreCounts",
    "StoreError",
    "ValidationError",
    "VaultEntry",
    "WrongPassphrase",
    "checked_time",
    "clamped_time",
    "create_key_file",
    "parse_memory_id",
    "rewrap_key_file",
    "unlock_key_file",
]
