"""Encrypted archives: a round trip keeps everything; a wrong passphrase or a cut file imports nothing."""

import pytest

from app import archive
from app.errors import AppError
from app.paths import Paths
from app.services import Engram
from memory import FrameStore
from tests.conftest import FAST_KDF
from tests.ui.seed import seed_memories, seed_observations

SECRET = "archive passphrase here"


@pytest.fixture
def source(tmp_path):
    e = Engram.create(Paths(tmp_path / "source"), "pass phrase one", FAST_KDF)
    seed_observations(e)
    seed_memories(e)
    yield e
    e.close()


@pytest.fixture
def target(tmp_path):
    e = Engram.create(Paths(tmp_path / "target"), "pass phrase two", FAST_KDF)
    yield e
    e.close()


def test_round_trip_keeps_observations_frames_memories_and_provenance(source, target, tmp_path):
    path = tmp_path / "all.engram-archive"
    report = archive.export_archive(source, path, SECRET, kdf=FAST_KDF)
    assert (report.observations, report.memories, report.frames) == (125, 12, 8)
    raw = path.read_bytes()
    assert b"Lisbon" not in raw and b"4471#" not in raw and b"\x89PNG" not in raw
    got = archive.import_archive(target, path, SECRET)
    assert (got.observations, got.memories, got.frames, got.skipped) == (125, 12, 8, 0)
    assert [(o.time, o.app, o.text) for o in target.observations()] == \
        [(o.time, o.app, o.text) for o in source.observations()]
    flight = next(m for m in target.memories() if m.headline().startswith("Booked a flight"))
    assert [o.app for o in target.store.observations(ids=flight.sources)] == ["Firefox"] * 3
    frames = FrameStore(target.paths.frames, target.data_key)
    kept = [o for o in target.observations() if o.frame_id]
    assert len(kept) == 8 and frames.get(kept[0].frame_id).startswith(b"\x89PNG")
    again = archive.import_archive(target, path, SECRET)
    assert (again.observations, again.memories, again.skipped) == (0, 0, 137)
    assert len(target.observations()) == 125
    assert len(FrameStore(target.paths.frames, target.data_key).ids()) == 8  # no orphan frames


def test_a_wrong_passphrase_imports_nothing(source, target, tmp_path):
    path = tmp_path / "a.engram-archive"
    archive.export_archive(source, path, SECRET, kdf=FAST_KDF)
    with pytest.raises(AppError, match="wrong passphrase"):
        archive.import_archive(target, path, "not the one")
    assert target.status().observations == 0


@pytest.mark.parametrize("damage", ["cut", "flip", "not an archive"])
def test_a_damaged_archive_imports_nothing(source, target, tmp_path, damage):
    path = tmp_path / "a.engram-archive"
    archive.export_archive(source, path, SECRET, kdf=FAST_KDF)
    raw = bytearray(path.read_bytes())
    if damage == "cut":
        raw = raw[: len(raw) - 40]
    elif damage == "flip":
        raw[len(raw) // 2] ^= 0xFF
    else:
        raw = bytearray(b"hello world\n" * 10)
    path.write_bytes(bytes(raw))
    with pytest.raises(AppError):
        archive.import_archive(target, path, SECRET)
    assert target.status().observations == 0 and target.status().memories == {k: 0 for k in
                                                                              target.status().memories}


def test_export_to_an_unwritable_place_says_so(source, tmp_path):
    with pytest.raises(AppError, match="could not write the archive"):
        archive.export_archive(source, tmp_path / "missing" / "a.engram-archive", SECRET, kdf=FAST_KDF)


def test_erase_everything_leaves_nothing_readable(source):
    root = source.paths.root
    (root / "my-notes.txt").write_text("not Engram's")  # a user's file in the folder is left alone
    archive.erase_everything(source)
    assert not source.paths.is_initialized()
    assert sorted(p.name for p in root.rglob("*")) == ["my-notes.txt"]
