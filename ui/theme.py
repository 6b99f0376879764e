"""Look and feel: light and dark palettes, app colours, and the small icons drawn with QPainter."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QIcon, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class Scheme:
    name: str
    window: str
    base: str
    alternate: str
    text: str
    muted: str
    border: str
    accent: str
    accent_text: str
    danger: str
    warning: str
    success: str


LIGHT = Scheme("light", window="#f4f5f7", base="#ffffff", alternate="#eef0f4", text="#1c2230",
               muted="#5c6577", border="#d9dde5", accent="#2f64d6", accent_text="#ffffff",
               danger="#c4352b", warning="#b7791f", success="#2f855a")
DARK = Scheme("dark", window="#1a1d23", base="#22262e", alternate="#2a2f38", text="#e4e7ed",
              muted="#9aa3b3", border="#363c48", accent="#6f9bff", accent_text="#0f1420",
              danger="#ff6b5e", warning="#f0b35a", success="#5fcf93")


def current() -> Scheme:
    """The scheme in use: what `apply` set, else what the palette looks like."""
    app = QApplication.instance()
    chosen = app.property("engram_scheme") if app is not None else None
    if chosen in ("light", "dark"):
        return DARK if chosen == "dark" else LIGHT
    if app is not None and app.palette().color(QPalette.ColorRole.Window).lightness() < 128:
        return DARK
    return LIGHT


def selection(s: Scheme) -> str:
    """The background of a selected row painted by a delegate: the accent, tinted so that the row's
    text keeps its contrast (in dark mode the old grey was barely told from the base)."""
    return "#cfdcf7" if s.name == "light" else "#2f4a7e"


def match_mark(s: Scheme) -> str:
    """The background of a search match inside text."""
    return "#ffe38a" if s.name == "light" else "#7a6417"


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def apply(app: QApplication, name: str = "system") -> Scheme:
    """Fusion style with our palette and a little style sheet; `name` is light, dark or system."""
    if name == "system":
        name = "dark" if system_prefers_dark() else "light"
    scheme = DARK if name == "dark" else LIGHT
    # Set the style once: replacing it under live widgets and a style sheet crashes Qt (and once a
    # style sheet is set, app.style() is the style sheet's proxy, so its name cannot tell).
    if not app.property("engram_styled"):
        app.setStyle("Fusion")
        app.setProperty("engram_styled", True)
    app.setProperty("engram_scheme", scheme.name)
    app.setPalette(palette(scheme))
    font = app.font()
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
    app.setFont(font)
    app.setStyleSheet(style_sheet(scheme))
    return scheme


def palette(s: Scheme) -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    for r, value in (
        (role.Window, s.window), (role.WindowText, s.text), (role.Base, s.base),
        (role.AlternateBase, s.alternate), (role.Text, s.text), (role.Button, s.base),
        (role.ButtonText, s.text), (role.ToolTipBase, s.base), (role.ToolTipText, s.text),
        (role.Highlight, s.accent), (role.HighlightedText, s.accent_text), (role.Link, s.accent),
        (role.PlaceholderText, s.muted), (role.Mid, s.border), (role.Midlight, s.alternate),
        (role.Dark, s.border), (role.Light, s.base), (role.Shadow, s.border),
        (role.BrightText, s.danger),
    ):
        p.setColor(r, QColor(value))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(disabled, r, QColor(s.muted))
    return p


def style_sheet(s: Scheme) -> str:
    return f"""
    QToolTip {{ color: {s.text}; background: {s.base}; border: 1px solid {s.border}; padding: 4px; }}
    #sidebar {{ background: {s.alternate}; border: none; border-right: 1px solid {s.border}; }}
    #sidebar::item {{ padding-left: 10px; margin: 2px 8px; border-radius: 6px; color: {s.text}; }}
    #sidebar::item:selected {{ background: {s.accent}; color: {s.accent_text}; }}
    #sidebar::item:hover:!selected {{ background: {s.border}; }}
    #pageTitle {{ font-size: 17pt; font-weight: 600; }}
    #muted, QLabel[muted="true"] {{ color: {s.muted}; }}
    #card {{ background: {s.base}; border: 1px solid {s.border}; border-radius: 8px; }}
    #bubble {{ background: {s.alternate}; border-radius: 10px; }}
    #danger {{ color: {s.danger}; }}
    QPushButton {{ padding: 5px 14px; border: 1px solid {s.border}; border-radius: 6px;
                  background: {s.base}; color: {s.text}; }}
    QPushButton:hover {{ border-color: {s.accent}; }}
    QPushButton:disabled {{ color: {s.muted}; }}
    QPushButton[primary="true"] {{ background: {s.accent}; color: {s.accent_text}; border-color: {s.accent}; }}
    QPushButton[destructive="true"] {{ color: {s.danger}; border-color: {s.danger}; }}
    QPushButton:checked {{ background: {s.accent}; color: {s.accent_text}; border-color: {s.accent}; }}
    QLineEdit, QPlainTextEdit, QTextEdit {{
        padding: 4px 6px; border: 1px solid {s.border}; border-radius: 6px; background: {s.base}; }}
    QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus {{ border-color: {s.accent}; }}
    QListView, QTreeView, QTableView {{ border: 1px solid {s.border}; border-radius: 8px; background: {s.base}; }}
    QTabWidget::pane {{ border: 1px solid {s.border}; border-radius: 8px; top: -1px; background: {s.base}; }}
    QTabBar::tab {{ padding: 6px 14px; border: none; color: {s.muted}; }}
    QTabBar::tab:selected {{ color: {s.text}; border-bottom: 2px solid {s.accent}; }}
    QRadioButton::indicator {{ width: 12px; height: 12px; border: 1px solid {s.muted}; border-radius: 7px;
                              background: {s.base}; }}
    QRadioButton::indicator:checked {{ border: 4px solid {s.accent}; width: 6px; height: 6px; }}
    QRadioButton::indicator:disabled {{ border-color: {s.border}; }}
    QSplitter::handle {{ background: transparent; }}
    QStatusBar {{ color: {s.muted}; }}
    QScrollArea {{ border: none; background: transparent; }}
    """


def app_color(app: str, scheme: Scheme | None = None) -> QColor:
    """A stable colour per app name, readable on the scheme's background."""
    scheme = scheme or current()
    hue = int.from_bytes(hashlib.blake2s(app.encode("utf-8"), digest_size=2).digest(), "big") % 360
    if scheme.name == "dark":
        return QColor.fromHsl(hue, 150, 150)
    # yellows and greens look washed out at the lightness that suits blues and reds
    return QColor.fromHsl(hue, 160, 80 if 40 <= hue <= 190 else 105)


def heading_font(base: QFont, delta: float = 2.0, weight: QFont.Weight = QFont.Weight.DemiBold) -> QFont:
    font = QFont(base)
    font.setPointSizeF(base.pointSizeF() + delta)
    font.setWeight(weight)
    return font


# -- icons ------------------------------------------------------------------------------------
def _canvas(size: int) -> tuple[QPixmap, QPainter]:
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pm)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    return pm, painter


def nav_icon(name: str, color: QColor, size: int = 40) -> QIcon:
    """The sidebar glyphs: timeline, search, ask, memories, settings."""
    pm, p = _canvas(size)
    u = size / 20.0
    pen = QPen(color, 1.6 * u, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    if name == "timeline":
        p.drawLine(QPointF(6 * u, 3 * u), QPointF(6 * u, 17 * u))
        for y in (5, 10, 15):
            p.setBrush(color)
            p.drawEllipse(QPointF(6 * u, y * u), 1.6 * u, 1.6 * u)
            p.drawLine(QPointF(10 * u, y * u), QPointF((17 - (y % 3)) * u, y * u))
    elif name == "ask":
        path = QPainterPath()
        path.addRoundedRect(QRectF(3 * u, 4 * u, 14 * u, 10 * u), 3 * u, 3 * u)
        p.drawPath(path)
        p.drawLine(QPointF(7 * u, 14 * u), QPointF(5.5 * u, 17.5 * u))
        p.drawLine(QPointF(5.5 * u, 17.5 * u), QPointF(10 * u, 14 * u))
    elif name == "memories":
        for i, y in enumerate((4, 8, 12)):
            p.drawRoundedRect(QRectF((3 + i) * u, y * u, (14 - 2 * i) * u, 4.5 * u), 1.5 * u, 1.5 * u)
    elif name == "search":
        p.drawEllipse(QPointF(8.5 * u, 8.5 * u), 5 * u, 5 * u)
        p.drawLine(QPointF(12.3 * u, 12.3 * u), QPointF(17 * u, 17 * u))
    elif name == "settings":
        for y, knob in ((5, 12), (10, 6), (15, 10)):
            p.drawLine(QPointF(3 * u, y * u), QPointF(17 * u, y * u))
            p.setBrush(QColor(color))
            p.drawEllipse(QPointF(knob * u, y * u), 2 * u, 2 * u)
    p.end()
    return QIcon(pm)


# Tray state colours are fixed (not per scheme): the tray's background is the desktop's.
STATE_STYLE = {
    "capturing": ("#2f9e5b", "dot"),
    "paused": ("#7a8291", "pause"),
    "excluded": ("#d18b1f", "slash"),
    "idle": ("#7a8291", "ring"),
    "error": ("#d6453a", "bang"),
    "stalled": ("#d6453a", "bang"),
    "unavailable": ("#7a8291", "cross"),
}


def state_pixmap(state: str, size: int = 64) -> QPixmap:
    """The tray icon for a capture state: a coloured disc with a white mark."""
    fill, mark = STATE_STYLE.get(state, STATE_STYLE["idle"])
    pm, p = _canvas(size)
    u = size / 32.0
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(fill))
    p.drawEllipse(QRectF(2 * u, 2 * u, 28 * u, 28 * u))
    white = QColor("#ffffff")
    pen = QPen(white, 3.2 * u, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    if mark == "dot":
        p.setBrush(white)
        p.drawEllipse(QPointF(16 * u, 16 * u), 6 * u, 6 * u)
    elif mark == "pause":
        p.setBrush(white)
        p.drawRoundedRect(QRectF(10.5 * u, 9 * u, 4 * u, 14 * u), 1 * u, 1 * u)
        p.drawRoundedRect(QRectF(17.5 * u, 9 * u, 4 * u, 14 * u), 1 * u, 1 * u)
    elif mark == "slash":
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(QPointF(16 * u, 16 * u), 7 * u, 7 * u)
        p.drawLine(QPointF(11 * u, 21 * u), QPointF(21 * u, 11 * u))
    elif mark == "bang":
        p.setPen(pen)
        p.drawLine(QPointF(16 * u, 8.5 * u), QPointF(16 * u, 18 * u))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(white)
        p.drawEllipse(QPointF(16 * u, 23.5 * u), 2 * u, 2 * u)
    elif mark == "ring":
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(QPointF(16 * u, 16 * u), 6 * u, 6 * u)
    elif mark == "cross":
        p.setPen(pen)
        p.drawLine(QPointF(11 * u, 11 * u), QPointF(21 * u, 21 * u))
        p.drawLine(QPointF(11 * u, 21 * u), QPointF(21 * u, 11 * u))
    p.end()
    return pm


def app_icon() -> QIcon:
    """Engram's application icon (assets/icons/engram.svg, the one the packages install), else the
    capturing tray icon where Qt cannot read SVG."""
    from assets import ASSETS

    icon = QIcon(str(ASSETS / "icons" / "engram.svg"))
    return icon if not icon.pixmap(32).isNull() else state_icon("capturing")


def state_icon(state: str) -> QIcon:
    icon = QIcon()
    for size in (16, 22, 24, 32, 48, 64):
        icon.addPixmap(state_pixmap(state, size))
    return icon
