"""Kept frames: chunks of changes per monitor (and single files of earlier versions), encrypted,
refused under another key, forgotten without a trace, pruned by age and size, damage contained."""

import errno
import io
import os
import secrets
import time

import numpy as np
import pytest
from PIL import Image

import memory.frames as frames_module
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


# -- frames kept as changes (chunks) ----------------------------------------------------------------
def screen(seed: int, height: int = 190, width: int = 250) -> np.ndarray:
    """A screen of 'text': rows of random dark marks on a light page (not a tile multiple)."""
    rng = np.random.default_rng(seed)
    pixels = np.full((height, width, 3), 245, np.uint8)
    for y in range(4, height - 12, 14):
        marks = rng.random((9, width - 20)) < 0.3
        pixels[y:y + 9, 10:width - 10][marks] = (20, 20, 30)
    return pixels


def typed(pixels: np.ndarray, row: int, seed: int) -> np.ndarray:
    """`pixels` with one more line of text at `row` (a one-line change)."""
    out = pixels.copy()
    marks = np.random.default_rng(seed).random((9, 120)) < 0.4
    out[row:row + 9, 40:160][marks] = (200, 30, 30)
    return out


def chunk_files(folder):
    return sorted(p for p in folder.iterdir() if p.name.endswith(".egc"))


def day_of(n: int) -> list[np.ndarray]:
    frames = [screen(0)]
    for i in range(1, n):
        frames.append(typed(frames[-1], 4 + (i * 14) % 170, i))
    return frames


def test_frames_kept_as_changes_round_trip_exactly(tmp_path, key):
    frames = FrameStore(tmp_path, key)
    shots = day_of(70)
    other = [screen(100 + i, 130, 160) for i in range(3)]  # a second monitor, in between
    ids = []
    for i, shot in enumerate(shots):
        ids.append(frames.keep(shot, stream="monitor 1"))
        if i < 3:
            frames.keep(other[i], stream="monitor 2")
    assert all(len(i) == 32 for i in ids) and len(set(ids)) == 70
    assert len(chunk_files(tmp_path)) == 2  # one chunk a monitor
    again = FrameStore(tmp_path, key)  # another process reading
    for frame_id, shot in zip(ids, shots, strict=True):
        assert np.array_equal(again.pixels(frame_id), shot)
    assert sorted(again.ids()) == sorted(ids + [i for i in again.ids() if i[:28] != ids[0][:28]])
    # a one-line change costs a fraction of the whole frame (even on random 'text')
    size = (tmp_path / (ids[0][:28] + ".egc")).stat().st_size
    alone = FrameStore(tmp_path / "alone", key)
    assert size < 70 * len(alone.get(alone.keep(shots[0]))) / 3
    with Image.open(io.BytesIO(again.get(ids[5]))) as im:  # get(): a lossless WebP
        assert im.format == "WEBP" and np.array_equal(np.asarray(im.convert("RGB")), shots[5])
    assert again.get(ids[5], quick=True).startswith(b"P6\n250 190\n255\n")


def test_a_scrolled_screen_is_stored_as_moved_tiles(tmp_path, key):
    frames = FrameStore(tmp_path, key)
    page = screen(1, 700, 256)
    frames.keep(page[:640])
    (path,) = chunk_files(tmp_path)
    key_size = path.stat().st_size
    scrolled = frames.keep(page[14:654])  # the text moved up a line, one new line at the bottom
    assert path.stat().st_size - key_size < key_size / 8
    assert np.array_equal(FrameStore(tmp_path, key).pixels(scrolled), page[14:654])


def test_a_new_size_or_a_new_screen_starts_a_key_frame(tmp_path, key):
    frames = FrameStore(tmp_path, key)
    a = frames.keep(screen(1))
    b = frames.keep(screen(2, 100, 100))  # the monitor's resolution changed: a new chunk
    c = frames.keep(screen(3, 100, 100))  # everything new: a key frame in the same chunk
    assert a[:28] != b[:28] and b[:28] == c[:28]
    for frame_id, seed, shape in ((a, 1, (190, 250)), (b, 2, (100, 100)), (c, 3, (100, 100))):
        assert np.array_equal(frames.pixels(frame_id), screen(seed, *shape))
    with pytest.raises(StoreError, match="RGB pixels"):
        frames.keep(np.zeros((10, 10), np.uint8))


def test_forgetting_frames_inside_a_chunk_removes_their_pixels(tmp_path, key):
    frames = FrameStore(tmp_path, key)
    shots = day_of(12)
    secret = (7, 201, 99)  # a colour only the forgotten frames show
    for i in (4, 5, 6):
        shots[i] = shots[i].copy()
        shots[i][150:170, 20:220] = secret
    ids = [frames.keep(s) for s in shots]
    assert frames.forget(ids[4:7]) == 3
    assert frames.forget(ids[4:7]) == 0
    for i in (4, 5, 6):
        with pytest.raises(FrameMissing):
            frames.pixels(ids[i])
    left = [i for i in range(12) if i not in (4, 5, 6)]
    assert frames.ids() == [ids[i] for i in left]
    # Decode everything that is left: the kept frames are exact and none shows the secret.
    for i in left:
        pixels = frames.pixels(ids[i])
        assert np.array_equal(pixels, shots[i])
        assert not (pixels == secret).all(axis=2).any()
    # And no record of the rewritten chunk decrypts to the forgotten slots.
    (path,) = chunk_files(tmp_path)
    slots = [int(i[28:], 16) for i in frames.ids()]
    assert slots == left
    assert frames.delete(ids[0]) and not frames.delete(ids[0])
    assert np.array_equal(frames.pixels(ids[1]), shots[1])  # the next one became a key frame


def test_forgetting_every_frame_of_a_chunk_removes_the_file(tmp_path, key):
    frames = FrameStore(tmp_path, key)
    ids = [frames.keep(s) for s in day_of(3)]
    assert frames.forget(ids) == 3 and list(tmp_path.iterdir()) == []


def test_a_chunk_rewritten_by_another_store_is_not_appended_to(tmp_path, key):
    writer, other = FrameStore(tmp_path, key), FrameStore(tmp_path, key)
    shots = day_of(6)
    ids = [writer.keep(s) for s in shots[:4]]
    other.forget([ids[2]])  # e.g. `engram forget` while capture runs
    ids.append(writer.keep(shots[4]))
    ids.append(writer.keep(shots[5]))
    assert ids[4][:28] != ids[0][:28]  # the writer noticed and started a new chunk
    for i in (0, 1, 3, 4, 5):
        assert np.array_equal(other.pixels(ids[i]), shots[i])


def damage(path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def record_offsets(path) -> list[int]:
    data = path.read_bytes()
    offsets, pos = [], data.find(b"EGR1")
    while pos >= 0:
        offsets.append(pos)
        pos = data.find(b"EGR1", pos + 1)
    return offsets


def test_a_damaged_chunk_costs_only_the_frames_decoded_through_the_damage(tmp_path, key, monkeypatch):
    monkeypatch.setattr(frames_module, "KEY_EVERY", 4)  # key frames at slots 0, 4, 8
    frames = FrameStore(tmp_path, key)
    shots = day_of(10)
    ids = [frames.keep(s) for s in shots]
    spare = FrameStore(tmp_path, key).keep(screen(9))  # another chunk
    path = next(p for p in chunk_files(tmp_path) if p.name.startswith(ids[0][:28]))
    offsets = record_offsets(path)
    assert len(offsets) == 10
    damage(path, offsets[5] + 40)  # inside the ciphertext of slot 5 (a change)
    for i in (5, 6, 7):
        with pytest.raises(StoreError, match="damaged"):
            frames.pixels(ids[i])
    for i in (0, 1, 2, 3, 4, 8, 9):
        assert np.array_equal(frames.pixels(ids[i]), shots[i])
    assert np.array_equal(frames.pixels(spare), screen(9))
    damage(path, offsets[1] + 5)  # a length field: the records after it are found again
    assert np.array_equal(frames.pixels(ids[9]), shots[9])
    assert np.array_equal(frames.pixels(ids[0]), shots[0])
    with pytest.raises(StoreError, match="damaged"):
        frames.pixels(ids[1])
    path.write_bytes(path.read_bytes()[:-7])  # a crash in the middle of the last write
    with pytest.raises(StoreError, match="damaged"):
        frames.pixels(ids[9])
    assert np.array_equal(frames.pixels(ids[8]), shots[8])


def test_a_chunk_under_another_key_is_refused(tmp_path, key):
    frame_id = FrameStore(tmp_path, key).keep(screen(1))
    with pytest.raises(StoreError, match="another key"):
        FrameStore(tmp_path, secrets.token_bytes(32)).pixels(frame_id)


def test_prune_removes_whole_chunks_oldest_first(tmp_path, key):
    frames = FrameStore(tmp_path, key)
    old = [frames.keep(s, stream="a") for s in day_of(3)]
    new = [frames.keep(s, stream="b") for s in day_of(2)]
    t = time.time() - 40 * 86400
    old_path = tmp_path / (old[0][:28] + ".egc")
    os.utime(old_path, (t, t))
    told = []
    report = frames.prune(max_age_days=30, unlink=told.append)
    assert told == [old] and report.ids == tuple(old) and report.deleted == 3 and report.kept == 2
    assert frames.ids() == new
    after = frames.keep(day_of(3)[2], stream="a")  # the stream's chunk went: a new one starts
    assert np.array_equal(frames.pixels(after), day_of(3)[2])


def test_frames_of_earlier_versions_open_and_migrate(tmp_path, key):
    frames = FrameStore(tmp_path, key)
    shots = day_of(4)
    olds = []
    for shot in shots:
        buf = io.BytesIO()
        Image.fromarray(shot).save(buf, "PNG")
        olds.append(frames.put(buf.getvalue()))
    assert np.array_equal(frames.pixels(olds[2]), shots[2])  # a single file still opens
    (tmp_path / olds[3]).write_bytes(b"EGF1" + b"\0" * 40)  # damaged: stays as it is
    relinked, seen = {}, []
    report = frames.migrate(olds, relinked.update, progress=lambda done, total: seen.append((done, total)),
                            batch=2)
    assert report.moved == 3 and report.unreadable == (olds[3],) and seen == [(2, 4), (4, 4)]
    assert sorted(frames.single_files()) == [olds[3]]
    for i in range(3):
        assert np.array_equal(frames.pixels(relinked[olds[i]]), shots[i])
    assert len({v[:28] for v in relinked.values()}) == 1  # one chunk
    assert report.bytes_after < report.bytes_before


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_a_full_disk_while_keeping_a_chunk_frame_leaves_no_half_record(tmp_path, key, monkeypatch):
    frames = FrameStore(tmp_path, key)
    shots = day_of(3)
    first = frames.keep(shots[0])
    (path,) = chunk_files(tmp_path)
    size = path.stat().st_size
    real_write = os.write

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(DiskFull, match="disk is full"):
        frames.keep(shots[1])
    with pytest.raises(DiskFull):
        frames.keep(shots[1], stream="another monitor")
    monkeypatch.setattr(os, "write", real_write)
    assert path.stat().st_size == size and chunk_files(tmp_path) == [path]
    later = frames.keep(shots[2])
    assert np.array_equal(frames.pixels(later), shots[2]) and np.array_equal(frames.pixels(first), shots[0])


def test_at_most_a_few_streams_stay_open_and_a_closed_one_starts_a_new_chunk(tmp_path):
    import secrets as _secrets

    import numpy as _np

    from memory.frames import MAX_STREAMS, FrameStore

    store = FrameStore(tmp_path / "frames", _secrets.token_bytes(32))
    frame = _np.zeros((64, 96, 3), _np.uint8)
    first = [store.keep(frame, stream=f"window {n}") for n in range(MAX_STREAMS + 2)]
    again = store.keep(frame, stream="window 0")  # used longest ago, so closed: a new chunk
    assert again[:28] != first[0][:28]
    latest = store.keep(frame, stream=f"window {MAX_STREAMS + 1}")  # still open: the same chunk
    assert latest[:28] == first[-1][:28]
