"""The timeline shows the seeded day, episode by episode, with text and kept frames."""

from datetime import datetime, time, timedelta

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
    view.detail.list.setCurrentIndex(view.detail.model.index(1))  # no frame kept for this one
    assert "No frame was kept" in view.detail.frame.text()


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
    view = TimelineView(session)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    view.set_day(day)
    qtbot.waitUntil(lambda: view.day_data is not None and view.day_data.day == day, timeout=20_000)
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
    assert [e.summary for e in day_data.episodes] == ["Re: budget", "trip: Lisbon 14 March", "$ pytest -q"]
    assert [len(e.observation_ids) for e in day_data.episodes] == [2, 2, 2]
