"""The timeline shows the seeded day, episode by episode, with text and kept frames."""

from datetime import datetime, time, timedelta

from PySide6.QtCore import Qt

from app.timeline import Episode, day_timeline
from memory import NewObservation
from tests.ui.conftest import idle
from tests.ui.seed import DAY, EPISODES
from ui.timeline import HourRow, TimelineView


def open_timeline(qtbot, session) -> TimelineView:
    view = TimelineView(session)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    view.start()
    qtbot.waitUntil(lambda: view.day_data is not None and view.day_data.day == DAY, timeout=10_000)
    idle(qtbot, session.worker)
    return view


def timeline_of(qtbot, session, day, width=900, height=600, timeout=10_000) -> TimelineView:
    """A timeline view of `day` at the given size, once the day is shown."""
    view = TimelineView(session)
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    view.set_day(day)
    qtbot.waitUntil(lambda: view.day_data is not None and view.day_data.day == day, timeout=timeout)
    return view


def episodes(view: TimelineView) -> list[Episode]:
    return [r for r in view.model.items() if isinstance(r, Episode)]


def test_timeline_opens_on_the_newest_day_with_its_episodes(qtbot, session):
    view = open_timeline(qtbot, session)
    assert [e.app for e in episodes(view)] == [e[2] for e in EPISODES]
    assert view.heading.text().endswith("Tuesday, 4 March 2025")
    assert isinstance(view.model.item(0), HourRow) and view.model.item(0).hour == 8
    flight = next(e for e in episodes(view) if e.app == "Firefox")
    assert flight.summary == "Booked a flight to Lisbon for Friday 14 March (EUR 189)"  # from the memory
    assert flight.titles == ("Lisbon flights — TAP Air Portugal — Mozilla Firefox",)


def test_clicking_an_episode_shows_its_observations_text_and_frame(qtbot, session):
    view = open_timeline(qtbot, session)
    row = view.model.find(lambda r: isinstance(r, Episode) and r.app == "Slack")
    view.list.setCurrentIndex(view.model.index(row))
    qtbot.waitUntil(lambda: view.detail.model.total() == 9, timeout=10_000)
    qtbot.waitUntil(view.detail.frame.has_image, timeout=10_000)
    first = view.detail.current_observation()
    assert first.app == "Slack"
    assert "we ship 1.4 on the 14th" in view.detail.text.toPlainText()
    assert view.detail.title.text() == "Slack"
    assert view.detail.summary.text() == "Tomás Ortega: release notes draft is in the wiki under Releases/1.4."


def test_an_observation_without_its_own_frame_shows_its_windows_frame_from_just_before(qtbot, session):
    view = open_timeline(qtbot, session)
    view.list.setCurrentIndex(view.model.index(view.model.find(lambda r: isinstance(r, Episode) and r.app == "Slack")))
    qtbot.waitUntil(lambda: view.detail.model.total() == 9, timeout=10_000)
    view.detail.list.setCurrentIndex(view.detail.model.index(1))  # 3 minutes after the frame kept at 11:05
    qtbot.waitUntil(view.detail.frame.has_image, timeout=10_000)
    chosen = view.detail.current_observation()
    assert chosen.frame_id is None and f"No frame was kept at {chosen.time.astimezone():%H:%M:%S}; the frame " \
        "shows this window at 11:05:00." in view.detail.text.toPlainText()
    view.detail.list.setCurrentIndex(view.detail.model.index(4))  # 12 minutes after it: too long ago
    qtbot.waitUntil(lambda: "No frame was kept for this observation." in view.detail.frame.text(), timeout=10_000)


def test_filter_by_app_and_zoom_to_an_hour(qtbot, session):
    view = open_timeline(qtbot, session)
    assert view.apps.findData("Firefox") > 0
    view.apps.setCurrentIndex(view.apps.findData("Firefox"))
    view.apps.activated.emit(view.apps.currentIndex())
    qtbot.waitUntil(lambda: {e.app for e in episodes(view)} == {"Firefox"}, timeout=10_000)
    assert len(episodes(view)) == 2
    view.set_app(None)
    idle(qtbot, session.worker)
    hour_row = view.model.find(lambda r: isinstance(r, HourRow) and r.hour == 10)
    view.list.clicked.emit(view.model.index(hour_row))  # a click on an hour heading zooms in
    qtbot.waitUntil(lambda: view.day_data.hour == 10, timeout=10_000)
    assert view.zoom_hour.isChecked() and view.hour_box.isVisible()
    assert [e.app for e in episodes(view)] == ["Code", "Firefox"]
    assert all(e.start.hour == 10 for e in episodes(view))
    assert view.delegate.hour_zoom


def test_show_observation_jumps_to_its_day_and_selects_it(qtbot, session):
    view = open_timeline(qtbot, session)
    view.set_day(DAY + timedelta(days=3))
    qtbot.waitUntil(lambda: view.day_data.day != DAY, timeout=10_000)
    assert view.stack.currentWidget() is view.empty
    target = session.engram.observations(app="Terminal")[2]
    view.show_observation(target.id)
    qtbot.waitUntil(lambda: (o := view.detail.current_observation()) is not None and o.id == target.id,
                    timeout=10_000)
    assert view.day_data.day == DAY
    assert view.selected_episode().app == "Terminal"


def test_a_day_with_5000_observations_is_shown_lazily(qtbot, session):
    day = DAY + timedelta(days=1)
    start = datetime.combine(day, time(7)).astimezone()
    apps = ["Firefox", "Code", "Slack", "Terminal", "Thunderbird"]
    session.engram.store.add_observations([
        NewObservation(time=start + timedelta(seconds=8 * i), app=apps[(i // 10) % 5], title=f"Window {i // 10}",
                       text=f"line {i} " + "lorem ipsum " * 30, source_kind="bench", source_id=str(i))
        for i in range(5000)])
    assert day_timeline(session.engram, day).observations == 5000
    view = timeline_of(qtbot, session, day, 1200, 800, timeout=20_000)
    assert len(view.day_data.episodes) == 500
    assert view.model.total() > view.model.rowCount()  # only a chunk is laid out
    view.list.scrollToBottom()
    qtbot.waitUntil(lambda: view.model.rowCount() > 150, timeout=10_000)  # scrolling fetches more
    assert view.model.rowCount() < view.model.total()
    row = view.model.find(lambda r: isinstance(r, Episode))
    view.list.setCurrentIndex(view.model.index(row))
    qtbot.waitUntil(lambda: view.detail.model.total() == 10, timeout=10_000)


def test_an_observation_whose_frame_retention_removed_says_so(qtbot, session):
    kept = next(o for o in session.engram.observations(app="Slack") if o.frame_id)
    session.engram.store.unlink_frames([kept.frame_id], "retention")
    view = open_timeline(qtbot, session)
    view.show_observation(kept.id)
    qtbot.waitUntil(lambda: (o := view.detail.current_observation()) is not None and o.id == kept.id,
                    timeout=10_000)
    assert "removed by retention" in view.detail.frame.text()


def test_one_app_in_several_windows_is_several_episodes(qtbot, session):
    day = DAY + timedelta(days=1)
    start = datetime.combine(day, time(16)).astimezone()
    work = [("(3) Inbox — mutt", "Re: budget"), ("(4) Inbox — mutt", "Re: budget, again"),
            ("notes.md — vim", "trip: Lisbon 14 March"), ("notes.md — vim", "pack the charger"),
            ("~/src/engram — bash", "$ pytest -q"), ("~/src/engram — bash", "112 passed")]
    session.engram.store.add_observations([
        NewObservation(time=start + timedelta(minutes=3 * n), app="XTerm", title=title, text=text,
                       source_kind="test", source_id=f"x{n}") for n, (title, text) in enumerate(work)])
    day_data = day_timeline(session.engram, day)
    assert [e.titles for e in day_data.episodes] == [
        ("(3) Inbox — mutt", "(4) Inbox — mutt"), ("notes.md — vim",), ("~/src/engram — bash",)]
    assert [e.summary for e in day_data.episodes] == ["Re: budget", "trip: Lisbon 14 March", "112 passed"]
    assert [len(e.observation_ids) for e in day_data.episodes] == [2, 2, 2]


ZH_SENTENCE = ("北京是中华人民共和国的首都，也是全国的政治、文化、科技创新和国际交往中心，"
               "拥有三千多年的建城史和八百多年的建都史。")
AR_SENTENCE = "القاهرة هي عاصمة جمهورية مصر العربية وأكبر مدنها، وتقع على ضفاف نهر النيل."


def test_card_summaries_wrap_long_tokens_cjk_and_rtl_text_into_two_lines_within_the_card(qtbot, session):
    from PySide6.QtGui import QFontMetrics

    from ui.timeline import leading_edge, wrapped_lines

    day = DAY + timedelta(days=1)
    start = datetime.combine(day, time(9)).astimezone()
    texts = [("Code", "A" * 400), ("Firefox", ZH_SENTENCE), ("Firefox", AR_SENTENCE), ("Notes", "short")]
    session.engram.store.add_observations([
        NewObservation(time=start + timedelta(minutes=20 * n), app=app, title=f"page {n}", text=text,
                       source_kind="test", source_id=f"w{n}") for n, (app, text) in enumerate(texts)])
    view = timeline_of(qtbot, session, day)
    cards = episodes(view)
    font, width = view.list.font(), 300
    for card in cards[:3]:
        lines = wrapped_lines(card.summary, font, width, 2)
        assert len(lines) == 2 and all(QFontMetrics(font).horizontalAdvance(ln) <= width for ln in lines)
    assert wrapped_lines("short", font, width, 2) == ["short"]
    assert leading_edge(cards[2].summary) == Qt.AlignmentFlag.AlignRight
    assert leading_edge(cards[1].summary) == Qt.AlignmentFlag.AlignLeft
    heights = [view.list.visualRect(view.model.index(view.model.find(lambda r, c=c: r is c))).height() for c in cards]
    assert heights[0] == heights[1] == heights[2] > heights[3]  # two summary lines, one
    assert view.list.horizontalScrollBar().maximum() == 0
    assert view.summary.text() == "4 observations · 4 episodes · 3 apps"
    view.list.setCurrentIndex(view.model.index(view.model.find(lambda r: r is cards[3])))
    assert view.detail.meta.text() == "10:00–10:01 · 1 min · 1 observation\npage 3"


def test_the_observation_list_is_as_tall_as_its_rows_up_to_half_the_column(qtbot, session):
    view = open_timeline(qtbot, session)
    view.resize(1200, 1100)
    detail = view.detail
    for app, rows in (("Firefox", 7), ("Code", 28)):
        row = view.model.find(lambda r, a=app: isinstance(r, Episode) and r.app == a)
        view.list.setCurrentIndex(view.model.index(row))
        qtbot.waitUntil(lambda n=rows: detail.model.total() == n, timeout=10_000)
        qtbot.waitUntil(lambda: detail.list.height() == detail.split.sizes()[0], timeout=10_000)
        row_height = detail.list.sizeHintForRow(0)
        if app == "Firefox":  # its 7 rows, no empty box below them
            assert detail.split.sizes()[0] == 7 * row_height + 2 * detail.list.frameWidth()
        else:  # 28 rows scroll in half the column; the text and the frame keep the other half
            assert detail.split.sizes()[0] == sum(detail.split.sizes()) // 2


def test_every_card_is_tall_enough_for_its_summary_once_the_scroll_bar_narrows_the_list(qtbot, session):
    from ui.timeline import CARD_MARGINS, GUTTER, card_height, summary_room, wrapped_lines

    assert [summary_room(card_height(n, 17), 17) for n in (1, 2, 3)] == [1, 2, 3]

    day = DAY + timedelta(days=2)
    start = datetime.combine(day, time(8)).astimezone()
    words = "the release notes draft is in the wiki under releases and the freeze starts on the eleventh".split()
    session.engram.store.add_observations([  # summaries of every length from a few words to three lines
        NewObservation(time=start + timedelta(minutes=12 * n), app="Notes", title=f"note {n}",
                       text=" ".join(words[i % len(words)] for i in range(4 + n)) + ".",
                       source_kind="test", source_id=f"len{n}") for n in range(40)])
    view = timeline_of(qtbot, session, day)
    qtbot.wait(50)
    assert view.list.verticalScrollBar().isVisible()
    line = view.list.fontMetrics().height()
    short = []
    for card in episodes(view):
        rect = view.list.visualRect(view.model.index(view.model.find(lambda r, c=card: r is c)))
        needed = len(wrapped_lines(card.summary, view.list.font(), rect.width() - GUTTER - CARD_MARGINS, 2))
        room = summary_room(rect.height(), line)  # what the card paints
        if needed > room:
            short.append(card.summary)
    assert short == []
