"""Kept frames through the app: forget by app and by time range inside a chunk (proven by decoding
what is left), how many days the space limit holds, and moving frames of earlier versions."""

import io
import os
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from app.cli import main
from app.daemon import CaptureSettings, save_capture_settings
from app.frames import FrameRetention, frame_retention, migrate_frames
from app.paths import Paths
from app.services import Engram
from app.storage import settings_snapshot
from app.timeline import frame_image
from memory import FrameStore, NewObservation
from tests.conftest import FAST_KDF
from tests.memory.test_frames import day_of

PASS = "frames pass phrase"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MAIL = (1, 222, 3)  # a colour only Mail's frames show


@pytest.fixture
def engram(tmp_path):
    e = Engram.create(Paths(tmp_path / "data"), PASS, FAST_KDF)
    yield e
    e.close()


def keep_day(engram, n=12):
    """n frames of one monitor in one chunk; the odd ones are Mail's and show MAIL."""
    frames = FrameStore(engram.paths.frames, engram.data_key)
    shots = day_of(n)
    for i in range(1, n, 2):
        shots[i] = shots[i].copy()
        shots[i][150:175, 30:200] = MAIL
    ids = [frames.keep(s, stream="monitor 1") for s in shots]
    engram.store.add_observations([
        NewObservation(time=T0 + timedelta(seconds=3 * i), text=f"frame {i}", app="Mail" if i % 2 else "Editor",
                       source_id=str(i), frame_id=ids[i]) for i in range(n)])
    return frames, shots, ids


def decode_all(frames):
    return {frame_id: frames.pixels(frame_id) for frame_id in frames.ids()}


def test_forgetting_an_app_removes_its_pixels_from_the_chunk(engram):
    frames, shots, ids = keep_day(engram)
    report = engram.forget(app="Mail")
    assert sorted(report.frames) == sorted(ids[1::2])
    left = decode_all(FrameStore(engram.paths.frames, engram.data_key))
    assert sorted(left) == sorted(ids[0::2])
    for i in range(0, 12, 2):
        assert np.array_equal(left[ids[i]], shots[i])
    assert not any((p == MAIL).all(axis=2).any() for p in left.values())
    assert [o.frame_id for o in engram.observations()] == ids[0::2]


def test_forgetting_a_time_range_removes_those_frames_from_the_chunk(engram):
    frames, shots, ids = keep_day(engram)
    engram.forget(since=T0 + timedelta(seconds=9), until=T0 + timedelta(seconds=21))  # frames 3..6
    left = decode_all(FrameStore(engram.paths.frames, engram.data_key))
    assert sorted(left) == sorted(ids[:3] + ids[7:])
    for i in (0, 1, 2, 7, 8, 9, 10, 11):
        assert np.array_equal(left[ids[i]], shots[i])
    assert not any(np.array_equal(p, shots[i]) for p in left.values() for i in (3, 4, 5, 6))


def test_the_timeline_opens_a_chunk_frame_at_once_and_an_old_file_as_it_was(engram):
    frames, shots, ids = keep_day(engram, 3)
    data = frame_image(engram, ids[2])
    assert data.startswith(b"P6\n250 190\n255\n")  # no encoding on the way to the screen
    with Image.open(io.BytesIO(data)) as im:
        assert np.array_equal(np.asarray(im), shots[2])
    buf = io.BytesIO()
    Image.fromarray(shots[0]).save(buf, "WEBP", lossless=True)
    old = frames.put(buf.getvalue())
    assert frame_image(engram, old) == buf.getvalue()


def test_frames_of_earlier_versions_move_into_chunks_and_stay_linked(engram):
    frames = FrameStore(engram.paths.frames, engram.data_key)
    shots = day_of(5)
    olds = []
    for shot in shots:
        buf = io.BytesIO()
        Image.fromarray(shot).save(buf, "PNG")
        olds.append(frames.put(buf.getvalue()))
    engram.store.add_observations([  # stored out of order: migration goes by the time seen
        NewObservation(time=T0 + timedelta(seconds=3 * i), text=f"f {i}", source_id=str(i), frame_id=olds[i])
        for i in (3, 0, 4, 1, 2)])
    seen = []
    report = migrate_frames(engram, lambda done, total: seen.append((done, total)))
    assert report.moved == 5 and seen[-1] == (5, 5) and frames.single_files() == []
    by_text = {o.text: o.frame_id for o in engram.observations()}
    for i in range(5):
        assert by_text[f"f {i}"][:28] == by_text["f 0"][:28]
        assert np.array_equal(frames.pixels(by_text[f"f {i}"]), shots[i])
    result = CliRunner().invoke(main, ["--data-dir", str(engram.paths.root), "frames", "migrate"],
                                env={"ENGRAM_PASSPHRASE": PASS})
    assert result.exit_code == 0, result.output
    assert "moved 0 frames" in result.output


def test_retention_says_how_many_days_the_space_limit_holds(engram, tmp_path):
    now = time.time()
    empty = frame_retention(engram, now=now)
    assert (empty.frames, empty.bytes_per_day, empty.days_held) == (0, None, None)
    assert empty.line() == "none kept; kept for 30 days or 5.0 GB (no recent frames to tell the rate)"
    frames = FrameStore(engram.paths.frames, engram.data_key)
    names = []
    for day in range(3):  # three days of frames, one chunk a day
        frame_id = frames.keep(day_of(1)[0], stream=f"day {day}")
        path = engram.paths.frames / (frame_id[:28] + ".egc")
        t = now - (2 - day) * 86400 - 3600
        os.utime(path, (t, t))
        names.append(path)
    size = sum(p.stat().st_size for p in names)
    got = frame_retention(engram, now=now)
    # three chunks written over 2 days and an hour: that many bytes a day
    assert got.frames == 3 and got.stored_bytes == size
    assert got.bytes_per_day == pytest.approx(size / (2 + 3600 / 86400))
    assert got.days_held == pytest.approx(5e9 / got.bytes_per_day) and not got.cap_cuts_in
    assert "the 5.0 GB limit holds about" in got.line() and "the 30-day limit applies" in got.line()
    # a space limit that holds fewer days than the day limit: a warning
    save_capture_settings(engram, CaptureSettings(retention_days=30, retention_gb=size * 10 / 1e9))
    tight = frame_retention(engram, now=now)
    assert tight.cap_cuts_in and tight.days_held == pytest.approx(10 * (2 + 3600 / 86400))
    assert "warning: the" in tight.line() and "holds only 20 days" in tight.line()
    assert engram.status().extra["frames"] == tight.line()  # `engram status`
    snapshot = settings_snapshot(engram)  # what Settings shows
    assert snapshot.retention.cap_cuts_in and snapshot.retention.line() == tight.line()
    assert settings_snapshot(engram).usage.frames == 3
    shown = CliRunner().invoke(main, ["--data-dir", str(engram.paths.root), "status"],
                               env={"ENGRAM_PASSPHRASE": PASS})
    assert shown.exit_code == 0 and "frames:         " in shown.output and "holds only 20 days" in shown.output


def test_retention_figures_for_a_rate_without_a_limit():
    r = FrameRetention(stored_bytes=3_000_000_000, frames=10, keep_frames=True, bytes_per_day=100e6,
                       day_limit=None, cap_bytes=5_000_000_000)
    assert r.days_held == 50 and r.cap_cuts_in
    assert r.line() == "3.0 GB in 10 frames; 100 MB a day lately: the 5.0 GB limit holds about 50 days"
    off = FrameRetention(0, 0, False, None, 30, None)
    assert off.line() == "none kept; frames are not being kept"
