"""Search: everything that was seen, as you type, grouped by day and app; Enter opens the moment."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFontMetrics,
    QImage,
    QKeyEvent,
    QPainter,
    QPen,
    QPixmap,
    QTextDocument,
    QTextOption,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app import timeline
from app.session import Session
from app.timeline import Found, FoundGroup
from app.worker import Job, describe
from ui import theme
from ui.formatting import counted, day_title
from ui.lists import ItemRole, LazyListModel

TYPE_PAUSE_MS = 250  # a search starts this long after the last key
THUMB = QSize(112, 70)
RANGES = (("Any time", None), ("Today", 0), ("Since yesterday", 1), ("Last 7 days", 7), ("Last 30 days", 30),
          ("Last 12 months", 365))


@dataclass(frozen=True)
class GroupRow:
    """A heading: a day and an app, with how many hits it holds."""

    day: date
    app: str
    count: int


def rows_of(groups: list[FoundGroup]) -> list[GroupRow | Found]:
    rows: list[GroupRow | Found] = []
    for g in groups:
        rows.append(GroupRow(g.day, g.app, len(g.items)))
        rows.extend(g.items)
    return rows


def time_range(days: int | None, today: date | None = None) -> tuple[datetime | None, datetime | None]:
    """The local time range of a range choice: None is any time, 0 today, N the last N days."""
    if days is None:
        return None, None
    today = today or date.today()
    return datetime.combine(today - timedelta(days=days), time()).astimezone(), None


def marked_html(text: str, spans: tuple[tuple[int, int], ...], mark: str) -> str:
    """`text` as HTML with each span highlighted; every other character escaped."""
    out, at = [], 0
    for start, end in spans:
        out.append(html.escape(text[at:start]))
        out.append(f'<span style="background-color:{mark}; font-weight:600">{html.escape(text[start:end])}</span>')
        at = end
    out.append(html.escape(text[at:]))
    return "".join(out)


def _thumbnails(engram, frame_ids: list[str]) -> dict[str, QImage]:
    """Decrypt and shrink frames (in memory only; on the reader thread: QImage is thread-safe)."""
    out: dict[str, QImage] = {}
    for frame_id in frame_ids:
        try:
            data = timeline.frame_image(engram, frame_id)
        except Exception:  # a frame gone or unreadable: the row shows no picture  # noqa: BLE001
            continue
        image = QImage()
        if image.loadFromData(data):
            out[frame_id] = image.scaled(THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.SmoothTransformation)
    return out


def snippet_height(doc: QTextDocument, lines: int, room: int) -> float:
    """The height of the first `lines` laid-out lines of `doc`, at most `room` pixels: lines set in
    a fallback font (Chinese, Japanese, Arabic) are taller than the list font's own lines."""
    doc.size()  # lays the document out (Qt does it lazily)
    layout = doc.firstBlock().layout()
    shown = min(lines, layout.lineCount())
    height = layout.lineAt(shown - 1).rect().bottom() + 1 if shown else 0.0
    return min(height, float(room))


class FoundDelegate(QStyledItemDelegate):
    """Paints day/app headings and hits: thumbnail, time, window title, the snippet with the
    matching words marked (wrapped anywhere, so an unbroken token cannot widen the list)."""

    PAD = 10

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.thumbs: dict[str, QPixmap] = {}

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        line = QFontMetrics(option.font).height()
        if isinstance(index.data(ItemRole), GroupRow):
            return QSize(200, line + 22)
        return QSize(200, max(THUMB.height(), 3 * line + 6) + 2 * self.PAD)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        item = index.data(ItemRole)
        s = theme.current()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = option.rect
        fm = QFontMetrics(option.font)
        if isinstance(item, GroupRow):
            bold = theme.heading_font(option.font, 0.5)
            painter.setFont(bold)
            painter.setPen(theme.app_color(item.app, s))
            label = f"{day_title(item.day)} · {item.app}"
            count = counted(item.count, "match", "matches")
            cw = fm.horizontalAdvance(count) + self.PAD
            text_rect = QRect(r.left() + self.PAD, r.top() + 10, r.width() - 2 * self.PAD - cw, fm.height() + 4)
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter,
                             QFontMetrics(bold).elidedText(label, Qt.TextElideMode.ElideRight, text_rect.width()))
            painter.setFont(option.font)
            painter.setPen(QColor(s.muted))
            painter.drawText(QRect(r.right() - self.PAD - cw, text_rect.top(), cw, text_rect.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, count)
            painter.restore()
            return
        found: Found = item
        o = found.observation
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(r, QColor(theme.selection(s)))
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(r, QColor(s.alternate))
        painter.setPen(QPen(QColor(s.border), 1))
        painter.drawLine(r.left() + self.PAD, r.bottom(), r.right() - self.PAD, r.bottom())
        thumb_rect = QRect(r.left() + self.PAD, r.top() + self.PAD, THUMB.width(), THUMB.height())
        pixmap = self.thumbs.get(found.frame_id or "")
        if pixmap is not None:
            x = thumb_rect.left() + (thumb_rect.width() - pixmap.width()) // 2
            y = thumb_rect.top() + (thumb_rect.height() - pixmap.height()) // 2
            painter.drawPixmap(x, y, pixmap)
        else:
            painter.setPen(QPen(QColor(s.border), 1))
            painter.setBrush(QColor(s.alternate))
            painter.drawRoundedRect(QRectF(thumb_rect).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
            painter.setPen(QColor(s.muted))
            painter.drawText(thumb_rect, Qt.AlignmentFlag.AlignCenter,
                             "no frame" if not found.frame_id else "…")
        left = thumb_rect.right() + self.PAD + 4
        width = max(10, r.right() - self.PAD - left)
        top = r.top() + self.PAD
        stamp = o.time.astimezone().strftime("%H:%M:%S")
        sw = fm.horizontalAdvance(stamp) + self.PAD
        painter.setPen(QColor(s.muted))
        painter.drawText(QRect(left, top, sw, fm.height()), Qt.AlignmentFlag.AlignVCenter, stamp)
        painter.setPen(QColor(s.text))
        title = fm.elidedText(o.title or o.app or "(no window title)", Qt.TextElideMode.ElideRight, width - sw)
        painter.drawText(QRect(left + sw, top, width - sw, fm.height()), Qt.AlignmentFlag.AlignVCenter, title)
        # the snippet: two wrapped lines at most, the matches marked
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setDocumentMargin(0)
        text_option = QTextOption()
        text_option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        doc.setDefaultTextOption(text_option)
        marked = marked_html(found.snippet, found.spans, theme.match_mark(s))
        doc.setHtml(f'<span style="color:{s.muted}">{marked}</span>')
        doc.setTextWidth(width)
        painter.translate(left, top + fm.height() + 4)
        clip = QRectF(0, 0, width, snippet_height(doc, 2, r.bottom() - self.PAD - (top + fm.height() + 4)))
        painter.setClipRect(clip)
        context = QAbstractTextDocumentLayout.PaintContext()
        context.clip = clip
        doc.documentLayout().draw(painter, context)
        painter.restore()


class SearchView(QWidget):
    """The Search page. Emits `observation_opened` with the id of the moment to show."""

    observation_opened = Signal(int)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._job: Job | None = None
        self._thumb_job: Job | None = None
        self.groups: list[FoundGroup] | None = None
        self.searched = ""  # the query of the results shown
        self._open_when_found = False
        self._timer = QTimer(self, singleShot=True, interval=TYPE_PAUSE_MS, timeout=self.search)

        title = QLabel("Search")
        title.setObjectName("pageTitle")
        self.query = QLineEdit(placeholderText="Search everything you saw: words, names, numbers…",
                               clearButtonEnabled=True)
        self.query.textChanged.connect(lambda _t: self._timer.start())
        self.query.installEventFilter(self)
        self.apps = QComboBox()
        self.apps.addItem("All apps", None)
        self.apps.setMinimumWidth(140)
        self.apps.activated.connect(lambda _i: self.search())
        self.range = QComboBox()
        for label, days in RANGES:
            self.range.addItem(label, days)
        self.range.activated.connect(lambda _i: self.search())
        bar = QHBoxLayout()
        bar.addWidget(title)
        bar.addSpacing(12)
        bar.addWidget(self.query, 1)
        bar.addWidget(self.apps)
        bar.addWidget(self.range)
        self.summary = QLabel("")
        self.summary.setObjectName("muted")
        self.summary.setWordWrap(True)

        self.model = LazyListModel(chunk=100, parent=self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.delegate = FoundDelegate(self.list)
        self.list.setItemDelegate(self.delegate)
        self.list.setMouseTracking(True)
        self.list.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.activated.connect(self._open_index)  # Enter, or a double click
        self.list.doubleClicked.connect(self._open_index)
        self.empty = QLabel("Type to search the text of everything Engram saw. Results appear as you type; "
                            "Enter opens the moment in the timeline.")
        self.empty.setObjectName("muted")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.list)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(8)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(self.stack, 1)
        session.events.observations_changed.connect(self._data_changed)

    def start(self) -> None:
        self.session.read("list apps", lambda engram: engram.store.apps(), done=self._fill_apps)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.start()
        self.query.setFocus()

    def _fill_apps(self, apps: list[tuple[str, int]]) -> None:
        current = self.apps.currentData()
        self.apps.clear()
        self.apps.addItem("All apps", None)
        for app, n in apps:
            self.apps.addItem(f"{app or 'unknown app'} ({n})", app)
        at = self.apps.findData(current) if current is not None else 0
        self.apps.setCurrentIndex(max(at, 0))

    def _data_changed(self) -> None:
        if self.query.text().strip():
            self.search()

    # -- searching ---------------------------------------------------------------------------------
    def set_query(self, text: str) -> None:
        self.query.setText(text)
        self.search()

    def search(self) -> None:
        self._timer.stop()
        if self._job is not None:
            self._job.cancel()
        query = self.query.text().strip()
        if not query:
            self._job = None
            self._open_when_found = False
            self.groups = None
            self.searched = ""
            self.model.set_items([])
            self.summary.setText("")
            self.stack.setCurrentWidget(self.empty)
            return
        since, until = time_range(self.range.currentData())
        self.summary.setText("Searching…")
        # On the reader: a search never waits behind a batch of memory making (a minute or more).
        self._job = self.session.read("search", timeline.search_seen, query, app=self.apps.currentData(),
                                      since=since, until=until,
                                      done=lambda groups, q=query: self._show(q, groups), failed=self._failed)

    def _failed(self, error: Exception) -> None:
        self.summary.setText(f"The search failed: {describe(error)}")

    def _show(self, query: str, groups: list[FoundGroup]) -> None:
        open_now, self._open_when_found = self._open_when_found, False
        self.groups = groups
        self.searched = query
        self.model.set_items(rows_of(groups))
        hits = sum(len(g.items) for g in groups)
        if not hits:
            self.summary.setText(f"Nothing seen matches “{query}”" +
                                 (" with these filters." if self.apps.currentData() is not None
                                  or self.range.currentData() is not None else "."))
            self.empty.setText("No matches. Try fewer or other words, or widen the app and time filters.")
            self.stack.setCurrentWidget(self.empty)
            return
        days = len({g.day for g in groups})
        self.summary.setText(f"{counted(hits, 'moment')} on {counted(days, 'day')}, "
                             "newest day first · the best match is chosen · Enter opens it in the timeline")
        self.stack.setCurrentWidget(self.list)
        best = self.model.find(lambda r: isinstance(r, Found) and r.rank == 0)
        if best is not None:
            self.list.setCurrentIndex(self.model.index(best))
            self.list.scrollTo(self.model.index(best))
            if open_now:
                self.open_current()
        wanted = list(dict.fromkeys(f.frame_id for g in groups for f in g.items
                                    if f.frame_id and f.frame_id not in self.delegate.thumbs))
        if self._thumb_job is not None:
            self._thumb_job.cancel()
        if wanted:
            self._thumb_job = self.session.read("show thumbnails", _thumbnails, wanted, done=self._thumbs_loaded)

    def _thumbs_loaded(self, images: dict[str, QImage]) -> None:
        for frame_id, image in images.items():
            self.delegate.thumbs[frame_id] = QPixmap.fromImage(image)
        self.list.viewport().update()

    # -- opening -----------------------------------------------------------------------------------
    def current_found(self) -> Found | None:
        index = self.list.currentIndex()
        item = index.data(ItemRole) if index.isValid() else None
        return item if isinstance(item, Found) else None

    def open_current(self) -> None:
        found = self.current_found()
        if found is not None:
            self.observation_opened.emit(found.observation.id)

    def _open_index(self, index: QModelIndex) -> None:
        item = index.data(ItemRole) if index.isValid() else None
        if isinstance(item, Found):
            self.observation_opened.emit(item.observation.id)

    def _move(self, step: int) -> None:
        rows = [n for n in range(self.model.rowCount()) if isinstance(self.model.item(n), Found)]
        if not rows:
            return
        now = self.list.currentIndex().row()
        later = [n for n in rows if (n > now if step > 0 else n < now)]
        target = (later[0] if step > 0 else later[-1]) if later else now
        if target >= 0:
            self.list.setCurrentIndex(self.model.index(target))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The keys work from the search field: Enter opens the chosen hit, the arrows choose one.
        if watched is self.query and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self._timer.isActive() or (self._job is not None and not self._job.finished):
                    # Enter before the results: search now (if not under way) and open the best hit
                    # when it comes.
                    if self._timer.isActive():
                        self.search()
                    self._open_when_found = True
                    return True
                self.open_current()
                return True
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                self._move(1 if key == Qt.Key.Key_Down else -1)
                return True
        return super().eventFilter(watched, event)
