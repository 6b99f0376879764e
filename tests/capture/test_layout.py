"""The window stack: what of each window shows, and which window a line was read in."""

from capture import Region, TextLine, WindowInfo
from capture.layout import owner, subtract, visible_parts
from capture.reading import WindowText, split_by_window


def area(parts) -> int:
    return sum(p.area for p in parts)


def test_subtract_leaves_what_the_cut_does_not_cover():
    rect = Region(0, 0, 100, 100)
    assert subtract(rect, Region(200, 0, 10, 10)) == [rect]
    assert subtract(rect, Region(-10, -10, 200, 200)) == []
    parts = subtract(rect, Region(25, 25, 50, 50))
    assert area(parts) == 100 * 100 - 50 * 50 and len(parts) == 4
    assert not any(p.overlaps(Region(25, 25, 50, 50)) for p in parts)


def test_a_window_under_another_shows_only_its_uncovered_part():
    own = WindowInfo(app="engram", window_id="0x1", geometry=Region(40, 60, 700, 300),
                     frame=Region(38, 30, 704, 332))  # with its title bar
    terminal = WindowInfo(app="xterm", window_id="0x2", geometry=Region(300, 100, 900, 500))
    parts = visible_parts([own, terminal])  # bottom to top
    assert parts[1] == [Region(300, 100, 900, 500)]
    assert area(parts[0]) == 704 * 332 - (742 - 300) * (362 - 100)
    assert not any(p.overlaps(terminal.geometry) for p in parts[0])
    assert any(p.y == 30 for p in parts[0])  # the title bar is part of the window


def test_a_wholly_covered_window_shows_nothing_and_unknown_geometry_covers_nothing():
    under = WindowInfo(app="a", geometry=Region(10, 10, 100, 100))
    over = WindowInfo(app="b", geometry=Region(0, 0, 500, 500))
    nowhere = WindowInfo(app="c")
    assert visible_parts([under, over, nowhere]) == [[], [Region(0, 0, 500, 500)], []]


def test_lines_go_to_the_window_they_were_read_in():
    editor = [Region(0, 0, 900, 1080)]
    signal = [Region(900, 0, 1020, 1080)]
    lines = [TextLine("def main():", Region(40, 100, 200, 20)),
             TextLine("Dana: see you at 7", Region(950, 300, 300, 20)),
             TextLine("clock 10:42", Region(1900, 1070, 60, 20))]  # off every window listed
    assert owner(lines[1].box, [editor, signal]) == 1
    rest, by = split_by_window(lines, [editor, signal])
    assert rest == [lines[2]]
    assert by == {0: [lines[0]], 1: [lines[1]]}


def test_window_text_replaces_what_was_read_again_and_reports_only_new_lines():
    text = WindowText()
    first = [TextLine("Groceries", Region(10, 10, 100, 20)), TextLine("oat milk", Region(10, 40, 100, 20))]
    assert [ln.text for ln in text.update(first, [Region(0, 0, 400, 300)], True, 300)] == ["Groceries", "oat milk"]
    text.remember(first)
    again = [TextLine("Oat  milk", Region(10, 40, 100, 20)), TextLine("rye bread", Region(10, 70, 100, 20))]
    new = text.update(again, [Region(0, 30, 400, 70)], False, 300)
    assert [ln.text for ln in new] == ["rye bread"]
    assert [ln.text for ln in text.lines] == ["Groceries", "Oat  milk", "rye bread"]
