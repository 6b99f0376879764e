"""Search finds what was seen as you type, grouped by day and app, and Enter opens the moment."""

import threading
from datetime import date, datetime, time, timedelta

from PySide6.QtCore import Qt

from app.timeline import Found, highlight_patterns, highlight_spans, search_seen
from app.worker import Worker
from memory import NewObservation
from memory.errors import ModelError
from memory.llm import FakeModel
from tests.ui.conftest import idle, open_window
from tests.ui.seed import DAY
from ui.search import GroupRow, SearchView, marked_html, time_range


def open_search(qtbot, session) -> SearchView:
    view = SearchView(session)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    idle(qtbot, session.worker)
    return view


def firefox(session) -> list:
    return session.engram.observations(app="Firefox")


def test_typing_finds_a_seeded_line_grouped_by_day_and_app(qtbot, session):
    view = open_search(qtbot, session)
    qtbot.keyClicks(view.query, "qx7l2m")
    qtbot.waitUntil(lambda: view.searched == "qx7l2m", timeout=10_000)  # no Enter: it searched as typed
    [group] = view.groups
    assert (group.day, group.app) == (DAY, "Firefox")
    seen = firefox(session)
    # Lines with the booking reference were on screen in the 2nd, 4th and 6th view of the booking
    assert [f.observation.id for f in group.items] == [seen[1].id, seen[3].id, seen[5].id]
    first = group.items[0]
    assert [first.snippet[a:b] for a, b in first.spans] == ["QX7L2M"]
    assert first.observation.title == "Lisbon flights — TAP Air Portugal — Mozilla Firefox"
    # no frame of its own: the window's frame kept 3 minutes before; 15 minutes later, none
    assert [f.frame_id for f in group.items] == [seen[0].frame_id, seen[0].frame_id, None]
    assert isinstance(view.model.item(0), GroupRow) and view.model.item(0).count == 3
    assert view.summary.text().startswith("3 moments on 1 day")
    qtbot.waitUntil(lambda: seen[0].frame_id in view.delegate.thumbs, timeout=10_000)
    assert view.delegate.thumbs[seen[0].frame_id].width() == 112  # a 960x600 frame, shrunk to fit 112x70


def test_enter_opens_the_moment_in_the_timeline(qtbot, session):
    window = open_window(qtbot, session)
    window.go_to(window.search)
    window.search.set_query("TP 1943 Porto")
    qtbot.waitUntil(lambda: window.search.groups is not None, timeout=10_000)
    assert window.search.current_found().rank == 0  # the best match is chosen
    window.search.list.setCurrentIndex(window.search.model.index(1))  # the first of the day's hits
    target = window.search.current_found().observation
    assert target.app == "Firefox"
    qtbot.keyClick(window.search.query, Qt.Key.Key_Down)  # the arrows choose a hit from the field
    second = window.search.current_found().observation
    assert second.id != target.id
    qtbot.keyClick(window.search.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: (o := window.timeline.detail.current_observation()) is not None
                    and o.id == second.id, timeout=10_000)
    assert window.pages.currentWidget() is window.timeline
    assert window.timeline.day_data.day == DAY
    idle(qtbot, session.worker)


def test_app_and_time_filters(qtbot, session):
    view = open_search(qtbot, session)
    view.apps.setCurrentIndex(view.apps.findData("Slack"))
    view.set_query("Lisbon")
    qtbot.waitUntil(lambda: view.searched == "Lisbon", timeout=10_000)
    assert {g.app for g in view.groups} == {"Slack"}
    view.apps.setCurrentIndex(0)
    view.range.setCurrentIndex(view.range.findData(7))  # the last 7 days: the seeded day is long ago
    view.search()
    qtbot.waitUntil(lambda: view.groups == [], timeout=10_000)
    assert view.summary.text() == "Nothing seen matches “Lisbon” with these filters."
    assert view.stack.currentWidget() is view.empty


def test_groups_are_newest_day_first(qtbot, session):
    later = DAY + timedelta(days=2)
    session.engram.store.add_observations([NewObservation(
        time=datetime.combine(later, time(9, 30)).astimezone(), app="Slack", title="#release — Acme — Slack",
        text="Lisbon offsite moved to April", source_kind="test", source_id="later")])
    groups = search_seen(session.engram, "Lisbon offsite")
    assert [(g.day, g.app) for g in groups][0] == (later, "Slack")
    assert all(a.day >= b.day for a, b in zip(groups, groups[1:], strict=False))


def test_highlights_take_the_stem_and_escape_the_rest():
    patterns = highlight_patterns("booking flights")
    text = "Booked <b>flight</b> & seat"
    spans = highlight_spans(text, patterns)
    assert [text[a:b] for a, b in spans] == ["Booked", "flight"]
    assert marked_html(text, spans, "#ff0") == (
        '<span style="background-color:#ff0; font-weight:600">Booked</span> &lt;b&gt;'
        '<span style="background-color:#ff0; font-weight:600">flight</span>&lt;/b&gt; &amp; seat')


def test_words_of_scripts_without_spaces_are_marked_as_typed_not_with_the_run_after_them():
    text = "北京是中华人民共和国的首都 · Beijing is the capital"
    spans = highlight_spans(text, highlight_patterns("北京 capitals"))
    assert [text[a:b] for a, b in spans] == ["北京", "capital"]
    assert [text[a:b] for a, b in highlight_spans(text, highlight_patterns("首"))] == ["首"]


def test_a_snippet_shows_two_whole_lines_whatever_font_draws_them(qtbot):
    from PySide6.QtGui import QTextDocument

    from ui.search import snippet_height

    doc = QTextDocument()
    doc.setDocumentMargin(0)
    doc.setPlainText("北京是中华人民共和国的首都，也是全国的政治、文化、科技创新和国际交往中心。" * 3)
    doc.setTextWidth(300)
    height = snippet_height(doc, 2, 1000)
    layout = doc.firstBlock().layout()
    assert layout.lineCount() > 2
    second, third = layout.lineAt(1).rect(), layout.lineAt(2).rect()
    assert second.bottom() < height <= third.top() + 1  # the second line whole, no third
    assert snippet_height(doc, 2, 10) == 10  # never beyond the row


def test_time_ranges_are_local_midnights():
    assert time_range(None) == (None, None)
    since, until = time_range(7, today=date(2025, 3, 11))
    assert (since.date(), since.time(), until) == (date(2025, 3, 4), time(0), None)


def test_a_long_unbroken_token_does_not_widen_the_results(qtbot, session):
    token = "x" * 400
    session.engram.store.add_observations([NewObservation(
        time=datetime.combine(DAY, time(18)).astimezone(), app="Terminal", title="t" * 300,
        text=f"needle {token}", source_kind="test", source_id="long")])
    view = open_search(qtbot, session)
    view.set_query("needle")
    qtbot.waitUntil(lambda: view.groups is not None and view.groups != [], timeout=10_000)
    assert isinstance(view.model.item(1), Found)
    assert view.list.horizontalScrollBar().maximum() == 0
    assert view.minimumSizeHint().width() < 900


def test_enter_typed_before_the_results_opens_the_best_match(qtbot, session):
    window = open_window(qtbot, session)
    window.go_to(window.search)
    qtbot.keyClicks(window.search.query, "Hetzner invoice")
    qtbot.keyClick(window.search.query, Qt.Key.Key_Return)  # at once: the search has not run yet
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.timeline, timeout=10_000)
    best = next(f for g in window.search.groups for f in g.items if f.rank == 0)
    qtbot.waitUntil(lambda: (o := window.timeline.detail.current_observation()) is not None
                    and o.id == best.observation.id, timeout=10_000)
    assert best.observation.app == "Thunderbird"
    idle(qtbot, session.worker)


def test_a_question_in_russian_finds_an_english_mail_and_a_chinese_note(qtbot, session):
    session.engram.store.add_observations([
        NewObservation(time=datetime.combine(DAY, time(16, 0)).astimezone(), app="Mail", title="Budget",
                       text="The budget review moved to Thursday at 3 pm"),
        NewObservation(time=datetime.combine(DAY, time(16, 5)).astimezone(), app="WeChat", title="李娜",
                       text="李娜: 我的火车周五早上八点十二分从北京南站出发")])
    session.engram.prepare_index()
    view = open_search(qtbot, session)
    asked = (("Когда встреча по бюджету?", "Mail"), ("train departure from Beijing South station", "WeChat"))
    for question, app in asked:
        view.query.setText(question)  # as an input method commits it (keyClicks types Latin-1 only)
        qtbot.waitUntil(lambda q=question: view.searched == q, timeout=10_000)
        best = min((f for g in view.groups for f in g.items), key=lambda f: f.rank)
        assert best.observation.app == app, question


class _SlowModel(FakeModel):
    """A language model at work on a batch until `release` is set (the 1.5B takes a minute)."""

    def __init__(self, release: threading.Event) -> None:
        super().__init__(["{}"])
        self.release, self.started = release, threading.Event()

    def complete(self, messages, *, schema=None, max_tokens=256) -> str:
        self.started.set()
        self.release.wait(30)
        raise ModelError("stopped by the test")


def test_a_search_is_answered_while_the_worker_is_making_memories(qtbot, session):
    session.reader = Worker()
    view = open_search(qtbot, session)
    release = threading.Event()
    model = _SlowModel(release)
    session.engram.set_model(model)
    session.engram.store.add_observations([NewObservation(
        time=datetime.combine(DAY, time(17, 0)).astimezone(), app="Slack", title="#ops",
        text="Deploy of the billing service is paused until Monday")])
    making = session.run("update memories", lambda engram: engram.process_pending(max_batches=1))
    try:
        assert model.started.wait(10)  # the batch is at the model
        view.set_query("qx7l2m")
        qtbot.waitUntil(lambda: view.searched == "qx7l2m", timeout=10_000)
        assert not making.finished and session.worker.busy()  # the batch is still being made
        assert [len(g.items) for g in view.groups] == [3]
    finally:
        release.set()
        idle(qtbot, session.worker)
        session.reader.stop()
