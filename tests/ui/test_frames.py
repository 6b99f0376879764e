"""A kept frame opens at full size: fit and 100%, zoom, pan, and ← → step through the day's frames."""

from PySide6.QtCore import QSize, Qt

from app.timeline import Episode, kept_frames
from tests.ui.seed import DAY
from tests.ui.test_timeline import open_timeline
from ui.frames import FrameViewer


def test_clicking_the_frame_opens_it_full_size_and_the_keys_step(qtbot, session):
    view = open_timeline(qtbot, session)
    row = view.model.find(lambda r: isinstance(r, Episode) and r.app == "Slack")
    view.list.setCurrentIndex(view.model.index(row))
    qtbot.waitUntil(view.detail.frame.has_image, timeout=10_000)
    qtbot.mouseClick(view.detail.frame, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.detail.viewer is not None, timeout=10_000)
    viewer = view.detail.viewer
    qtbot.waitUntil(viewer.canvas.has_image, timeout=10_000)
    assert len(viewer.frames) == 8  # one kept frame per seeded episode
    assert viewer.current().app == "Slack"
    assert viewer.position.text() == "11:05:00 · frame 4 of 8 kept on Tue 04 Mar"
    assert viewer.canvas.item.pixmap().size() == QSize(960, 600)  # decoded at full size
    assert "we ship 1.4 on the 14th" in viewer.text.toPlainText()  # the text read from it, beside it
    assert viewer.canvas.fitting and viewer.canvas.scale_factor() < 1.0

    qtbot.keyClick(viewer, Qt.Key.Key_1)  # 100%
    assert viewer.canvas.scale_factor() == 1.0 and not viewer.canvas.fitting
    assert viewer.zoom_label.text() == "100%"
    qtbot.keyClick(viewer, Qt.Key.Key_Plus)
    assert viewer.canvas.scale_factor() == 1.25
    before = viewer.canvas.horizontalScrollBar().value()
    viewer.canvas.pan_by(120, 0)
    assert viewer.canvas.horizontalScrollBar().value() == before + 120  # the zoomed frame pans
    qtbot.keyClick(viewer, Qt.Key.Key_F)
    assert viewer.canvas.fitting

    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert viewer.current().app == "LibreOffice Calc"
    qtbot.waitUntil(lambda: "Budget 2025" in viewer.text.toPlainText(), timeout=10_000)
    qtbot.keyClick(viewer, Qt.Key.Key_Left)
    qtbot.keyClick(viewer, Qt.Key.Key_Left)
    assert viewer.current().app == "Firefox"
    assert viewer.scrubber.value() == 2
    viewer.scrubber.setValue(6)  # dragged along the day
    assert viewer.current().app == "Terminal"
    assert viewer.text.toPlainText().endswith("\n\n$ pytest -q tests/memory")
    viewer.close()


def test_the_first_and_last_frames_stop_the_steps(qtbot, session):
    frames = kept_frames(session.engram, DAY)
    viewer = FrameViewer(session, frames, frames[0].id)
    qtbot.addWidget(viewer)
    viewer.show()
    assert not viewer.prev_button.isEnabled() and viewer.next_button.isEnabled()
    viewer.step(-1)
    assert viewer.at == 0
    for _ in range(10):
        viewer.step(+1)
    assert viewer.at == 7 and not viewer.next_button.isEnabled()
    assert viewer.current().app == "Zoom"
    qtbot.waitUntil(viewer.canvas.has_image, timeout=10_000)
