"""Change detection: unchanged costs nothing, one new line yields one band, new windows are
read in full, exact repeats are recognised."""

from datetime import UTC, datetime

import numpy as np
import pytest

from capture import Change, ChangeDetector, Frame, Monitor, Region, ScreenError

MON = Monitor(1, 0, 0, 640, 480)


def frame(pixels: np.ndarray) -> Frame:
    return Frame.of(MON, datetime.now(UTC), pixels)


def blank() -> np.ndarray:
    return np.full((480, 640, 3), 255, dtype=np.uint8)


def with_line(pixels: np.ndarray, y: int, x0: int = 20, x1: int = 200) -> np.ndarray:
    out = pixels.copy()
    out[y:y + 12, x0:x1:3] = 0  # a row of "letters"
    return out


def test_first_frame_is_read_in_full_then_unchanged_is_none():
    d = ChangeDetector()
    first = d.detect(frame(blank()), "w")
    assert first.kind is Change.FULL and first.regions == (Region(0, 0, 640, 480),)
    assert d.detect(frame(blank()), "w").kind is Change.NONE


def test_one_new_line_yields_one_full_width_band_around_it():
    d = ChangeDetector()
    d.detect(frame(blank()), "w")
    result = d.detect(frame(with_line(blank(), 200, 300, 340)), "w")
    assert result.kind is Change.REGIONS
    (band,) = result.regions
    assert band.x == 0 and band.width == 640  # the whole line is read, not just the new word
    assert band.y <= 200 and band.y + band.height >= 212
    assert band.height < 60


def test_band_spans_the_active_window_when_known():
    d = ChangeDetector()
    d.detect(frame(blank()), "w", span=(100, 500))
    (band,) = d.detect(frame(with_line(blank(), 100, 150, 200)), "w", span=(100, 500)).regions
    assert (band.x, band.width) == (100, 400)


def test_two_distant_changes_yield_two_bands():
    d = ChangeDetector()
    d.detect(frame(blank()), "w")
    pixels = with_line(with_line(blank(), 50), 400)
    assert len(d.detect(frame(pixels), "w").regions) == 2


def test_a_new_window_or_a_big_change_is_read_in_full():
    d = ChangeDetector()
    d.detect(frame(blank()), "w")
    assert d.detect(frame(with_line(blank(), 10)), "other").kind is Change.FULL
    big = blank()
    big[:300] = 0
    assert d.detect(frame(big), "other").kind is Change.FULL


def test_a_state_already_read_is_a_repeat():
    d = ChangeDetector()
    on, off = with_line(blank(), 100), blank()  # a blinking cursor, say
    d.detect(frame(off), "w")
    d.detect(frame(on), "w")
    result = d.detect(frame(off), "w")
    assert result.kind is Change.NONE and result.repeat


def test_reset_makes_the_next_frame_full_even_if_seen():
    d = ChangeDetector()
    d.detect(frame(blank()), "w")
    d.reset(1)
    assert d.detect(frame(blank()), "w").kind is Change.FULL


def test_a_monitor_that_changes_size_is_read_in_full():
    d = ChangeDetector()
    d.detect(frame(blank()), "w")
    small = Frame.of(Monitor(1, 0, 0, 320, 240), datetime.now(UTC), np.zeros((240, 320, 3), np.uint8))
    assert d.detect(small, "w").kind is Change.FULL


@pytest.mark.parametrize("pixels", [
    np.zeros((0, 640, 3), np.uint8),  # zero size
    np.zeros((480, 640), np.uint8),  # no colour channels
    np.zeros((480, 640, 3), np.float32),
    b"\x89PNG garbage",
])
def test_zero_size_or_corrupt_frames_are_refused(pixels):
    with pytest.raises(ScreenError):
        Frame.of(MON, datetime.now(UTC), pixels)
