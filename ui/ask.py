"""Ask: a chat over memory. Answers stream in, with their sources underneath."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app import conversation
from app.conversation import Source, Turn
from app.services import MemoryType
from app.session import Session
from app.worker import describe
from ui import theme
from ui.formatting import breakable, moment

NOTHING_MATCHED = "Nothing in your memory matched this question."
WITHDRAWN = "These notes were found, but they do not say what the model answered, so its answer is not shown."
ALWAYS = "What was I working on yesterday afternoon?"


def suggestions(engram) -> list[str]:
    """Questions to try, made from what this store holds (never a person or app the user has not
    got): the day before, the app seen most, and the first person or thing a fact is about."""
    found = [ALWAYS]
    apps = engram.store.apps()
    if apps:
        found.append(f"What did I last do in {apps[0][0]}?")
    fact = next(iter(engram.memories(MemoryType.SEMANTIC, limit=1)), None)
    if fact is not None and getattr(fact, "name", ""):
        found.append(f"What do I know about {fact.name}?")
    return found

KIND_LABEL = {"observation": "seen on screen", "core": "core", "episodic": "event", "semantic": "fact",
              "procedural": "how-to", "resource": "resource", "vault": "vault"}


def grouped(sources: tuple[Source, ...]) -> list[tuple[Source, int, Source]]:
    """Sources with the observations of one window merged: (first, how many, last), in order."""
    out: list[tuple[Source, int, Source]] = []
    where: dict[tuple[str, str], int] = {}
    for src in sources:
        key = (src.app, src.headline)
        if src.kind == "observation" and key in where:
            first, n, last = out[where[key]]
            latest = src if (src.time and last.time and src.time > last.time) else last
            earliest = src if (src.time and first.time and src.time < first.time) else first
            out[where[key]] = (earliest, n + 1, latest)
            continue
        if src.kind == "observation":
            where[key] = len(out)
        out.append((src, 1, src))
    return out


def source_html(source: Source, count: int = 1, last: Source | None = None) -> str:
    """One source line: what it says (linked to the item), then type, time and app."""
    s = theme.current()
    parts = [KIND_LABEL.get(source.kind, source.kind)]
    if source.time is not None:
        when = moment(source.time)
        if count > 1 and last is not None and last.time is not None and last.time != source.time:
            when += f"–{last.time.astimezone():%H:%M}"
        parts.append(when)
    if source.app:
        parts.append(source.app)
    if count > 1:
        parts.append(f"{count} views")
    meta = html.escape(" · ".join(parts))
    headline = html.escape(" ".join(source.headline.split())[:140])
    return (f'<a href="{html.escape(source.ref)}" style="color:{s.accent}; text-decoration:none">'
            f'{headline or html.escape(source.ref)}</a>'
            f'<span style="color:{s.muted}">&nbsp;&nbsp;{meta}</span>')


class Exchange(QFrame):
    """One question, its (streaming) answer and its sources."""

    source_opened = Signal(str)

    def __init__(self, question: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.question = QLabel(breakable(question))
        self.question.setObjectName("bubble")
        self.question.setWordWrap(True)
        self.question.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.question.setContentsMargins(12, 8, 12, 8)
        self.question.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        width = self.question.fontMetrics().horizontalAdvance(question) + 30
        self.question.setMinimumWidth(min(width, 480))
        self.question.setMaximumWidth(640)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.question, 0)
        self.answer = QLabel("")
        self.answer.setWordWrap(True)
        self.answer.setTextFormat(Qt.TextFormat.PlainText)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.answer.setContentsMargins(2, 4, 2, 0)
        self.answer.setFont(theme.heading_font(self.font(), 0.5, QFont.Weight.Normal))
        self.status = QLabel("Searching your memory…")
        self.status.setObjectName("muted")
        self.sources = QLabel("")
        self.sources.setWordWrap(True)
        self.sources.setTextFormat(Qt.TextFormat.RichText)
        self.sources.setOpenExternalLinks(False)
        self.sources.linkActivated.connect(self.source_opened)
        self.sources.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 10)
        layout.setSpacing(6)
        layout.addLayout(row)
        layout.addWidget(self.answer)
        layout.addWidget(self.status)
        layout.addWidget(self.sources)
        self._text = ""

    def append_token(self, token: str) -> None:
        if not self._text:
            self.status.setText("Answering…")
            self.status.show()
        self._text += token
        self.answer.setText(breakable(self._text))

    def finish(self, turn: Turn) -> None:
        self._text = turn.answer
        self.answer.setText(breakable(turn.answer))
        # Notes found but the answer drawn from them withdrawn (memory.answer: a name, number or
        # date no note states) is not "nothing matched": the notes are listed below.
        self.status.setText("" if turn.found_anything else WITHDRAWN if turn.sources else NOTHING_MATCHED)
        self.status.setVisible(not turn.found_anything)
        if turn.sources:
            s = theme.current()
            lines = "<br>".join(f"{n}.&nbsp;{source_html(first, count, last)}"
                                for n, (first, count, last) in enumerate(grouped(turn.sources), 1))
            self.sources.setText(f'<p style="color:{s.muted}; margin:0 0 4px 0">Sources</p>{lines}')
            self.sources.show()

    def fail(self, message: str) -> None:
        self.status.setText(f"No answer: {message}")
        self.status.setObjectName("danger")
        self.status.setStyleSheet(f"color: {theme.current().danger}")

    def answer_text(self) -> str:
        return self._text

    def source_refs(self) -> list[str]:
        text = self.sources.text()
        return [part.split('"', 1)[0] for part in text.split('href="')[1:]]


class AskView(QWidget):
    """The Ask page."""

    source_opened = Signal(str)  # "obs:12" or a memory id

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._current: Exchange | None = None
        title = QLabel("Ask")
        title.setObjectName("pageTitle")
        self.clear_button = QPushButton("Clear history")
        self.clear_button.setToolTip("Delete the kept questions and answers (your memories stay)")
        self.clear_button.clicked.connect(self.clear_history)
        head = QHBoxLayout()
        head.addWidget(title)
        head.addStretch(1)
        head.addWidget(self.clear_button)

        self.column = QVBoxLayout()
        self.column.setContentsMargins(4, 4, 16, 4)
        self.column.setSpacing(6)
        self.welcome = self._welcome()
        self.column.addWidget(self.welcome)
        self.column.addStretch(1)
        body = QWidget()
        body.setLayout(self.column)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(body)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.verticalScrollBar().rangeChanged.connect(self._follow)

        self.input = QLineEdit()
        self.input.setPlaceholderText("Ask about anything you have seen, read or written…")
        self.input.setClearButtonEnabled(True)
        self.input.returnPressed.connect(self.submit)
        self.send = QPushButton("Ask")
        self.send.setProperty("primary", True)
        self.send.clicked.connect(self.submit)
        entry = QHBoxLayout()
        entry.addWidget(self.input, 1)
        entry.addWidget(self.send)
        note = QLabel("Answers come from the local model and cite what they rest on. Nothing leaves this computer.")
        note.setObjectName("muted")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(8)
        layout.addLayout(head)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(entry)
        layout.addWidget(note)
        session.events.answer_token.connect(self._token)

    def _welcome(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 40, 0, 0)
        layout.setSpacing(8)
        hello = QLabel("Ask your memory")
        hello.setFont(theme.heading_font(self.font(), 4))
        hello.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel("Questions are answered from what Engram has seen and kept, with the sources listed "
                      "under each answer. Try one of these:")
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(hello)
        layout.addWidget(hint)
        self.examples = QVBoxLayout()
        layout.addLayout(self.examples)
        self._show_examples([ALWAYS])
        return box

    def _show_examples(self, questions: list[str]) -> None:
        while self.examples.count():
            row = self.examples.takeAt(0).layout()
            while row is not None and row.count():
                widget = row.takeAt(0).widget()
                if widget is not None:
                    widget.deleteLater()
        self.example_buttons: list[QPushButton] = []
        for example in questions:
            b = QPushButton(breakable(example))
            b.setFlat(True)
            b.setCursor(Qt.CursorShape.PointingHandCursor)
            b.clicked.connect(lambda _=False, q=example: self.submit(q))
            self.example_buttons.append(b)
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(b)
            row.addStretch(1)
            self.examples.addLayout(row)

    # -- history -----------------------------------------------------------------------------------
    def start(self) -> None:
        self.session.run("load the Ask history", conversation.history, done=self._show_history)
        self.session.read("suggest questions", suggestions, done=self._show_examples)

    def _show_history(self, turns: list[Turn]) -> None:
        for turn in turns:
            self._add(turn.question).finish(turn)

    def clear_history(self) -> None:
        if self.exchanges() and QMessageBox.question(
            self, "Clear the Ask history",
            "Delete every kept question and answer? Your memories are not touched.",
        ) != QMessageBox.StandardButton.Yes:
            return
        for exchange in self.exchanges():
            exchange.setParent(None)
            exchange.deleteLater()
        self.welcome.show()
        self.session.run("clear the Ask history", conversation.clear)

    def exchanges(self) -> list[Exchange]:
        return [self.column.itemAt(i).widget() for i in range(self.column.count())
                if isinstance(self.column.itemAt(i).widget(), Exchange)]

    # -- asking ------------------------------------------------------------------------------------
    def submit(self, question: str | None = None) -> None:
        text = (question if isinstance(question, str) else self.input.text()).strip()
        if not text or self._current is not None:
            return
        self.input.clear()
        self._set_busy(True)
        waiting = self.session.worker.busy()
        self._current = self._add(text)
        if waiting:
            self._current.status.setText("Waiting for the work in progress to finish…")
        self.session.run("answer a question", conversation.ask, text, on_token=self.session.events.answer_token.emit,
                         done=self._answered, failed=self._failed)

    def _add(self, question: str) -> Exchange:
        self.welcome.hide()
        exchange = Exchange(question)
        exchange.source_opened.connect(self.source_opened)
        self.column.insertWidget(self.column.count() - 1, exchange)
        return exchange

    def _token(self, token: str) -> None:
        if self._current is not None:
            self._current.append_token(token)

    def _answered(self, turn: Turn) -> None:
        if self._current is not None:
            self._current.finish(turn)
        self._current = None
        self._set_busy(False)
        self.session.events.answer_ready.emit(turn)

    def _failed(self, error: Exception) -> None:
        if self._current is not None:
            self._current.fail(describe(error))
        self._current = None
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        self.send.setEnabled(not busy)
        self.send.setText("Thinking…" if busy else "Ask")
        if not busy:
            self.input.setFocus()

    def _follow(self, _lo: int, hi: int) -> None:
        if self._current is not None or self.scroll.verticalScrollBar().value() > hi - 200:
            QTimer.singleShot(0, lambda: self.scroll.verticalScrollBar().setValue(hi))
