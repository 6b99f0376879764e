"""A kept frame at full size: fit or 100%, zoom, pan, the previous and next kept frame with the
keys, and the text read from it beside it. The decrypted image lives in memory only."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeySequence, QPainter, QPixmap, QShortcut, QTextOption, QWheelEvent
from PySide6.QtWidgets import (
    QDialog,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app import timeline
from app.services import Observation
from app.session import Session
from app.worker import Job, describe

ZOOM_STEP = 1.25
ZOOM_MIN, ZOOM_MAX = 0.05, 8.0


class FrameCanvas(QGraphicsView):
    """The image: drag to pan, Ctrl+wheel to zoom; fits the view until the user zooms."""

    zoomed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.item)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setBackgroundBrush(QColor("#2b2f36"))  # a neutral dark surround, in light and dark mode alike
        self.fitting = True

    def show_pixmap(self, pixmap: QPixmap) -> None:
        self.item.setPixmap(pixmap)
        self.scene().setSceneRect(self.item.boundingRect())
        if self.fitting:
            self.fit()
        else:
            self.zoom_to(self.scale_factor())

    def clear(self) -> None:
        self.item.setPixmap(QPixmap())

    def has_image(self) -> bool:
        return not self.item.pixmap().isNull()

    def scale_factor(self) -> float:
        return self.transform().m11()

    def fit(self) -> None:
        self.fitting = True
        if self.has_image():
            self.fitInView(self.item, Qt.AspectRatioMode.KeepAspectRatio)
            self.zoomed.emit(self.scale_factor())

    def zoom_to(self, factor: float, *, fitting: bool = False) -> None:
        self.fitting = fitting
        factor = min(max(factor, ZOOM_MIN), ZOOM_MAX)
        self.resetTransform()
        self.scale(factor, factor)
        self.zoomed.emit(factor)

    def zoom_by(self, step: float) -> None:
        self.zoom_to(self.scale_factor() * step)

    def pan_by(self, dx: int, dy: int) -> None:
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + dx)
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + dy)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP)
            event.accept()
            return
        super().wheelEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.fitting:
            self.fit()


class FrameViewer(QDialog):
    """One kept frame at full size, stepping through `frames` (observations with a kept frame, in
    time order) with ← and →."""

    def __init__(self, session: Session, frames: list[Observation], current: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.frames = frames
        self.at = max(0, next((n for n, o in enumerate(frames) if o.id == current), 0))
        self._job: Job | None = None
        self.setWindowTitle("Frame — Engram")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self.resize(1200, 760)
        self.setMinimumSize(640, 400)

        self.canvas = FrameCanvas()
        self.canvas.zoomed.connect(self._show_zoom)
        self.text = QPlainTextEdit(readOnly=True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.text.setMinimumWidth(180)
        self.position = QLabel("")
        self.position.setObjectName("muted")
        self.position.setMinimumWidth(80)
        self.zoom_label = QLabel("")
        self.zoom_label.setObjectName("muted")
        self.prev_button = QPushButton("‹ Previous", toolTip="The previous kept frame (←)")
        self.next_button = QPushButton("Next ›", toolTip="The next kept frame (→)")
        fit = QPushButton("Fit", toolTip="Fit the frame to the window (F)")
        actual = QPushButton("100%", toolTip="Show the frame pixel for pixel (1)")
        zoom_out = QPushButton("−", toolTip="Zoom out (−, or Ctrl+wheel)")
        zoom_in = QPushButton("+", toolTip="Zoom in (+, or Ctrl+wheel)")
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(+1))
        fit.clicked.connect(self.canvas.fit)
        actual.clicked.connect(lambda: self.canvas.zoom_to(1.0))
        zoom_out.clicked.connect(lambda: self.canvas.zoom_by(1 / ZOOM_STEP))
        zoom_in.clicked.connect(lambda: self.canvas.zoom_by(ZOOM_STEP))
        bar = QHBoxLayout()
        bar.addWidget(self.prev_button)
        bar.addWidget(self.next_button)
        bar.addWidget(self.position, 1)
        for b in (zoom_out, zoom_in, fit, actual):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            bar.addWidget(b)
        bar.addWidget(self.zoom_label)
        for b in (self.prev_button, self.next_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # Scrub through the day's kept frames, as Rewind and Recall do.
        self.scrubber = QSlider(Qt.Orientation.Horizontal)
        self.scrubber.setRange(0, max(0, len(frames) - 1))
        self.scrubber.setPageStep(5)
        self.scrubber.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scrubber.setToolTip("Drag through the day's kept frames")
        self.scrubber.valueChanged.connect(self.go_to)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.canvas)
        split.addWidget(self.text)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([880, 300])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        layout.addWidget(self.scrubber)

        for keys, slot in (((Qt.Key.Key_Left, Qt.Key.Key_PageUp), lambda: self.step(-1)),
                           ((Qt.Key.Key_Right, Qt.Key.Key_PageDown), lambda: self.step(+1)),
                           ((Qt.Key.Key_F,), self.canvas.fit), ((Qt.Key.Key_1,), lambda: self.canvas.zoom_to(1.0)),
                           ((Qt.Key.Key_Plus, Qt.Key.Key_Equal), lambda: self.canvas.zoom_by(ZOOM_STEP)),
                           ((Qt.Key.Key_Minus,), lambda: self.canvas.zoom_by(1 / ZOOM_STEP))):
            for key in keys:
                QShortcut(QKeySequence(key), self, activated=slot)
        self.canvas.setFocus()
        self.load()

    def current(self) -> Observation | None:
        return self.frames[self.at] if self.frames else None

    def step(self, by: int) -> None:
        self.go_to(self.at + by)

    def go_to(self, index: int) -> None:
        """Show the day's `index`-th kept frame (out of range: nothing changes)."""
        if 0 <= index < len(self.frames) and index != self.at:
            self.at = index
            self.load()

    def load(self) -> None:
        o = self.current()
        if self._job is not None:
            self._job.cancel()
        self.scrubber.blockSignals(True)
        self.scrubber.setValue(self.at)
        self.scrubber.blockSignals(False)
        self.prev_button.setEnabled(self.at > 0)
        self.next_button.setEnabled(self.at < len(self.frames) - 1)
        if o is None:
            self.position.setText("No frame was kept on this day.")
            return
        local = o.time.astimezone()
        self.position.setText(f"{local:%H:%M:%S} · frame {self.at + 1} of {len(self.frames)} kept on "
                              f"{local:%a %d %b}")
        header = f"{local:%Y-%m-%d %H:%M:%S} · {o.app}" + (f" · {o.title}" if o.title else "")
        if o.url:
            header += f"\n{o.url}"
        self.text.setPlainText(f"{header}\n\n{o.text}")
        self.setWindowTitle(f"{o.title or o.app} — {local:%H:%M:%S} — Engram")
        self._job = self.session.read("open frame", timeline.frame_image, o.frame_id,
                                      done=self._loaded, failed=self._failed)

    def _loaded(self, data: bytes) -> None:
        image = QImage()
        if not image.loadFromData(data):
            self._failed(ValueError("the frame could not be read"))
            return
        self.canvas.show_pixmap(QPixmap.fromImage(image))

    def _failed(self, error: Exception) -> None:
        self.canvas.clear()
        self.position.setText(f"The frame cannot be shown: {describe(error)}")

    def done(self, result: int) -> None:
        self._stop()
        super().done(result)

    def closeEvent(self, event) -> None:
        self._stop()
        super().closeEvent(event)

    def _stop(self) -> None:
        """A frame still being decrypted is not wanted any more (the dialog may be deleted)."""
        if self._job is not None:
            self._job.cancel()
            self._job = None

    def _show_zoom(self, factor: float) -> None:
        self.zoom_label.setText(f"{factor:.0%}" + (" (fit)" if self.canvas.fitting else ""))
