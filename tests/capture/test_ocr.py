"""OCR with the models shipped in rapidocr's wheel, with the network switched off."""

import socket

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from capture import OcrEngine, OcrJob, Region, model_paths


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("OCR tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def rendered(lines: list[str], size=(700, 140)) -> np.ndarray:
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("DejaVuSans.ttf", 22)
    for i, line in enumerate(lines):
        draw.text((12, 12 + 40 * i), line, fill="black", font=font)
    return np.asarray(img)


def test_models_are_the_shipped_ones():
    det, rec = model_paths()
    assert det.is_file() and rec.is_file()
    assert "site-packages" in str(det) or "dist-packages" in str(det)


def test_reads_text_offline_with_boxes_in_frame_coordinates(no_network):
    engine = OcrEngine()
    image = rendered(["Quarterly report for Engram", "Budget approved"])
    lines = engine.read(image, origin=(100, 1000))
    assert [ln.text for ln in lines] == ["Quarterly report for Engram", "Budget approved"]
    assert all(ln.box.x >= 100 and ln.box.y >= 1000 for ln in lines)
    assert lines[0].box.y < lines[1].box.y


def test_blank_tiny_and_job_inputs():
    engine = OcrEngine()
    assert engine.read(np.full((200, 300, 3), 255, np.uint8)) == []
    assert engine.read(np.zeros((4, 4, 3), np.uint8)) == []
    image = rendered(["Hello there"])
    result = engine.run(OcrJob(7, (Region(0, 500, 700, 140),), (image,)))
    assert result.seq == 7 and not result.error
    assert [ln.text for ln in result.lines] == ["Hello there"]
    assert result.lines[0].box.y >= 500


@pytest.mark.parametrize("ink,paper", [("black", "white"), ("#e0e0e0", "#202124")])
def test_a_band_around_one_changed_line_is_read_without_the_detector(ink, paper):
    # What change detection hands over for one new line: the line, plus slivers of its
    # neighbours cut by the band's edges, in light or dark mode.
    img = Image.new("RGB", (700, 200), paper)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("DejaVuSans.ttf", 22)
    for i, line in enumerate(["Above the change", "Invoice 4471 sent to Dana", "Below the change"]):
        draw.text((12, 20 + 34 * i), line, fill=ink, font=font)
    band = np.asarray(img)[44:98]
    engine = OcrEngine()
    lines = engine.read(band, origin=(0, 44))
    assert engine.undetected == 1
    assert [ln.text for ln in lines] == ["Invoice 4471 sent to Dana"]
    assert 44 < lines[0].box.y < 70


def test_columns_far_apart_on_one_line_are_read_apart_and_several_lines_go_to_the_detector():
    from capture.ocr import one_line

    img = Image.new("RGB", (900, 50), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("DejaVuSans.ttf", 22)
    draw.text((10, 12), "Name", fill="black", font=font)
    draw.text((600, 12), "Total 42", fill="black", font=font)
    boxes = one_line(np.asarray(img))
    assert boxes is not None and len(boxes) == 2 and boxes[0][2] < boxes[1][0]
    assert one_line(rendered(["First line", "Second line"], size=(700, 100))) is None
    # Big text close to the band's edges: the box stays off them (an edge means "cut").
    big = Image.new("RGB", (600, 60), "white")
    ImageDraw.Draw(big).text((10, 4), "Heading", fill="black", font=ImageFont.truetype("DejaVuSans.ttf", 44))
    ((_, y0, _, y1),) = one_line(np.asarray(big))
    assert y0 >= 2 and y1 <= 58
    assert one_line(np.full((40, 300, 3), 255, np.uint8)) is None  # nothing to see: the detector decides


SMALL = ["Quarterly budget review moved to Thursday afternoon",
         "Send the signed contract to the legal team",
         "Backup server migration finishes next weekend"]


@pytest.mark.parametrize("screen,px,ink,paper", [
    ((1920, 1080), 11, "black", "white"),      # 8 pt at 96 dpi, light
    ((1920, 1080), 11, "#d4d4d4", "#1e1e1e"),  # 8 pt, dark theme
    ((2560, 1440), 13, "black", "white"),      # 10 pt on a 1440p screen
])
def test_small_text_on_a_big_screen_is_read_at_its_own_resolution(screen, px, ink, paper):
    # A large read (a first frame, a window switch) of a whole screen: every line, not the
    # one or none that detection on the frame shrunk to 1280 px found.
    img = Image.new("RGB", screen, paper)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("DejaVuSans.ttf", px)
    for i, line in enumerate(SMALL):
        draw.text((4, 30 + int(px * 1.4) * i), line, fill=ink, font=font)
    draw.text((screen[0] - 420, screen[1] - 60), "Status: all backups verified", fill=ink, font=font)
    engine = OcrEngine()
    lines = engine.read(np.asarray(img))
    assert [ln.text for ln in lines] == [*SMALL, "Status: all backups verified"]
    assert engine.tiles >= 2  # empty tiles were skipped, not the ones with text


def test_boxes_found_twice_or_cut_by_a_seam_are_joined_into_lines():
    from capture.ocr import _cut_by_seam, _starts, join_boxes

    assert _starts(1280, 1024) == [0]
    assert _starts(1920, 1024) == [0, 896]
    starts = _starts(1440, 600)
    assert starts[0] == 0 and starts[-1] == 840
    assert all(b - a <= 600 - 80 for a, b in zip(starts, starts[1:], strict=False))
    boxes = [(0, 100, 1024, 118), (896, 101, 1400, 118),  # one long line cut by a side seam
             (10, 582, 300, 603), (10, 583, 300, 603),    # one line found whole in two tiles
             (10, 120, 200, 136),                         # the next line: touching, not the same
             (1500, 100, 1600, 118),                      # a far column on the same row
             (900, 100, 1100, 136),                       # a box over two lines at the seam
             (20, 59, 331, 395)]                          # the edge of a blacked-out window
    assert join_boxes(boxes) == [(20, 59, 331, 395), (0, 100, 1400, 118), (900, 100, 1100, 136),
                                 (1500, 100, 1600, 118), (10, 120, 200, 136), (10, 582, 300, 603)]
    # A line cut by a tile's bottom (or top) edge is dropped there: it is whole in the next tile.
    assert _cut_by_seam(590, 600, 0, 600, 1080) and _cut_by_seam(0, 12, 480, 600, 1080)
    assert not _cut_by_seam(590, 600, 480, 600, 1080)  # the bottom of the screen is no seam
    assert not _cut_by_seam(300, 320, 0, 600, 1080)


def test_an_image_one_tile_wide_and_two_tall_is_read_to_its_right_and_bottom_edges():
    # 1100x820 (a window): one column of tiles, which must span all 1100 px, not 1024.
    img = Image.new("RGB", (1100, 820), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("DejaVuSans.ttf", 18)
    draw.text((480, 300), "Question latency window benchmark encryption reading 120.", fill="black", font=font)
    draw.text((150, 790), "Last line of the window 571.", fill="black", font=font)
    texts = [ln.text for ln in OcrEngine().read(np.asarray(img))]
    assert texts == ["Question latency window benchmark encryption reading 120.", "Last line of the window 571."]
