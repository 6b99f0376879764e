"""List models that show long lists a chunk at a time, and a two-line row delegate."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ui import theme

ItemRole = Qt.ItemDataRole.UserRole + 1
SubtitleRole = Qt.ItemDataRole.UserRole + 2
AccentRole = Qt.ItemDataRole.UserRole + 3  # a QColor for the row's left stripe, or None
TagRole = Qt.ItemDataRole.UserRole + 4  # a short label drawn at the right (a time, a type)


class LazyListModel(QAbstractListModel):
    """A list loaded in the background and shown `chunk` rows at a time (Qt's fetchMore), so a
    view over thousands of items only lays out what is scrolled to."""

    def __init__(self, render: Callable[[Any], tuple[str, str, QColor | None, str]] | None = None,
                 chunk: int = 200, parent=None) -> None:
        super().__init__(parent)
        self._items: list[Any] = []
        self._shown = 0
        self._chunk = chunk
        self._render = render or (lambda item: (str(item), "", None, ""))
        self._rendered: dict[int, tuple[str, str, QColor | None, str]] = {}

    # -- content ---------------------------------------------------------------------------------
    def set_items(self, items: Iterable[Any]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self._rendered.clear()
        self._shown = min(self._chunk, len(self._items))
        self.endResetModel()

    def items(self) -> list[Any]:
        return list(self._items)

    def total(self) -> int:
        return len(self._items)

    def item(self, row: int) -> Any:
        return self._items[row]

    def find(self, predicate: Callable[[Any], bool]) -> int | None:
        """The row of the first matching item, making it visible (fetching up to it) if needed."""
        for row, item in enumerate(self._items):
            if predicate(item):
                while row >= self._shown:
                    self.fetchMore(QModelIndex())
                return row
        return None

    def remove(self, predicate: Callable[[Any], bool]) -> int:
        """Drop every matching item; returns how many went."""
        removed = 0
        self._rendered.clear()
        for row in range(len(self._items) - 1, -1, -1):
            if predicate(self._items[row]):
                visible = row < self._shown
                if visible:
                    self.beginRemoveRows(QModelIndex(), row, row)
                del self._items[row]
                if visible:
                    self._shown -= 1
                    self.endRemoveRows()
                removed += 1
        return removed

    # -- Qt model --------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._shown

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        return not parent.isValid() and self._shown < len(self._items)

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        if parent.isValid():
            return
        more = min(self._chunk, len(self._items) - self._shown)
        if more <= 0:
            return
        self.beginInsertRows(QModelIndex(), self._shown, self._shown + more - 1)
        self._shown += more
        self.endInsertRows()

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self._shown:
            return None
        item = self._items[index.row()]
        if role == ItemRole:
            return item
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, SubtitleRole, AccentRole, TagRole):
            row = index.row()
            if row not in self._rendered:
                self._rendered[row] = self._render(item)
            title, subtitle, accent, tag = self._rendered[row]
            return {Qt.ItemDataRole.DisplayRole: title, Qt.ItemDataRole.ToolTipRole: title,
                    SubtitleRole: subtitle, AccentRole: accent, TagRole: tag}[role]
        return None


class TwoLineDelegate(QStyledItemDelegate):
    """A row with a title, a muted second line, a tag at the right and an optional colour stripe."""

    PAD = 10

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        fm = QFontMetrics(option.font)
        lines = 2 if index.data(SubtitleRole) else 1
        return QSize(200, fm.height() * lines + 2 * self.PAD + (4 if lines == 2 else 0))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        s = theme.current()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(rect, QColor(theme.selection(s)))
        painter.setPen(QPen(QColor(s.border), 1))
        painter.drawLine(rect.left() + self.PAD, rect.bottom(), rect.right() - self.PAD, rect.bottom())
        accent = index.data(AccentRole)
        left = rect.left() + self.PAD
        if isinstance(accent, QColor):
            painter.fillRect(QRect(rect.left() + 4, rect.top() + 8, 3, rect.height() - 16), accent)
            left += 4
        fm = QFontMetrics(option.font)
        tag = index.data(TagRole) or ""
        tag_width = fm.horizontalAdvance(tag) + self.PAD if tag else 0
        width = rect.right() - self.PAD - left - tag_width
        top = rect.top() + self.PAD
        title_font = QFont(option.font)
        title_font.setWeight(QFont.Weight.Medium)
        painter.setFont(title_font)
        painter.setPen(QColor(s.text))
        title = QFontMetrics(title_font).elidedText(index.data() or "", Qt.TextElideMode.ElideRight, width)
        painter.drawText(QRect(left, top, width, fm.height()), Qt.AlignmentFlag.AlignVCenter, title)
        painter.setFont(option.font)
        if tag:
            painter.setPen(QColor(s.muted))
            painter.drawText(QRect(rect.right() - self.PAD - tag_width, top, tag_width, fm.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, tag)
        subtitle = index.data(SubtitleRole)
        if subtitle:
            painter.setPen(QColor(s.muted))
            line = fm.elidedText(" ".join(subtitle.split()), Qt.TextElideMode.ElideRight,
                                 rect.right() - self.PAD - left)
            painter.drawText(QRect(left, top + fm.height() + 4, rect.right() - self.PAD - left, fm.height()),
                             Qt.AlignmentFlag.AlignVCenter, line)
        painter.restore()
