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
    win = Region(100, 0, 400, 480)
    d.detect(frame(blank()), "w", win)
    (band,) = d.detect(frame(with_line(blank(), 100, 150, 200)), "w", win).regions
    assert (band.x, band.width) == (100, 400)


def test_a_window_off_the_cell_grid_still_bounds_its_bands():
    d = ChangeDetector()
    win = Region(41, 0, 400, 480)  # not a multiple of the thumbnail cell
    d.detect(frame(blank()), "w", win)
    (band,) = d.detect(frame(with_line(blank(), 100, 45, 200)), "w", win).regions
    assert (band.x, band.width) == (41, 400)


def test_a_thin_column_changed_down_many_lines_is_read_as_a_column():
    d = ChangeDetector()
    win = Region(0, 0, 640, 480)
    d.detect(frame(blank()), "w", win)
    pixels = blank()
    pixels[40:440, 600:606] = 0  # a scroll bar, say
    result = d.detect(frame(pixels), "w", win)
    assert result.kind is Change.REGIONS
    (column,) = result.regions
    assert column.width <= 3 * 8 + 20 and column.height >= 400


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


def test_a_new_window_is_read_whole_with_what_changed_around_it_not_the_whole_screen():
    d = ChangeDetector()
    d.detect(frame(blank()), "w")
    win = Region(300, 200, 300, 200)
    pixels = with_line(blank(), 20, 20, 200)  # something else changed too, above the window
    pixels[200:400, 300:600] = 200
    result = d.detect(frame(pixels), "new", win)
    assert result.kind is Change.FULL
    assert result.regions[0] == win
    (around,) = result.regions[1:]
    assert around.y <= 20 and around.y + around.height < 200


def test_switching_back_to_a_window_reads_only_what_changed_in_it_meanwhile():
    d = ChangeDetector()
    left, right = Region(0, 0, 320, 480), Region(320, 0, 320, 480)
    a = with_line(blank(), 100, 20, 300)
    d.detect(frame(a), "a", left)
    b = with_line(a, 300, 340, 600)  # window b draws its text; a is unchanged
    assert d.detect(frame(b), "b", right).kind is Change.FULL
    # back to a: unchanged since it was last in front, so nothing to read
    assert d.detect(frame(b), "a", left).kind is Change.NONE
    d.detect(frame(b), "b", right)
    # a got one new line while b was in front: only that line is read on the way back
    c = with_line(b, 200, 20, 300)
    result = d.detect(frame(c), "a", left)
    assert result.kind is Change.REGIONS
    (band,) = result.regions
    assert (band.x, band.width) == (0, 320) and band.y <= 200 < band.y + band.height < 260


def test_a_forgotten_window_is_read_in_full_again():
    d = ChangeDetector()
    win = Region(0, 0, 320, 480)
    d.detect(frame(blank()), "a", win)
    d.detect(frame(with_line(blank(), 300, 400, 600)), "b")
    d.forget_window("a")
    assert d.detect(frame(with_line(blank(), 300, 400, 600)), "a", win).regions == (win,)


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
