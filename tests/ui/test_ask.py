"""Ask streams an answer from the (fake) model and lists its sources; the history is kept encrypted."""

from PySide6.QtWidgets import QMessageBox

from app import conversation
from app.services import FakeModel
from tests.ui.conftest import idle
from tests.ui.seed import ANSWER
from ui.ask import AskView, Exchange


def open_ask(qtbot, session) -> AskView:
    view = AskView(session)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    view.start()
    idle(qtbot, session.worker)
    return view


def test_ask_streams_an_answer_and_shows_its_sources(qtbot, session):
    session.engram.set_model(FakeModel([ANSWER]))
    view = open_ask(qtbot, session)
    assert view.welcome.isVisible()
    tokens: list[str] = []
    session.events.answer_token.connect(tokens.append)
    view.input.setText("When do I fly to Lisbon?")
    with qtbot.waitSignal(session.events.answer_ready, timeout=20_000) as ready:
        view.send.click()
    turn = ready.args[0]
    [exchange] = view.exchanges()
    assert exchange.answer_text() == ANSWER.strip()
    assert len(tokens) > 5 and "".join(tokens).strip() == ANSWER.strip()  # it streamed
    assert turn.sources and exchange.sources.isVisible()
    refs = exchange.source_refs()
    assert any(ref.startswith("obs:") for ref in refs)
    assert "Lisbon flights" in exchange.sources.text()
    assert not view.welcome.isVisible() and view.send.isEnabled()
    with qtbot.waitSignal(view.source_opened) as opened:
        exchange.sources.linkActivated.emit(refs[0])
    assert opened.args == [refs[0]]
    assert [t.question for t in conversation.history(session.engram)] == ["When do I fly to Lisbon?"]


def test_history_is_shown_again_and_can_be_cleared(qtbot, session, monkeypatch):
    session.engram.set_model(FakeModel([ANSWER]))
    conversation.ask(session.engram, "When do I fly to Lisbon?")
    view = open_ask(qtbot, session)
    assert len(view.exchanges()) == 1 and view.exchanges()[0].answer_text() == ANSWER.strip()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    view.clear_button.click()
    idle(qtbot, session.worker)
    assert view.exchanges() == []
    assert conversation.history(session.engram) == []
    assert b"Lisbon?" not in session.engram.paths.database.read_bytes()  # encrypted at rest anyway


def test_a_question_nothing_matches_says_so(qtbot, session):
    session.engram.set_model(FakeModel(["never used"]))
    view = open_ask(qtbot, session)
    view.submit("zebra xylophone quasar")
    qtbot.waitUntil(lambda: view.exchanges() and view.send.isEnabled(), timeout=20_000)
    exchange: Exchange = view.exchanges()[0]
    assert "could not find" in exchange.answer_text()
    assert exchange.status.text() == "Nothing in your memory matched this question."


def test_a_failing_model_shows_the_error_and_keeps_the_view_usable(qtbot, session):
    session.engram.set_model(FakeModel([]))  # has no replies: raises a ModelError
    view = open_ask(qtbot, session)
    view.submit("When do I fly to Lisbon?")
    qtbot.waitUntil(lambda: view.send.isEnabled(), timeout=20_000)
    assert "No answer:" in view.exchanges()[0].status.text()
    assert conversation.history(session.engram) == []


def test_a_400_character_token_wraps_inside_the_view(qtbot, session):
    token = "A" * 400
    session.engram.set_model(FakeModel([f"The key is {token} and nothing else."]))
    view = open_ask(qtbot, session)
    view.submit(f"When do I fly to Lisbon? {token.lower()}")  # (a name no note holds would not be asked)
    qtbot.waitUntil(lambda: view.exchanges() and view.send.isEnabled(), timeout=20_000)
    exchange: Exchange = view.exchanges()[0]
    qtbot.waitUntil(lambda: exchange.answer_text().startswith("The key is AAAA"), timeout=5_000)
    viewport = view.scroll.viewport().width()
    assert view.scroll.widget().width() <= viewport  # no bubble is cut on the right
    assert exchange.answer.width() <= viewport and exchange.question.width() <= viewport
    assert exchange.answer.text().replace("\u200b", "") == f"The key is {token} and nothing else."
    assert exchange.answer_text() == f"The key is {token} and nothing else."  # what is copied has no breaks


def test_suggested_questions_name_only_what_the_user_has(qtbot, session, paths):
    from app.services import Engram
    from tests.conftest import FAST_KDF
    from ui.ask import suggestions

    assert suggestions(session.engram) == [
        "What was I working on yesterday afternoon?", "What did I last do in Code?",
        "What do I know about Tomás Ortega?"]
    view = open_ask(qtbot, session)
    qtbot.waitUntil(lambda: len(view.example_buttons) == 3, timeout=5_000)
    assert [b.text() for b in view.example_buttons][2] == "What do I know about Tomás Ortega?"
    empty = Engram.create(paths.__class__(paths.root.parent / "empty"), "x y z w", FAST_KDF)
    try:
        assert suggestions(empty) == ["What was I working on yesterday afternoon?"]  # nobody named
    finally:
        empty.close()


def test_an_answer_withdrawn_by_its_check_says_so_beside_the_notes_found(qtbot, session):
    session.engram.set_model(FakeModel(["On 31 December at 23:59."]))  # no note holds that date
    view = open_ask(qtbot, session)
    view.submit("When do I fly to Lisbon?")
    qtbot.waitUntil(lambda: view.exchanges() and view.send.isEnabled(), timeout=20_000)
    exchange: Exchange = view.exchanges()[0]
    assert exchange.answer_text() == "I could not find that in your notes."
    assert exchange.status.text().startswith("These notes were found, but they do not say")
    assert "Lisbon" in exchange.sources.text()
