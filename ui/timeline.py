"""Timeline: the day as a vertical time axis of episodes; click one to see what was on screen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QDate, QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QPainter,
    QPen,
    QPixmap,
    QResizeEvent,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import timeline
from app.services import Observation
from app.session import Session
from app.timeline import Day, Episode
from app.worker import Job
from ui import theme
from ui.formatting import breakable, clock, counted, day_title, duration, one_line, right_to_left
from ui.frames import FrameViewer
from ui.lists import ItemRole, LazyListModel, TwoLineDelegate

GUTTER = 70  # room for the time labels left of the axis
CARD_MARGINS = 48  # a card's margins and padding beside the gutter (see _paint_episode)
SUMMARY_LINES = 2  # at day zoom a card shows its summary in up to this many lines


@dataclass(frozen=True)
class HourRow:
    """A heading row on the axis: an hour of the day and how it was spent."""

    hour: int
    episodes: int
    minutes: float


def rows_of(day: Day) -> list[HourRow | Episode]:
    """Episodes with an hour heading before the first episode of each hour."""
    rows: list[HourRow | Episode] = []
    by_hour: dict[int, list[Episode]] = {}
    for ep in day.episodes:
        by_hour.setdefault(ep.start.hour, []).append(ep)
    for hour, eps in by_hour.items():
        rows.append(HourRow(hour, len(eps), sum(e.minutes for e in eps)))
        rows.extend(eps)
    return rows


class EpisodeDelegate(QStyledItemDelegate):
    """Paints hour headings and episode cards along a time axis."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.hour_zoom = False

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        item = index.data(ItemRole)
        line = QFontMetrics(option.font).height()
        if isinstance(item, HourRow):
            return QSize(300, line + 22)
        if self.hour_zoom:
            return QSize(300, int(max(card_height(2, line), item.minutes * 14)))
        # a card is as tall as its summary needs, up to SUMMARY_LINES lines at the list's width (less
        # the scroll bar, which may appear once the cards are laid out, and then narrows them)
        view = self.parent()
        width = 600
        if isinstance(view, QListView):
            bar = view.verticalScrollBar()
            width = view.viewport().width() - (0 if bar.isVisible() else view.style().pixelMetric(
                QStyle.PixelMetric.PM_ScrollBarExtent))
        width -= GUTTER + CARD_MARGINS
        lines = max(1, len(wrapped_lines(item.summary, option.font, width, SUMMARY_LINES)))
        return QSize(300, card_height(lines, line))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        item = index.data(ItemRole)
        s = theme.current()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if isinstance(item, HourRow):
            self._paint_hour(painter, option, item, s)
        elif isinstance(item, Episode):
            self._paint_episode(painter, option, item, s)
        painter.restore()

    def _paint_hour(self, p: QPainter, option: QStyleOptionViewItem, row: HourRow, s: theme.Scheme) -> None:
        r = option.rect
        bold = theme.heading_font(option.font, 0.5)
        fm = QFontMetrics(bold)
        p.setFont(bold)
        p.setPen(QColor(s.text))
        label = f"{row.hour:02d}:00"
        text_rect = QRect(r.left() + 8, r.top() + 8, GUTTER - 16, fm.height() + 4)
        p.drawText(text_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
        p.setPen(QPen(QColor(s.border), 1))
        y = text_rect.center().y()
        p.drawLine(r.left() + GUTTER, y, r.right() - 12, y)
        p.setFont(option.font)
        p.setPen(QColor(s.muted))
        summary = f"{counted(row.episodes, 'episode')} · {duration(row.minutes)}"
        fm2 = QFontMetrics(option.font)
        w = fm2.horizontalAdvance(summary) + 16
        box = QRect(r.right() - 12 - w, text_rect.top(), w, text_rect.height())
        p.fillRect(box, QColor(s.base))
        p.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, summary)

    def _paint_episode(self, p: QPainter, option: QStyleOptionViewItem, ep: Episode, s: theme.Scheme) -> None:
        r = option.rect
        fm = QFontMetrics(option.font)
        color = theme.app_color(ep.app, s)
        axis_x = r.left() + GUTTER - 6
        p.setPen(QPen(QColor(s.border), 2))
        p.drawLine(axis_x, r.top(), axis_x, r.bottom())
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        p.drawEllipse(QRectF(axis_x - 4.5, r.top() + 12, 9, 9))
        p.setPen(QColor(s.muted))
        p.drawText(QRect(r.left() + 4, r.top() + 8, GUTTER - 22, fm.height()),
                   Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, clock(ep.start))
        card = QRectF(r.left() + GUTTER + 8, r.top() + 4, r.width() - GUTTER - 20, r.height() - 8)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        p.setBrush(QColor(theme.selection(s)) if selected else QColor(s.alternate) if hovered else QColor(s.base))
        p.setPen(QPen(QColor(s.accent) if selected else QColor(s.border), 2 if selected else 1))
        p.drawRoundedRect(card, 8, 8)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        p.drawRoundedRect(QRectF(card.left() + 1, card.top() + 6, 4, card.height() - 12), 2, 2)
        inner = card.toRect().adjusted(16, 9, -12, -8)
        p.setClipRect(card.toRect().adjusted(1, 1, -1, -1))
        line = fm.height()
        # line 1: app, time range, duration
        bold = QFont(option.font)
        bold.setWeight(QFont.Weight.DemiBold)
        p.setFont(bold)
        p.setPen(color)
        app = QFontMetrics(bold).elidedText(ep.app, Qt.TextElideMode.ElideRight, inner.width() // 2)
        p.drawText(QRect(inner.left(), inner.top(), inner.width(), line), Qt.AlignmentFlag.AlignVCenter, app)
        app_w = QFontMetrics(bold).horizontalAdvance(app) + 10
        p.setFont(option.font)
        p.setPen(QColor(s.muted))
        count = len(ep.observation_ids)
        extra = f"{clock(ep.start)}–{clock(ep.end)} · {duration(ep.minutes)} · {counted(count, 'view')}"
        if ep.frames:
            extra += f" · {counted(ep.frames, 'frame')}"
        meta = fm.elidedText(extra, Qt.TextElideMode.ElideRight, max(0, inner.width() - app_w))
        p.drawText(QRect(inner.left() + app_w, inner.top(), inner.width() - app_w, line),
                   Qt.AlignmentFlag.AlignVCenter, meta)
        # line 2: the window title
        p.setPen(QColor(s.text))
        title = ep.titles[0] if ep.titles else "(no window title)"
        if len(ep.titles) > 1:
            title += f"  (+{len(ep.titles) - 1} more)"
        p.drawText(QRect(inner.left(), inner.top() + line + 3, inner.width(), line),
                   leading_edge(title) | Qt.AlignmentFlag.AlignVCenter,
                   fm.elidedText(title, Qt.TextElideMode.ElideRight, inner.width()))
        # the rest: the summary, wrapped into the lines that fit; at hour zoom, what was read when
        p.setPen(QColor(s.muted))
        top = inner.top() + 2 * (line + 3)
        room = max(1, summary_room(r.height(), line))
        most = min(room, 2) if self.hour_zoom and ep.moments else room if self.hour_zoom else min(room, SUMMARY_LINES)
        summary = wrapped_lines(ep.summary or "", option.font, inner.width(), most)
        for n, text in enumerate(summary):
            p.drawText(QRect(inner.left(), top + n * (line + 2), inner.width(), line),
                       leading_edge(ep.summary) | Qt.AlignmentFlag.AlignVCenter, text)
        used = len(summary)
        if self.hour_zoom and ep.moments:
            self._draw_moments(p, fm, ep, QRect(inner.left(), top + used * (line + 2) + 6, inner.width(),
                                                inner.bottom() - top - used * (line + 2) - 6), s)

    @staticmethod
    def _draw_moments(p: QPainter, fm: QFontMetrics, ep: Episode, rect: QRect, s: theme.Scheme) -> None:
        rows = max(0, (rect.height() + 2) // (fm.height() + 2))
        if rows == 0:
            return
        moments = ep.moments if len(ep.moments) <= rows else \
            [ep.moments[int(i * len(ep.moments) / rows)] for i in range(rows)]
        gutter = fm.horizontalAdvance("00:00") + 10
        y = rect.top()
        for at, text in moments:
            p.setPen(QColor(s.muted))
            p.drawText(QRect(rect.left(), y, gutter, fm.height()), Qt.AlignmentFlag.AlignVCenter, clock(at))
            p.setPen(QColor(s.text))
            p.drawText(QRect(rect.left() + gutter, y, rect.width() - gutter, fm.height()),
                       Qt.AlignmentFlag.AlignVCenter,
                       fm.elidedText(text, Qt.TextElideMode.ElideRight, rect.width() - gutter))
            y += fm.height() + 2


def card_height(lines: int, line: int) -> int:
    """The height in pixels of a row holding a card whose summary takes `lines` lines of `line`
    pixels: the card's margins (8) and padding (17), the app and title lines (each `line` + 3), the
    summary lines 2 pixels apart."""
    return 8 + 17 + 2 * (line + 3) + lines * line + (lines - 1) * 2


def summary_room(height: int, line: int) -> int:
    """How many summary lines fit in a row of `height` pixels (the inverse of `card_height`)."""
    return (height - 8 - 17 - 2 * (line + 3) + 2) // (line + 2)


def leading_edge(text: str | None) -> Qt.AlignmentFlag:
    """Where a line of `text` starts: the right for Arabic, Hebrew and other right-to-left text."""
    return Qt.AlignmentFlag.AlignRight if right_to_left(text) else Qt.AlignmentFlag.AlignLeft


def wrapped_lines(text: str, font: QFont, width: int, most: int) -> list[str]:
    """`text`, on one line, broken into at most `most` lines of `width` pixels by Qt's text layout
    (the Unicode line-breaking rules: between words, between CJK characters, and inside a token
    wider than the line, so nothing is cut or widens the card); the last line is elided when text
    is left over. [] for empty text or no room."""
    flat = " ".join((text or "").split())
    if not flat or most < 1 or width < 1:
        return []
    layout = QTextLayout(flat, font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    layout.beginLayout()
    spans: list[tuple[int, int]] = []
    while len(spans) < most:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        spans.append((line.textStart(), line.textLength()))
    layout.endLayout()
    lines = [flat[start:start + length].strip() for start, length in spans]
    start, length = spans[-1]
    if start + length < len(flat):
        lines[-1] = QFontMetrics(font).elidedText(flat[start:], Qt.TextElideMode.ElideRight, width)
    return lines


class FrameView(QLabel):
    """A kept screenshot, scaled to fit; the decrypted image lives only in memory. A click (or
    Enter) on it asks for it at full size (`open_requested`)."""

    open_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap: QPixmap | None = None
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumHeight(120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setObjectName("muted")
        self.show_message("Select an observation to see its text and frame.")

    def mouseReleaseEvent(self, event) -> None:
        super().mouseReleaseEvent(event)
        if self._pixmap is not None and event.button() == Qt.MouseButton.LeftButton:
            self.open_requested.emit()

    def show_message(self, text: str) -> None:
        self.setCursor(Qt.CursorShape.ArrowCursor)
        self.setToolTip("")
        self._pixmap = None
        self.setPixmap(QPixmap())
        self.setText(text)
        self.setWordWrap(True)

    def show_image(self, image: QImage) -> None:
        self._pixmap = QPixmap.fromImage(image)
        self.setText("")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click to see it at full size (← and → step through the day's frames)")
        self._rescale()

    def has_image(self) -> bool:
        return self._pixmap is not None

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if self._pixmap is not None:
            self.setPixmap(self._pixmap.scaled(self.size() - QSize(4, 4), Qt.AspectRatioMode.KeepAspectRatio,
                                               Qt.TransformationMode.SmoothTransformation))


class EpisodeDetail(QWidget):
    """The right side: an episode's observations; the chosen one's text and frame."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._job: Job | None = None
        self._frame_job: Job | None = None
        self._want: int | None = None
        self._frame_of: Observation | None = None  # whose frame is shown (the chosen one's, or its window's before)
        self.title = QLabel("No episode selected")
        self.title.setFont(theme.heading_font(self.font(), 3))
        self.title.setWordWrap(True)
        self.meta = QLabel("")
        self.meta.setObjectName("muted")
        self.meta.setWordWrap(True)
        self.meta.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary = QLabel("")  # what the episode was about: its memory, else its central sentence
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model = LazyListModel(self._render, chunk=100, parent=self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setItemDelegate(TwoLineDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.list.selectionModel().currentChanged.connect(self._observation_chosen)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.text.setPlaceholderText("The text read from the screen appears here.")
        self.frame = FrameView()
        self.frame.open_requested.connect(self.open_frame)
        self.viewer: FrameViewer | None = None
        lower = QSplitter(Qt.Orientation.Vertical)
        lower.addWidget(self.text)
        lower.addWidget(self.frame)
        lower.setSizes([200, 260])
        self.split = split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.list)
        split.addWidget(lower)
        split.setSizes([380, 380])
        split.setChildrenCollapsible(False)
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.title)
        column.addWidget(self.meta)
        column.addWidget(self.summary)
        column.addWidget(split, 1)
        self.placeholder = QLabel("Choose an episode to see what was on the screen: each observation, "
                                  "the text read from it, and the screenshot when one was kept.")
        self.placeholder.setObjectName("muted")
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setContentsMargins(30, 0, 30, 0)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        layout.addWidget(self.stack)

    @staticmethod
    def _render(o: Observation) -> tuple[str, str, QColor | None, str]:
        return (o.title or o.app or "(untitled)", one_line(o.text, 300), None,
                o.time.astimezone().strftime("%H:%M:%S"))

    def show_episode(self, ep: Episode | None, select: int | None = None) -> None:
        if self._job is not None:
            self._job.cancel()
        self.text.clear()
        self._frame_of = None
        self.frame.show_message("Select an observation to see its text and frame.")
        if ep is None:
            self.stack.setCurrentIndex(0)
            self.model.set_items([])
            return
        self.stack.setCurrentIndex(1)
        self.title.setText(breakable(ep.app))
        titles = breakable(", ".join(ep.titles[:3]) + (f" and {len(ep.titles) - 3} more" if len(ep.titles) > 3 else ""))
        self.meta.setText(f"{clock(ep.start)}–{clock(ep.end)} · {duration(ep.minutes)} · "
                          f"{counted(len(ep.observation_ids), 'observation')}" + (f"\n{titles}" if titles else ""))
        self.summary.setText(breakable(ep.summary))
        self.summary.setVisible(bool(ep.summary))
        self.summary.setAlignment(leading_edge(ep.summary))
        self._want = select if select is not None else ep.observation_ids[0]
        self._job = self.session.read("load observations", _load_observations, ep.observation_ids,
                                      done=self._loaded)

    def _loaded(self, observations: list[Observation]) -> None:
        self.model.set_items(observations)
        self._fit_list(len(observations))
        row = self.model.find(lambda o: o.id == self._want) if self._want is not None else None
        if row is not None:
            index = self.model.index(row)
            self.list.setCurrentIndex(index)
            self.list.scrollTo(index, QListView.ScrollHint.PositionAtCenter)

    def _fit_list(self, rows: int) -> None:
        """The observation list as tall as its rows (at most half the column, so the text and the
        frame keep room); the rest goes to the text and the frame."""
        total = sum(self.split.sizes())
        if rows == 0 or total <= 0:
            return
        needed = rows * max(1, self.list.sizeHintForRow(0)) + 2 * self.list.frameWidth()
        top = max(self.list.minimumSizeHint().height(), min(needed, total // 2))
        self.split.setSizes([top, total - top])

    def current_observation(self) -> Observation | None:
        index = self.list.currentIndex()
        return index.data(ItemRole) if index.isValid() else None

    def _observation_chosen(self, index: QModelIndex) -> None:
        o = index.data(ItemRole) if index.isValid() else None
        if self._frame_job is not None:
            self._frame_job.cancel()
        if o is None:
            return
        self._frame_of = None
        self.text.setPlainText(self._header(o) + f"\n\n{o.text}")
        if not o.frame_id and o.frame_removed:
            self.frame.show_message(timeline.missing_frame(o))
            return
        self.frame.show_message("Decrypting the frame…")
        self._frame_job = self.session.read("open frame", timeline.moment_frame, o,
                                            done=lambda shown: self._frame_loaded(o, shown),
                                            failed=self._frame_failed)

    @staticmethod
    def _header(o: Observation, frame_of: Observation | None = None) -> str:
        header = f"{o.time.astimezone():%H:%M:%S} · {o.app}" + (f" · {o.title}" if o.title else "")
        if o.url:
            header += f"\n{o.url}"
        if frame_of is not None and frame_of.id != o.id:
            header += (f"\nNo frame was kept at {o.time.astimezone():%H:%M:%S}; the frame shows this window "
                       f"at {frame_of.time.astimezone():%H:%M:%S}.")
        return header

    def open_frame(self) -> None:
        """The shown frame at full size, stepping through that day's kept frames."""
        o = self._frame_of
        if o is None or not o.frame_id:
            return

        def show(frames: list[Observation]) -> None:
            if self.viewer is not None:
                self.viewer.close()
            self.viewer = FrameViewer(self.session, frames, o.id, self.window())
            self.viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.viewer.destroyed.connect(lambda *_: setattr(self, "viewer", None))
            self.viewer.show()

        self.session.read("list kept frames", timeline.kept_frames, o.time.astimezone().date(), done=show)

    def _frame_loaded(self, o: Observation, shown: timeline.MomentFrame | None) -> None:
        if shown is None:
            self.frame.show_message(timeline.missing_frame(o))
            return
        image = QImage()
        if not image.loadFromData(shown.image):
            self.frame.show_message("The frame could not be read.")
            return
        self._frame_of = shown.holder
        self.frame.show_image(image)
        if shown.holder.id != o.id:
            self.text.setPlainText(self._header(o, shown.holder) + f"\n\n{o.text}")

    def _frame_failed(self, error: Exception) -> None:
        self.frame.show_message(f"The frame cannot be shown: {error}")


def _load_observations(engram, ids: tuple[int, ...]) -> list[Observation]:
    return engram.store.observations(ids=ids)


class TimelineView(QWidget):
    """The Timeline page."""

    memory_opened = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.day_data: Day | None = None
        self._day = date.today()
        self._hour: int | None = None
        self._app: str | None = None
        self._job: Job | None = None
        self._select_obs: int | None = None
        self._reload_soon = QTimer(self, singleShot=True, interval=3000, timeout=self.reload)

        title = QLabel("Timeline")
        title.setObjectName("pageTitle")
        self.prev = QToolButton(text="‹", toolTip="Previous day with activity", autoRaise=True)
        self.next = QToolButton(text="›", toolTip="Next day with activity", autoRaise=True)
        for b in (self.prev, self.next):
            b.setFont(theme.heading_font(self.font(), 6))
        self.prev.clicked.connect(lambda: self._step(-1))
        self.next.clicked.connect(lambda: self._step(+1))
        self.date = QDateEdit(calendarPopup=True, displayFormat="ddd d MMM yyyy")
        self.date.setDate(QDate.currentDate())
        self.date.dateChanged.connect(lambda d: self.set_day(d.toPython()))
        today = QPushButton("Today")
        today.clicked.connect(lambda: self.set_day(date.today()))
        self.zoom_day = QPushButton("Day", checkable=True, checked=True)
        self.zoom_hour = QPushButton("Hour", checkable=True)
        zoom = QButtonGroup(self)
        zoom.setExclusive(True)
        for b in (self.zoom_day, self.zoom_hour):
            zoom.addButton(b)
        self.zoom_day.clicked.connect(lambda: self.set_hour(None))
        self.zoom_hour.clicked.connect(lambda: self.set_hour(self._default_hour()))
        self.hour_box = QComboBox()
        self.hour_box.addItems([f"{h:02d}:00 – {(h + 1) % 24:02d}:00" for h in range(24)])
        self.hour_box.setVisible(False)
        self.hour_box.activated.connect(lambda h: self.set_hour(h))
        self.apps = QComboBox()
        self.apps.setMinimumWidth(140)
        self.apps.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.apps.setMinimumContentsLength(12)
        self.apps.addItem("All apps", None)
        self.apps.activated.connect(lambda i: self.set_app(self.apps.itemData(i)))

        # Two rows, so that nothing is cut at the smallest window (900 x 600): the day and the zoom
        # on top, the filters beside the day's heading.
        for w in (title, self.date, today, self.zoom_day, self.zoom_hour):
            w.setMinimumWidth(w.sizeHint().width())
        bar = QHBoxLayout()
        bar.addWidget(title)
        bar.addSpacing(16)
        bar.addWidget(self.prev)
        bar.addWidget(self.date)
        bar.addWidget(self.next)
        bar.addWidget(today)
        bar.addStretch(1)
        bar.addWidget(self.zoom_day)
        bar.addWidget(self.zoom_hour)

        self.heading = QLabel(day_title(self._day))
        self.heading.setFont(theme.heading_font(self.font(), 1.5))
        self.summary = QLabel("")
        self.summary.setObjectName("muted")

        self.model = LazyListModel(chunk=150, parent=self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.delegate = EpisodeDelegate(self.list)
        self.list.setItemDelegate(self.delegate)
        self.list.setMouseTracking(True)
        self.list.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.list.setSpacing(0)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)  # cards are as tall as their summary at this width
        self.list.selectionModel().currentChanged.connect(self._row_chosen)
        self.list.clicked.connect(self._row_clicked)
        self.empty = QLabel("")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setObjectName("muted")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.list)
        self.stack.addWidget(self.empty)
        self.detail = EpisodeDetail(session)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.stack)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([600, 420])
        split.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(8)
        layout.addLayout(bar)
        head = QHBoxLayout()
        head.addWidget(self.heading)
        head.addStretch(1)
        head.addWidget(self.hour_box)
        head.addWidget(self.apps)
        layout.addLayout(head)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)

        session.events.observations_changed.connect(self.reload)
        session.events.memories_changed.connect(self._reload_later)
        session.events.observation_stored.connect(self._observation_stored)

    # -- navigation --------------------------------------------------------------------------------
    def start(self) -> None:
        """Show the newest day with data (today when there is nothing yet)."""
        self.session.read("find latest day", timeline.latest_day,
                          done=lambda d: self.set_day(d or date.today(), force=True))

    def set_day(self, day: date, *, force: bool = False) -> None:
        if day == self._day and not force:
            return
        self._day = day
        self.date.blockSignals(True)
        self.date.setDate(QDate(day.year, day.month, day.day))
        self.date.blockSignals(False)
        self.reload()

    def set_hour(self, hour: int | None) -> None:
        self._hour = hour
        self.reload()

    def set_app(self, app: str | None) -> None:
        self._app = app
        self.reload()

    def show_observation(self, observation_id: int) -> None:
        """Open the day of an observation and select it (from an Ask source or a memory)."""
        def found(rows: list[Observation]) -> None:
            if not rows:
                self.session.events.job_failed.emit(f"observation {observation_id} is no longer stored")
                return
            self._select_obs = observation_id
            self._day = rows[0].time.astimezone().date()
            self._hour = None
            self._app = None
            self.set_day(self._day, force=True)

        self.session.read("find observation", _load_observations, (observation_id,), done=found)

    def _step(self, step: int) -> None:
        def go(d: date | None) -> None:
            if d is None:
                self.session.events.job_failed.emit("No " + ("earlier" if step < 0 else "later") +
                                                    " day has anything captured.")
            else:
                self.set_day(d)

        self.session.read("find day", timeline.adjacent_day, self._day, step, done=go)

    def _default_hour(self) -> int:
        ep = self.selected_episode()
        if ep is not None:
            return ep.start.hour
        if self.day_data and self.day_data.episodes:
            return self.day_data.episodes[0].start.hour
        return 9

    def _observation_stored(self, _id: int) -> None:
        if self._day == date.today():
            self._reload_later()

    def _reload_later(self) -> None:
        if not self._reload_soon.isActive():
            self._reload_soon.start()

    # -- loading -----------------------------------------------------------------------------------
    def reload(self) -> None:
        if self._job is not None:
            self._job.cancel()
        self.heading.setText(day_title(self._day) + (f" · {self._hour:02d}:00" if self._hour is not None else ""))
        self.summary.setText("Loading…")
        self._job = self.session.read("load the day", timeline.day_timeline, self._day, app=self._app,
                                      hour=self._hour, done=self._show)

    def _show(self, day: Day) -> None:
        keep = self.selected_episode()
        scroll = self.list.verticalScrollBar().value() if keep is not None else 0
        self.day_data = day
        self.delegate.hour_zoom = day.hour is not None
        self.zoom_hour.setChecked(day.hour is not None)
        self.zoom_day.setChecked(day.hour is None)
        self.hour_box.setVisible(day.hour is not None)
        if day.hour is not None:
            self.hour_box.setCurrentIndex(day.hour)
        self._fill_apps(day)
        self.model.set_items(rows_of(day))
        apps = len({e.app for e in day.episodes})
        self.summary.setText(f"{counted(day.observations, 'observation')} · {counted(len(day.episodes), 'episode')}"
                             f" · {counted(apps, 'app')}")
        if not day.episodes:
            self.empty.setText(self._empty_text(day))
            self.stack.setCurrentWidget(self.empty)
            self.detail.show_episode(None)
            return
        self.stack.setCurrentWidget(self.list)
        target = self._select_obs
        if target is not None:
            row = self.model.find(lambda r: isinstance(r, Episode) and target in r.observation_ids)
        elif keep is not None:
            row = self.model.find(lambda r: isinstance(r, Episode) and r.start == keep.start and r.app == keep.app)
        else:
            row = None
        if row is None:
            self._select_obs = None
            self.detail.show_episode(None)
            return
        self.list.setCurrentIndex(self.model.index(row))  # shows the episode, selecting `target`
        self._select_obs = None
        if target is not None:
            self.list.scrollTo(self.model.index(row), QListView.ScrollHint.PositionAtCenter)
        else:
            self.list.verticalScrollBar().setValue(scroll)

    def _empty_text(self, day: Day) -> str:
        if self._app is not None:
            return f"Nothing from {self._app} on this day."
        if day.hour is not None:
            return "Nothing was captured in this hour."
        return ("Nothing was captured on this day.\n\nUse ‹ and › to go to the nearest day with activity, "
                "or import notes with “engram import”.")

    def _fill_apps(self, day: Day) -> None:
        self.apps.blockSignals(True)
        self.apps.clear()
        self.apps.addItem("All apps", None)
        for app in day.apps:
            self.apps.addItem(app or "unknown app", app)
        if self._app is not None:
            at = self.apps.findData(self._app)
            if at < 0:
                self.apps.addItem(self._app, self._app)
                at = self.apps.count() - 1
            self.apps.setCurrentIndex(at)
        self.apps.blockSignals(False)

    # -- selection ---------------------------------------------------------------------------------
    def selected_episode(self) -> Episode | None:
        item = self.list.currentIndex().data(ItemRole) if self.list.currentIndex().isValid() else None
        return item if isinstance(item, Episode) else None

    def _row_chosen(self, index: QModelIndex) -> None:
        item = index.data(ItemRole) if index.isValid() else None
        if isinstance(item, Episode):
            self.detail.show_episode(item, select=self._select_obs)

    def _row_clicked(self, index: QModelIndex) -> None:
        item = index.data(ItemRole)
        if isinstance(item, HourRow) and self._hour is None:
            self.set_hour(item.hour)
