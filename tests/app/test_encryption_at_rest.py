"""Proof that nothing under the data directory is readable without the key."""

import io
import sqlite3
import uuid
from datetime import UTC, datetime

import numpy as np
import pytest
from PIL import Image

from app.paths import Paths
from app.services import Engram
from memory import (
    CoreBlock,
    EpisodicEvent,
    FrameStore,
    NewObservation,
    ProceduralEntry,
    ResourceItem,
    SemanticFact,
    VaultEntry,
)
from tests.memory.test_frames import day_of


def files_containing(root, needle: bytes):
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_a_canary_in_every_layer_appears_in_no_file(tmp_path):
    canary = f"canary{uuid.uuid4().hex}"
    paths = Paths(tmp_path / "data")
    engram = Engram.create(paths, "a long passphrase")
    t = datetime(2024, 1, 2, 3, 4, tzinfo=UTC)
    [oid] = engram.store.add_observations(
        [NewObservation(time=t, text=f"text {canary}", app=f"app{canary}", title=f"t {canary}",
                        url=f"https://x/{canary}", source_id=canary)])
    for memory in (
        CoreBlock(label="human", value=f"about {canary}"),
        EpisodicEvent(occurred_at=t, summary=f"did {canary}", details=canary, app=canary),
        SemanticFact(name=canary, summary=f"fact {canary}"),
        ProceduralEntry(summary=f"how {canary}", steps=(canary,)),
        ResourceItem(title=canary, summary=canary, location=f"/home/{canary}"),
        VaultEntry(caption=canary, value=canary, sensitivity="high"),
    ):
        stored = engram.store.add(memory, sources=[oid], cause=f"cause {canary}")
        engram.store.update(stored.id, memory, cause=canary)
    engram.store.set_setting(canary, canary)
    # Frames: a chunk of changes (a key frame, changed tiles, moved tiles) and a single file.
    frames = FrameStore(paths.frames, engram.data_key)
    shots = day_of(4)
    shots[3] = np.roll(shots[2], -14, axis=0)  # scrolled
    for shot in shots:
        frames.keep(shot, stream="monitor 1")
    buf = io.BytesIO()
    Image.fromarray(shots[0]).save(buf, "PNG")
    frames.put(buf.getvalue())
    frame_files = sorted(p.suffix for p in paths.frames.iterdir())
    assert frame_files == ["", ".egc"]
    # No image in clear (PNG, WebP), no pixel row of a frame, no canary
    needles = [canary.encode(), canary.encode("utf-16-le"), b"\x89PNG", b"RIFF", b"WEBP",
               shots[0][20].tobytes()[:64], shots[3][40].tobytes()[:64]]
    # While open (the write-ahead log holds the latest pages) and after closing.
    assert not any(files_containing(paths.root, n) for n in needles)
    engram.close()
    assert sorted(p.name for p in paths.root.iterdir()) == ["engram.db", "engram.key", "frames"]
    assert not any(files_containing(paths.root, n) for n in needles)
    with sqlite3.connect(paths.database) as plain, pytest.raises(sqlite3.DatabaseError):
        plain.execute("SELECT count(*) FROM sqlite_master").fetchone()
    with Engram.unlock(paths, "a long passphrase") as again:  # and the data is all there
        assert again.status().memories == {k: 1 for k in again.status().memories}
        assert again.store.search_observations(canary)
