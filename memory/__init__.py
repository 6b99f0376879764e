"""Engram's memory: the encrypted store, the six memory types, models, managers and retrieval.

Never imports Qt, `capture`, `ui` or `app`.
"""

from memory.errors import KeyFileError, ModelError, StoreError, ValidationError, WrongPassphrase
from memory.frames import DiskFull, FrameFile, FrameMissing, FrameStore, MigrateReport, PruneReport
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
    parse_memory_id,
)
from memory.store import MemoryStore

__all__ = [
    "MEMORY_CLASSES",
    "Answer",
    "CoreBlock",
    "DiskFull",
    "EpisodicEvent",
    "ForgetReport",
    "FrameFile",
    "FrameMissing",
    "FrameStore",
    "HistoryEntry",
    "KdfParams",
    "KeyFileError",
    "Memory",
    "MemoryStore",
    "MemoryType",
    "MigrateReport",
    "ModelError",
    "NewObservation",
    "Observation",
    "ProceduralEntry",
    "PruneReport",
    "ResourceItem",
    "SearchHit",
    "SemanticFact",
    "StoreCounts",
    "StoreError",
    "ValidationError",
    "VaultEntry",
    "WrongPassphrase",
    "create_key_file",
    "parse_memory_id",
    "rewrap_key_file",
    "unlock_key_file",
]
