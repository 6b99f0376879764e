"""Encrypted archives: a round trip keeps everything; a wrong passphrase or a cut file imports nothing."""

from datetime import UTC, datetime

import pytest

from app import archive, conversation, preferences
from app.conversation import Source, Turn
from app.daemon import (
    BEAT_FILE,
    HEALTH_KEY,
    PAUSE_KEY,
    WINDOW_PROCESS_KEY,
    CaptureSettings,
    load_capture_settings,
    save_capture_settings,
)
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
    assert b"Lisbon" not in raw and b"4471#" not in raw and b"WEBP" not in raw
    got = archive.import_archive(target, path, SECRET)
    assert (got.observations, got.memories, got.frames, got.skipped) == (125, 12, 8, 0)
    assert [(o.time, o.app, o.text) for o in target.observations()] == \
        [(o.time, o.app, o.text) for o in source.observations()]
    flight = next(m for m in target.memories() if m.headline().startswith("Booked a flight"))
    assert [o.app for o in target.store.observations(ids=flight.sources)] == ["Firefox"] * 3
    frames = FrameStore(target.paths.frames, target.data_key)
    kept = [o for o in target.observations() if o.frame_id]
    assert len(kept) == 8 and frames.get(kept[0].frame_id)[8:12] == b"WEBP"
    again = archive.import_archive(target, path, SECRET)
    assert (again.observations, again.memories, again.skipped) == (0, 0, 137)
    assert len(target.observations()) == 125
    assert len(FrameStore(target.paths.frames, target.data_key).ids()) == 8  # no orphan frames


def test_round_trip_restores_settings_memory_history_and_the_ask_history(source, target, tmp_path):
    flight = next(m for m in source.memories() if m.headline().startswith("Booked a flight"))
    seen = source.observations(app="Firefox")[0]
    save_capture_settings(source, CaptureSettings(interval=7, excluded_apps=("Signal",)))
    preferences.set_theme(source, "dark")
    preferences.set_capture_at_start(source, False)
    source.store.set_setting("keyring_cache", True)  # this machine's keyring: not exported
    source.store.set_setting("capture_health", {"running": True, "pid": 1})
    source.store.set_setting("model_path", str(tmp_path / "gone.gguf"))  # not on the new machine
    conversation.append(source, Turn(question="When do I fly?", answer="Friday.", at=datetime.now(UTC),
                                     sources=(Source(f"obs:{seen.id}", "observation", "flight page"),
                                              Source(flight.id, "episodic", flight.headline()),
                                              Source("obs:999999", "observation", "long gone"))))
    source.store.mark_observations([seen.id], 1)
    path = tmp_path / "all.engram-archive"
    assert archive.export_archive(source, path, SECRET, kdf=FAST_KDF).settings == 5  # with model_path
    report = archive.import_archive(target, path, SECRET)
    assert report.settings == 4 and "and 4 settings" in report.summary("Imported")

    assert load_capture_settings(target) == CaptureSettings(interval=7, excluded_apps=("Signal",))
    assert preferences.theme(target) == "dark" and preferences.capture_at_start(target) is False
    assert {"keyring_cache", "capture_health", "model_path"}.isdisjoint(target.store.settings())
    assert {HEALTH_KEY, PAUSE_KEY, WINDOW_PROCESS_KEY} <= archive.LOCAL_SETTINGS

    copy = next(m for m in target.memories() if m.headline().startswith("Booked a flight"))
    old, new = source.store.history(flight.id), target.store.history(copy.id)
    assert [(e.operation, e.at, e.cause, e.old, e.new) for e in new] == \
        [(e.operation, e.at, e.cause, e.old, e.new) for e in old]
    assert (copy.created_at, copy.updated_at) == (old[0].at, old[-1].at)
    assert target.status().pending_observations == source.status().pending_observations

    [turn] = conversation.history(target)
    assert turn.question == "When do I fly?"
    assert [s.ref for s in turn.sources] == [f"obs:{turn.sources[0].observation_id}", copy.id]
    assert target.store.observations(ids=[turn.sources[0].observation_id])[0].text == seen.text

    again = archive.import_archive(target, path, SECRET)
    assert again.memories == 0 and len(conversation.history(target)) == 1
    assert len(target.store.history(copy.id)) == len(old)


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
    (root / BEAT_FILE).write_bytes(bytes(4096))  # the capture daemon's heartbeat slot
    archive.erase_everything(source)
    assert not source.paths.is_initialized()
    assert sorted(p.name for p in root.rglob("*")) == ["my-notes.txt"]
