"""Memories: browse by type, search, provenance and history, edit, delete everywhere, vault masking."""

import pytest
from PySide6.QtWidgets import QLabel, QLineEdit, QMessageBox, QPlainTextEdit

from app.services import MemoryType
from memory import ValidationError
from tests.ui.conftest import idle
from ui.memories import MASK, MemoriesView


def open_memories(qtbot, session) -> MemoriesView:
    view = MemoriesView(session)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    view.start()
    qtbot.waitUntil(lambda: view.model.total() > 0, timeout=10_000)
    return view


def choose(qtbot, view: MemoriesView, memory_id: str) -> None:
    view.show_memory(memory_id)
    qtbot.waitUntil(lambda: view.detail.details is not None and view.detail.details.memory.id == memory_id,
                    timeout=10_000)
    idle(qtbot, view.session.worker)


def by_headline(session, text: str):
    return next(m for m in session.engram.memories() if text in m.headline())


def test_tabs_filter_by_type_and_search_finds(qtbot, session):
    view = open_memories(qtbot, session)
    assert view.model.total() == 12
    assert view.tabs.tabText(0) == "All  12"
    view.tabs.setCurrentIndex(view._kinds.index(MemoryType.SEMANTIC))
    qtbot.waitUntil(lambda: {m.type for m in view.model.items()} == {MemoryType.SEMANTIC}, timeout=10_000)
    assert {m.name for m in view.model.items()} == {"Anna Keller", "Tomás Ortega"}
    view.tabs.setCurrentIndex(0)
    view.search.setText("Lisbon")
    qtbot.waitUntil(lambda: [m.headline() for m in view.model.items()] ==
                    ["Booked a flight to Lisbon for Friday 14 March (EUR 189)"], timeout=10_000)


def test_a_memory_shows_its_fields_provenance_and_history(qtbot, session):
    flight = by_headline(session, "Booked a flight")
    view = open_memories(qtbot, session)
    choose(qtbot, view, flight.id)
    detail = view.detail
    assert detail.title.text() == flight.headline()
    assert detail.findChild(type(detail.title), "field_app").text() == "Firefox"
    assert detail.sources_model.total() == 3
    assert {o.app for o in detail.sources_model.items()} == {"Firefox"}
    assert "Changed" in detail.history.text() and "episodic manager, batch 4" in detail.history.text()
    with qtbot.waitSignal(detail.observation_opened) as opened:
        detail.sources.clicked.emit(detail.sources_model.index(0))
    assert opened.args == [flight.sources[0]]


def test_edit_saves_and_keeps_the_old_value_in_history(qtbot, session):
    anna = by_headline(session, "Anna Keller")
    view = open_memories(qtbot, session)
    choose(qtbot, view, anna.id)
    view.detail.edit_button.click()
    view.detail.editor("summary").setPlainText("Release manager at Acme.")
    with qtbot.waitSignal(view.detail.saved, timeout=10_000):
        view.detail.save_button.click()
    qtbot.waitUntil(lambda: view.detail.details.memory.summary == "Release manager at Acme.", timeout=10_000)
    stored = session.engram.store.get(anna.id)
    assert stored.summary == "Release manager at Acme."
    history = session.engram.store.history(anna.id)
    assert history[-1].operation == "UPDATE" and history[-1].cause == "edited by the user"
    assert history[-1].old["summary"] == anna.summary
    assert "moved the 1.4 release" in view.detail.history.text()


def test_an_invalid_edit_is_refused_with_a_clear_message(qtbot, session):
    anna = by_headline(session, "Anna Keller")
    view = open_memories(qtbot, session)
    choose(qtbot, view, anna.id)
    view.detail.edit_button.click()
    view.detail.editor("name").setText("   ")
    view.detail.save_button.click()
    qtbot.waitUntil(view.detail.error.isVisible, timeout=10_000)
    assert "must not be empty" in view.detail.error.text()
    assert session.engram.store.get(anna.id).name == "Anna Keller"


def test_delete_removes_the_memory_from_the_view_and_the_store(qtbot, session, monkeypatch):
    tomas = by_headline(session, "Tomás Ortega")
    view = open_memories(qtbot, session)
    choose(qtbot, view, tomas.id)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(view.detail.deleted, timeout=10_000):
        view.detail.delete_button.click()
    idle(qtbot, session.worker)
    assert all(m.id != tomas.id for m in view.model.items())
    assert view.detail.details is None or view.detail.details.memory.id != tomas.id
    with pytest.raises(ValidationError):
        session.engram.store.get(tomas.id)
    assert session.engram.store.history(tomas.id) == []
    assert session.engram.store.search_memories("Ortega") == []


def test_cancelled_delete_keeps_the_memory(qtbot, session, monkeypatch):
    tomas = by_headline(session, "Tomás Ortega")
    view = open_memories(qtbot, session)
    choose(qtbot, view, tomas.id)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    view.detail.delete_button.click()
    idle(qtbot, session.worker)
    assert session.engram.store.get(tomas.id).name == "Tomás Ortega"


def test_vault_values_are_masked_until_revealed(qtbot, session):
    door = by_headline(session, "Office door code")
    view = open_memories(qtbot, session)
    row = view.model.find(lambda m: m.id == door.id)
    assert view.model.data(view.model.index(row)) == f"Office door code: {MASK}"
    choose(qtbot, view, door.id)
    value = view.detail.findChild(type(view.detail.title), "field_value")
    assert value.text() == MASK and "4471#" not in view.detail.title.text()
    view.detail.reveal_button.click()
    value = view.detail.findChild(type(view.detail.title), "field_value")
    assert value.text() == "4471#"
    view.detail.reveal_button.click()
    assert view.detail.findChild(type(view.detail.title), "field_value").text() == MASK


def test_a_vault_value_stays_masked_in_the_edit_form_until_revealed(qtbot, session):
    door = by_headline(session, "Office door code")
    view = open_memories(qtbot, session)
    choose(qtbot, view, door.id)
    view.detail.edit_button.click()
    editor = view.detail.editor("value")
    assert isinstance(editor, QLineEdit) and editor.echoMode() == QLineEdit.EchoMode.Password
    assert editor.text() == ""  # nothing of the value is in the form, not even its length
    assert not any("4471#" in label.text() for label in view.detail.findChildren(QLabel))
    assert view.detail.reveal_button.isVisible()
    view.detail.reveal_button.click()
    shown = view.detail.editor("value")
    assert isinstance(shown, QPlainTextEdit) and shown.toPlainText() == "4471#"
    shown.setPlainText("4472#")
    view.detail.reveal_button.click()  # masked again; what was typed stays
    editor = view.detail.editor("value")
    assert editor.echoMode() == QLineEdit.EchoMode.Password and editor.text() == "4472#"
    with qtbot.waitSignal(view.detail.saved, timeout=10_000):
        view.detail.save_button.click()
    assert session.engram.store.get(door.id).value == "4472#"


def test_a_masked_vault_value_left_empty_is_kept(qtbot, session):
    door = by_headline(session, "Office door code")
    view = open_memories(qtbot, session)
    choose(qtbot, view, door.id)
    view.detail.edit_button.click()
    view.detail.editor("caption").setText("Front door code")
    with qtbot.waitSignal(view.detail.saved, timeout=10_000):
        view.detail.save_button.click()
    stored = session.engram.store.get(door.id)
    assert (stored.caption, stored.value) == ("Front door code", "4471#")


def test_another_memory_opens_at_its_top(qtbot, session):
    view = open_memories(qtbot, session)
    view.resize(900, 500)
    flight = by_headline(session, "Booked a flight")
    choose(qtbot, view, flight.id)
    bar = view.detail.scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=5_000)
    bar.setValue(bar.maximum())
    choose(qtbot, view, by_headline(session, "Anna Keller").id)
    assert bar.value() == 0  # its title and buttons are in view


def test_tab_counts_follow_the_search(qtbot, session):
    view = open_memories(qtbot, session)
    view.search.setText("Lisbon")
    qtbot.waitUntil(lambda: view.tabs.tabText(0) == "All  1", timeout=10_000)
    assert view.tabs.tabText(view._kinds.index(MemoryType.EPISODIC)) == "Episodic  1"
    assert view.tabs.tabText(view._kinds.index(MemoryType.SEMANTIC)) == "Semantic  0"


def test_a_selected_row_keeps_its_text_readable_in_both_schemes():
    from PySide6.QtGui import QColor

    from ui import theme

    def luminance(hex_color: str) -> float:
        c = QColor(hex_color)
        parts = [(v / 255) / 12.92 if v / 255 <= 0.03928 else ((v / 255 + 0.055) / 1.055) ** 2.4
                 for v in (c.red(), c.green(), c.blue())]
        return 0.2126 * parts[0] + 0.7152 * parts[1] + 0.0722 * parts[2]

    for s in (theme.LIGHT, theme.DARK):
        a, b = sorted((luminance(s.text), luminance(theme.selection(s))), reverse=True)
        assert (a + 0.05) / (b + 0.05) >= 7.0, s.name  # WCAG AAA for the row's text
        a, b = sorted((luminance(theme.selection(s)), luminance(s.base)), reverse=True)
        assert (a + 0.05) / (b + 0.05) >= 1.3, s.name  # and the row stands out from the others
