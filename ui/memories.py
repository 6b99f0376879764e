"""Memories: the six types, searchable, each with its fields, provenance and history; edit, delete."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from app import curation
from app.curation import MemoryDetails
from app.services import (
    EpisodicEvent,
    HistoryEntry,
    Memory,
    MemoryType,
    Observation,
    ProceduralEntry,
    ResourceItem,
    SemanticFact,
    VaultEntry,
)
from app.session import Session
from app.worker import Job, describe
from ui import theme
from ui.formatting import breakable, counted, moment, one_line
from ui.lists import ItemRole, LazyListModel, TwoLineDelegate

TYPE_NAMES = {
    MemoryType.CORE: "Core", MemoryType.EPISODIC: "Episodic", MemoryType.SEMANTIC: "Semantic",
    MemoryType.PROCEDURAL: "Procedural", MemoryType.RESOURCE: "Resource", MemoryType.VAULT: "Vault",
}
TYPE_HINTS = {
    MemoryType.CORE: "Who you are and how you like to be answered.",
    MemoryType.EPISODIC: "Things you did, saw or said, with their time.",
    MemoryType.SEMANTIC: "Facts about people, things and ideas.",
    MemoryType.PROCEDURAL: "How you do things: workflows, guides, scripts.",
    MemoryType.RESOURCE: "Documents, pages and code you worked with.",
    MemoryType.VAULT: "Reference values: contacts, addresses, account ids. Masked until you reveal them.",
}
MULTILINE = {"value", "summary", "details", "content_excerpt", "steps"}
MASK = "••••••••"


def label_of(name: str) -> str:
    return name.replace("_", " ").capitalize()


def headline(memory: Memory) -> str:
    """The list line; a vault value is never shown in a list."""
    if isinstance(memory, VaultEntry):
        return f"{memory.caption}: {MASK}"
    return one_line(memory.headline(), 200)


def subtitle(memory: Memory) -> str:
    """The type and the one or two fields that tell items of a type apart."""
    extra: list[str] = []
    if isinstance(memory, EpisodicEvent):
        extra = [moment(memory.occurred_at), memory.app]
    elif isinstance(memory, VaultEntry):
        extra = [memory.entry_type, f"{memory.sensitivity} sensitivity"]
    elif isinstance(memory, ResourceItem):
        extra = [memory.resource_type, memory.location]
    elif isinstance(memory, ProceduralEntry):
        extra = [memory.entry_type, f"{len(memory.steps)} steps"]
    elif isinstance(memory, SemanticFact):
        extra = [one_line(memory.summary, 120)]
    return " · ".join([TYPE_NAMES[memory.type], *(e for e in extra if e)])


def shown_value(value: object) -> str:
    if isinstance(value, tuple):
        return "\n".join(f"{n}. {v}" for n, v in enumerate(value, 1)) or "—"
    if isinstance(value, datetime):
        return moment(value)
    if value is None or value == "":
        return "—"
    return str(value)


def edit_value(value: object) -> str:
    if isinstance(value, tuple):
        return "\n".join(str(v) for v in value)
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    return "" if value is None else str(value)


def type_color(kind: MemoryType) -> QColor:
    return theme.app_color("memory-type-" + kind.value)


class MemoryDetail(QWidget):
    """The right side: one memory, read or edited."""

    observation_opened = Signal(int)
    deleted = Signal(str)
    saved = Signal(object)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.details: MemoryDetails | None = None
        self._editors: dict[str, QLineEdit | QPlainTextEdit] = {}
        self._revealed = False
        self._job: Job | None = None
        self.title = QLabel("")
        self.title.setFont(theme.heading_font(self.font(), 3))
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta = QLabel("")
        self.meta.setObjectName("muted")
        self.meta.setWordWrap(True)
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setVerticalSpacing(8)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.hide()
        self.edit_button = QPushButton("Edit")
        self.edit_button.clicked.connect(self.start_edit)
        self.save_button = QPushButton("Save")
        self.save_button.setProperty("primary", True)
        self.save_button.clicked.connect(self.save)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(lambda: self._show(self.details))
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setProperty("destructive", True)
        self.delete_button.setToolTip("Erase this memory and its history everywhere")
        self.delete_button.clicked.connect(self.delete)
        self.reveal_button = QPushButton("Reveal value")
        self.reveal_button.clicked.connect(self._toggle_reveal)
        buttons = QHBoxLayout()
        for b in (self.edit_button, self.reveal_button, self.save_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.delete_button)
        self.sources_title = QLabel("Where it came from")
        self.sources_title.setFont(theme.heading_font(self.font(), 1))
        self.sources_model = LazyListModel(self._render_source, chunk=50, parent=self)
        self.sources = QListView()
        self.sources.setModel(self.sources_model)
        self.sources.setItemDelegate(TwoLineDelegate(self.sources))
        self.sources.setMinimumHeight(120)
        self.sources.clicked.connect(lambda i: self.observation_opened.emit(i.data(ItemRole).id))
        self.sources.setCursor(Qt.CursorShape.PointingHandCursor)
        self.no_sources = QLabel("No observation is linked to this memory (it was added by hand or imported).")
        self.no_sources.setObjectName("muted")
        self.no_sources.setWordWrap(True)
        self.history_title = QLabel("Changes")
        self.history_title.setFont(theme.heading_font(self.font(), 1))
        self.history = QLabel("")
        self.history.setWordWrap(True)
        self.history.setTextFormat(Qt.TextFormat.RichText)
        self.history.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(4, 0, 12, 12)
        column.setSpacing(10)
        column.addWidget(self.title)
        column.addWidget(self.meta)
        column.addLayout(buttons)
        column.addWidget(self.error)
        column.addLayout(self.form)
        column.addSpacing(6)
        column.addWidget(self.sources_title)
        column.addWidget(self.sources)
        column.addWidget(self.no_sources)
        column.addSpacing(6)
        column.addWidget(self.history_title)
        column.addWidget(self.history)
        column.addStretch(1)
        self.scroll = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        self.empty = QLabel("Choose a memory to see what it says, where it came from and how it changed.")
        self.empty.setObjectName("muted")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(scroll)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        layout.addWidget(self.stack)

    @staticmethod
    def _render_source(o: Observation) -> tuple[str, str, QColor | None, str]:
        return (f"{o.app or 'unknown app'} — {o.title}" if o.title else (o.app or "unknown app"),
                one_line(o.text, 200), theme.app_color(o.app), moment(o.time))

    # -- showing -----------------------------------------------------------------------------------
    def load(self, memory_id: str | None) -> None:
        if self._job is not None:
            self._job.cancel()
        if memory_id is None:
            self.details = None
            self.stack.setCurrentWidget(self.empty)
            return
        self._job = self.session.read("open a memory", curation.details, memory_id, done=self._loaded,
                                      failed=lambda e: self._failed(describe(e)))

    def _loaded(self, details: MemoryDetails) -> None:
        other = self.details is None or self.details.memory.id != details.memory.id
        if other:
            self._revealed = False
        self._show(details)
        if other:  # another memory starts at its title and buttons, not where the last one was scrolled to
            self.scroll.verticalScrollBar().setValue(0)

    def _failed(self, message: str) -> None:
        self.error.setText(message)
        self.error.setStyleSheet(f"color: {theme.current().danger}")
        self.error.show()

    def _clear_form(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self._editors.clear()

    def _show(self, details: MemoryDetails | None) -> None:
        self.details = details
        self.error.hide()
        self._clear_form()
        if details is None:
            self.stack.setCurrentIndex(0)
            return
        self.stack.setCurrentIndex(1)
        m = details.memory
        self.title.setText(breakable(f"{m.caption}: {m.value}" if isinstance(m, VaultEntry) and self._revealed
                                     else headline(m)))
        self.meta.setText(f"{TYPE_NAMES[m.type]} memory {m.id} · created {moment(m.created_at)}"
                          f" · changed {moment(m.updated_at)}")
        for name, value in m.content().items():
            text = shown_value(value)
            if isinstance(m, VaultEntry) and name == "value" and not self._revealed:
                text = MASK
            label = QLabel(breakable(text))
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setObjectName(f"field_{name}")
            self.form.addRow(self._field_label(name), label)
        is_vault = isinstance(m, VaultEntry)
        self.reveal_button.setVisible(is_vault)
        self.reveal_button.setText("Hide value" if self._revealed else "Reveal value")
        self._editing(False)
        self.sources_model.set_items(details.sources)
        self.sources_title.setText(f"Where it came from ({counted(len(details.sources), 'observation')})")
        self.sources.setVisible(bool(details.sources))
        self.no_sources.setVisible(not details.sources)
        self.history.setText(self._history_html(details.history, is_vault))

    def _field_label(self, name: str) -> QLabel:
        label = QLabel(label_of(name))
        label.setObjectName("muted")
        label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        return label

    def _history_html(self, entries: tuple[HistoryEntry, ...], secret: bool) -> str:
        s = theme.current()
        if not entries:
            return f'<span style="color:{s.muted}">No recorded changes.</span>'
        rows = []
        for e in reversed(entries):
            verb = {"ADD": "Added", "UPDATE": "Changed", "DELETE": "Deleted"}.get(e.operation, e.operation)
            head = (f"<b>{verb}</b> <span style='color:{s.muted}'>{moment(e.at)} · "
                    f"{_esc(e.cause)}</span>")
            changes = []
            if e.old is not None and e.new is not None:
                for key, new in e.new.items():
                    old = e.old.get(key)
                    if old != new:
                        was, now = _brief(old, secret and key == "value"), _brief(new, secret and key == "value")
                        changes.append(f"{_esc(label_of(key))}: <s>{_esc(was)}</s> → {_esc(now)}")
            rows.append(head + ("<br>&nbsp;&nbsp;" + "<br>&nbsp;&nbsp;".join(changes) if changes else ""))
        return "<br><br>".join(rows)

    # -- vault ---------------------------------------------------------------------------------------
    def _toggle_reveal(self) -> None:
        self._revealed = not self._revealed
        old = self._editors.get("value")
        if old is None:  # reading, not editing
            self._show(self.details)
            return
        # Editing: swap the value's editor in place, keeping what was typed so far. The masked one
        # holds nothing of the stored value (not even its length): empty there means unchanged.
        stored = edit_value(self.details.memory.value) if self.details else ""
        if isinstance(old, QPlainTextEdit):
            typed = old.toPlainText()
            editor = self._vault_editor("" if typed == stored else typed)
        else:
            editor = self._vault_editor(old.text() or stored)
        self.form.replaceWidget(old, editor)
        old.deleteLater()
        self._editors["value"] = editor
        self.reveal_button.setText("Hide value" if self._revealed else "Reveal value")

    def _vault_editor(self, text: str) -> QLineEdit | QPlainTextEdit:
        """The editor of a vault value: until the user reveals it, an empty password field (typing
        there replaces the value; left empty, the value stays as it is)."""
        if self._revealed:
            editor: QLineEdit | QPlainTextEdit = QPlainTextEdit(text)
            editor.setMinimumHeight(70)
            editor.setTabChangesFocus(True)
        else:
            editor = QLineEdit(text)
            editor.setEchoMode(QLineEdit.EchoMode.Password)
            editor.setPlaceholderText("unchanged (masked): type a new value, or press “Reveal value”")
        editor.setObjectName("edit_value")
        return editor

    # -- editing -------------------------------------------------------------------------------------
    def _editing(self, on: bool) -> None:
        self.edit_button.setVisible(not on)
        self.delete_button.setVisible(not on)
        self.save_button.setVisible(on)
        self.cancel_button.setVisible(on)
        if on:
            self.reveal_button.setVisible(isinstance(self.details.memory if self.details else None, VaultEntry))

    def start_edit(self) -> None:
        if self.details is None:
            return
        m = self.details.memory
        self._clear_form()
        for name, value in m.content().items():
            text = edit_value(value)
            editor: QLineEdit | QPlainTextEdit
            if isinstance(m, VaultEntry) and name == "value":
                editor = self._vault_editor(text if self._revealed else "")
            elif name in MULTILINE:
                editor = QPlainTextEdit(text)
                editor.setMinimumHeight(70 if name != "details" else 110)
                editor.setTabChangesFocus(True)
            else:
                editor = QLineEdit(text)
                if isinstance(value, datetime) or name.endswith("_at"):
                    editor.setPlaceholderText("YYYY-MM-DD HH:MM")
            editor.setObjectName(f"edit_{name}")
            self._editors[name] = editor
            self.form.addRow(self._field_label(name), editor)
        self._editing(True)

    def editor(self, name: str) -> QLineEdit | QPlainTextEdit:
        return self._editors[name]

    def save(self) -> None:
        if self.details is None:
            return
        m = self.details.memory
        changes: dict[str, object] = {}
        for name, editor in self._editors.items():
            text = editor.toPlainText() if isinstance(editor, QPlainTextEdit) else editor.text()
            if isinstance(m, VaultEntry) and name == "value" and not text and not self._revealed:
                continue  # the masked field left empty: the value stays
            if text != edit_value(getattr(m, name)):
                changes[name] = text
        if not changes:
            self._show(self.details)
            return
        self.save_button.setEnabled(False)

        def done(memory: Memory) -> None:
            self.save_button.setEnabled(True)
            self.saved.emit(memory)
            self.session.events.memories_changed.emit()
            self.load(memory.id)

        def failed(error: Exception) -> None:
            self.save_button.setEnabled(True)
            self._failed(describe(error))

        self.session.run("edit a memory", curation.edit, m.id, changes, done=done, failed=failed)

    def delete(self) -> None:
        if self.details is None:
            return
        m = self.details.memory
        answer = QMessageBox.warning(
            self, "Delete this memory",
            f"Erase “{headline(m)}” from every layer — the memory, its history, and the search "
            "indexes? The observations it came from stay in the timeline. This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return

        def done(_report) -> None:
            self.deleted.emit(m.id)
            self.session.events.memories_changed.emit()

        self.session.run("delete a memory", lambda engram: engram.forget(memory_id=m.id), done=done,
                         failed=lambda e: self._failed(describe(e)))


def _esc(text: str) -> str:
    return breakable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _brief(value: object, secret: bool) -> str:
    if secret:
        return MASK
    if isinstance(value, list):
        value = "; ".join(map(str, value))
    return one_line(str(value if value not in (None, "") else "—"), 120)


class MemoriesView(QWidget):
    """The Memories page."""

    observation_opened = Signal(int)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._kind: MemoryType | None = None
        self._job: Job | None = None
        self._select: str | None = None
        title = QLabel("Memories")
        title.setObjectName("pageTitle")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search memories…")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(280)
        self._debounce = QTimer(self, singleShot=True, interval=250, timeout=self.reload)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        head = QHBoxLayout()
        head.addWidget(title)
        head.addStretch(1)
        head.addWidget(self.search)

        self.tabs = QTabBar()
        self.tabs.setExpanding(False)
        self.tabs.setDrawBase(False)
        self._kinds: list[MemoryType | None] = [None, *MemoryType]
        for kind in self._kinds:
            self.tabs.addTab(TYPE_NAMES[kind] if kind else "All")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.hint = QLabel("All six kinds of memory, most recently changed first.")
        self.hint.setObjectName("muted")

        self.model = LazyListModel(self._render, chunk=150, parent=self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setItemDelegate(TwoLineDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.selectionModel().currentChanged.connect(self._chosen)
        self.empty = QLabel("")
        self.empty.setObjectName("muted")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.left = QStackedWidget()
        self.left.addWidget(self.list)
        self.left.addWidget(self.empty)
        self.detail = MemoryDetail(session)
        self.detail.observation_opened.connect(self.observation_opened)
        self.detail.deleted.connect(self._deleted)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.left)
        split.addWidget(self.detail)
        split.setSizes([460, 560])
        split.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(8)
        layout.addLayout(head)
        layout.addWidget(self.tabs)
        layout.addWidget(self.hint)
        layout.addWidget(split, 1)
        session.events.memories_changed.connect(self.reload)

    @staticmethod
    def _render(m: Memory) -> tuple[str, str, QColor | None, str]:
        return headline(m), subtitle(m), type_color(m.type), moment(m.updated_at)

    def start(self) -> None:
        self.reload()

    def show_memory(self, memory_id: str) -> None:
        """Open a memory (from an Ask source): its type's tab, the item selected."""
        try:
            kind = MemoryType(memory_id.split(":", 1)[0])
        except ValueError:
            return
        self._select = memory_id
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        if self.tabs.currentIndex() != self._kinds.index(kind):
            self.tabs.setCurrentIndex(self._kinds.index(kind))  # reloads
        else:
            self.reload()
        self.detail.load(memory_id)

    def _tab_changed(self, index: int) -> None:
        self._kind = self._kinds[index]
        self.hint.setText(TYPE_HINTS[self._kind] if self._kind else
                          "All six kinds of memory, most recently changed first.")
        self.reload()

    def reload(self) -> None:
        if self._job is not None:
            self._job.cancel()
        self._job = self.session.read("list memories", _listing, self.search.text(), self._kind,
                                      done=self._show)

    def _show(self, result: tuple[list[Memory], dict[str, int]]) -> None:
        memories, counts = result
        current = self.selected()
        requested = self._select
        want = requested or (current.id if current else None)
        self._select = None
        for i, kind in enumerate(self._kinds):
            n = sum(counts.values()) if kind is None else counts.get(kind.value, 0)
            self.tabs.setTabText(i, f"{TYPE_NAMES[kind] if kind else 'All'}  {n}")
        self.model.set_items(memories)
        if not memories:
            query = self.search.text().strip()
            self.empty.setText(f"No memory matches “{query}”." if query else
                               "No memories of this kind yet. They are distilled from what Engram sees, "
                               "a batch at a time, by the local model.")
            self.left.setCurrentWidget(self.empty)
        else:
            self.left.setCurrentWidget(self.list)
        row = self.model.find(lambda m: m.id == want) if want else None
        if row is not None:
            self.list.setCurrentIndex(self.model.index(row))
            self.list.scrollTo(self.model.index(row))
        elif want and not requested and self.detail.details and self.detail.details.memory.id == want:
            self.detail.load(None)

    def selected(self) -> Memory | None:
        index = self.list.currentIndex()
        return index.data(ItemRole) if index.isValid() else None

    def _chosen(self, index: QModelIndex) -> None:
        m = index.data(ItemRole) if index.isValid() else None
        if m is not None and (self.detail.details is None or self.detail.details.memory.id != m.id
                              or self.detail.details.memory.updated_at != m.updated_at):
            self.detail.load(m.id)

    def _deleted(self, memory_id: str) -> None:
        self.model.remove(lambda m: m.id == memory_id)
        self.detail.load(None)


def _listing(engram, query: str, kind: MemoryType | None) -> tuple[list[Memory], dict[str, int]]:
    """The memories shown, and each tab's count: with a search, how many of each kind match it."""
    if not query.strip():
        return curation.find(engram, query, kind), curation.counts(engram)
    matching = curation.find(engram, query, None)
    counts = dict(Counter(m.type.value for m in matching))
    return ([m for m in matching if m.type == kind] if kind is not None else matching), counts
