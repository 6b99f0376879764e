"""Kept frames: encrypted files named by id, refused under another key, pruned by age and size."""

import os
import secrets
import time

import pytest

from memory import DiskFull, FrameMissing, FrameStore, StoreError

PNG = b"\x89PNG\r\n\x1a\n" + b"pixels" * 100


def test_put_get_delete_round_trip(tmp_path, key):
    frames = FrameStore(tmp_path / "frames", key)
    frame_id = frames.put(PNG)
    assert len(frame_id) == 32 and frames.get(frame_id) == PNG
    assert b"pixels" not in (tmp_path / "frames" / frame_id).read_bytes()
    assert frames.delete(frame_id) and not frames.delete(frame_id)
    with pytest.raises(FrameMissing):
        frames.get(frame_id)


def test_wrong_key_renamed_or_damaged_files_are_refused(tmp_path, key):
    frames = FrameStore(tmp_path, key)
    a, b = frames.put(PNG), frames.put(PNG + b"2")
    with pytest.raises(StoreError, match="another key"):
        FrameStore(tmp_path, secrets.token_bytes(32)).get(a)
    os.replace(tmp_path / b, tmp_path / a)  # a file moved under another frame's name
    with pytest.raises(StoreError):
        frames.get(a)
    (tmp_path / b).write_bytes(b"EGF1short")
    with pytest.raises(StoreError, match="damaged"):
        frames.get(b)
    with pytest.raises(FrameMissing):
        frames.get("../engram.db")


def test_prune_by_age_then_by_size(tmp_path, key):
    frames = FrameStore(tmp_path, key)
    ids = [frames.put(PNG) for _ in range(4)]
    now = time.time()
    for age_days, frame_id in zip((40, 3, 2, 1), ids, strict=True):
        t = now - age_days * 86400
        os.utime(tmp_path / frame_id, (t, t))
    size = (tmp_path / ids[0]).stat().st_size
    report = frames.prune(max_age_days=30, max_bytes=2 * size, now=now)
    assert report.deleted == 2 and report.kept == 2
    assert sorted(frames.ids()) == sorted(ids[2:])  # the oldest went first


def test_prune_tells_which_frames_go_before_deleting_them(tmp_path, key):
    frames = FrameStore(tmp_path, key)
    old, new = frames.put(PNG), frames.put(PNG)
    t = time.time() - 40 * 86400
    os.utime(tmp_path / old, (t, t))
    told = []
    report = frames.prune(max_age_days=30, unlink=lambda ids: told.append((ids, sorted(frames.ids()))))
    assert told == [([old], sorted([old, new]))]  # told while the file was still there
    assert report.ids == (old,) and frames.ids() == [new]

    def refuse(ids):
        raise StoreError("database is locked")

    os.utime(tmp_path / new, (t, t))
    with pytest.raises(StoreError):
        frames.prune(max_age_days=30, unlink=refuse)
    assert frames.ids() == [new]  # nothing deleted when the links could not be dropped


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_a_full_disk_is_a_clear_error_and_leaves_no_file(tmp_path, key, monkeypatch):
    frames = FrameStore(tmp_path, key)
    real_open = os.open
    # Every write to /dev/full fails with ENOSPC, as on a full disk.
    monkeypatch.setattr(os, "open", lambda path, flags, mode=0o777: real_open("/dev/full", os.O_WRONLY))
    with pytest.raises(DiskFull, match="disk is full"):
        frames.put(PNG)
    monkeypatch.undo()
    assert frames.ids() == [] and list(tmp_path.iterdir()) == []
