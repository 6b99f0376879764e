"""Render each view of the window with seeded data to PNG files (light and dark) under bench/out/.

    .venv/bin/python bench/screenshots.py [--out bench/out] [--scheme light|dark|both]

Runs offscreen (no display needed), with a fake language model; prints the files it wrote.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSize  # noqa: E402
from PySide6.QtGui import QPainter, QPixmap  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget, QWizard  # noqa: E402

from app import conversation  # noqa: E402
from app.events import Events  # noqa: E402
from app.paths import Paths  # noqa: E402
from app.services import Engram, FakeModel  # noqa: E402
from app.session import Session  # noqa: E402
from app.worker import Worker  # noqa: E402
from memory import KdfParams  # noqa: E402
from tests.ui.seed import ANSWER, DAY, seed_memories, seed_observations  # noqa: E402
from ui import theme  # noqa: E402
from ui.formatting import size  # noqa: E402
from ui.onboarding import OnboardingWizard  # noqa: E402
from ui.passphrase import NewPassphraseDialog  # noqa: E402
from ui.unlock import UnlockDialog  # noqa: E402
from ui.window import MainWindow  # noqa: E402

FAST = KdfParams(iterations=1, lanes=1, memory_cost=8 * 1024)


class DemoCapture:
    """Stands in for the capture daemon: the screenshots show a capturing state."""

    class _Health:
        detail = ""
        paused_until = None
        indexed_share = 0.97

    def __init__(self) -> None:
        self.on_state_changed = None
        self.on_observation = None
        self._state = "capturing"

    def state(self) -> str:
        return self._state

    def health(self):
        return self._Health()

    def pause(self, seconds=None) -> None:
        self._state = "paused"

    def resume(self) -> None:
        self._state = "capturing"

    def update_settings(self, settings) -> None:
        pass


def settle(app: QApplication, worker: Worker, seconds: float = 0.3) -> None:
    """Process events until the worker is idle and the window has painted."""
    deadline = time.monotonic() + 20
    while worker.busy() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def save(widget: QWidget, path: Path) -> None:
    widget.grab().save(str(path))
    print(path)


def seeded(root: Path) -> Engram:
    engram = Engram.create(Paths(root), "correct horse battery staple", FAST)
    seed_observations(engram)
    seed_memories(engram)
    engram.set_model(FakeModel([ANSWER]))
    conversation.ask(engram, "When do I fly to Lisbon?")
    engram.set_model(FakeModel(["Anna Keller moved the 1.4 release to 14 March, with a code freeze on the 11th."]))
    conversation.ask(engram, "What did Anna say about the release date?")
    return engram


SCRIPTS = [  # (app, window title, text): one day of other scripts and an unbroken token
    ("Firefox", "Wikipedia — Mozilla Firefox", "北京是中华人民共和国的首都，也是全国的政治、文化、"
     "科技创新和国际交往中心，拥有三千多年的建城史和八百多年的建都史。故宫、天坛和长城都是著名的名胜古迹。"),
    ("Firefox", "الجزيرة نت — القاهرة — Mozilla Firefox", "القاهرة هي عاصمة جمهورية مصر العربية وأكبر مدنها، وتقع على "
     "ضفاف نهر النيل، وتضم الأهرامات القريبة في الجيزة والمتحف المصري وجامع الأزهر."),
    ("Firefox", "ירושלים – ויקיפדיה — Mozilla Firefox", "ירושלים היא עיר עתיקה בהרי יהודה, ואחת הערים העתיקות בעולם; "
     "בעיר העתיקה נמצאים הכותל המערבי, כנסיית הקבר ומסגד אל-אקצא."),
    ("Code", "genome.py — Visual Studio Code", "REFERENCE = \"" + "ACGT" * 100 + "\""),
]


def seed_scripts(engram: Engram, day) -> None:
    """A day of Chinese, Arabic and Hebrew pages and a 400-character token, and a question about it."""
    from datetime import datetime, time, timedelta

    from memory import NewObservation

    start = datetime.combine(day, time(9)).astimezone()
    engram.store.add_observations([
        NewObservation(time=start + timedelta(minutes=15 * n), app=app, title=title, text=text,
                       source_kind="bench", source_id=f"script{n}") for n, (app, title, text) in enumerate(SCRIPTS)])
    engram.set_model(FakeModel(["北京拥有三千多年的建城史和八百多年的建都史。"]))
    conversation.ask(engram, "北京有多少年的建城史？")
    engram.set_model(FakeModel(["The reference sequence is " + "ACGT" * 100 + "."]))
    conversation.ask(engram, "What is the REFERENCE sequence in genome.py? " + "ACGT" * 30)


def show_download(chooser) -> None:
    """The model chooser as it looks mid-download (drawn without a network)."""
    entry = chooser.entry()
    chooser.recommended.setChecked(True)
    chooser.download_button.setEnabled(False)
    chooser.cancel_button.show()
    chooser.progress.show()
    chooser.progress.setValue(420)
    chooser.progress.setFormat(f"42% · {size(int(entry.size * 0.42))} of {size(entry.size)}")


def tray_sheet(path: Path) -> None:
    states = list(theme.STATE_STYLE)
    sheet = QPixmap(QSize(len(states) * 80, 80))
    sheet.fill(theme.current().window)
    p = QPainter(sheet)
    for n, state in enumerate(states):
        p.drawPixmap(n * 80 + 8, 8, theme.state_pixmap(state, 64))
    p.end()
    sheet.save(str(path))
    print(path)


def render(app: QApplication, scheme: str, out: Path) -> None:
    theme.apply(app, scheme)
    with tempfile.TemporaryDirectory() as tmp:
        engram = seeded(Path(tmp) / "data")
        events, worker = Events(), Worker()
        session = Session(engram, events, worker, DemoCapture())
        window = MainWindow(session)
        window.resize(1320, 840)
        window.show()
        window.start()

        def page(view: QWidget, name: str, prepare=lambda: None, seconds: float = 0.5) -> None:
            """Show `view`, prepare it, let it settle and save the window as NAME-SCHEME.png."""
            window.go_to(view)
            prepare()
            settle(app, worker, seconds)
            save(window, out / f"{name}-{scheme}.png")

        settle(app, worker)
        window.timeline.list.setCurrentIndex(window.timeline.model.index(3))
        settle(app, worker)
        window.timeline.detail.list.setCurrentIndex(window.timeline.detail.model.index(0))
        settle(app, worker, 0.5)
        save(window, out / f"timeline-{scheme}.png")
        window.timeline.detail.open_frame()
        settle(app, worker, 0.5)
        viewer = window.timeline.detail.viewer
        if viewer is not None:
            settle(app, worker, 0.3)
            save(viewer, out / f"frame-viewer-{scheme}.png")
            viewer.canvas.zoom_to(1.0)
            settle(app, worker, 0.2)
            save(viewer, out / f"frame-viewer-100-{scheme}.png")
            viewer.close()
        window.timeline.set_hour(10)
        settle(app, worker)
        save(window, out / f"timeline-hour-{scheme}.png")
        page(window.search, "search", lambda: window.search.set_query("Lisbon"))
        page(window.ask, "ask", seconds=0.3)
        window.go_to(window.memories)
        window.memories.show_memory(engram.memories()[-1].id)  # the flight (oldest change first)
        flight = next(m for m in engram.memories() if m.headline().startswith("Booked a flight"))
        window.memories.show_memory(flight.id)
        settle(app, worker)
        save(window, out / f"memories-{scheme}.png")
        vault = next(m for m in engram.memories() if m.id.startswith("vault:") and "door" in m.headline().lower())
        window.memories.show_memory(vault.id)
        settle(app, worker)
        save(window, out / f"memories-vault-{scheme}.png")
        window.memories.detail.edit_button.click()  # the edit form keeps the value masked
        settle(app, worker, 0.2)
        save(window, out / f"memories-vault-edit-{scheme}.png")
        window.memories.detail.cancel_button.click()
        settle(app, worker, 0.2)  # a user's next click comes after the form is laid out again
        window.go_to(window.settings)
        settle(app, worker)
        for n, name in ((1, "capture"), (2, "privacy"), (3, "model"), (5, "data")):
            window.settings.tabs.setCurrentIndex(n)
            settle(app, worker, 0.2)
            save(window, out / f"settings-{name}-{scheme}.png")
        archive_dialog = NewPassphraseDialog("Archive passphrase", "The archive is encrypted with this passphrase. "
                                             "Importing it needs it exactly as typed here: type it twice.",
                                             "Export", window)
        archive_dialog.show()
        archive_dialog.fields.first.setText("purple otter juggles lanterns")
        archive_dialog.fields.second.setText("purple otter juggles lantern")
        settle(app, worker, 0.2)
        save(archive_dialog, out / f"archive-passphrase-{scheme}.png")
        archive_dialog.close()
        # The smallest window the app allows: nothing may be cut or scroll sideways.
        window.resize(900, 600)
        for view, name in ((window.timeline, "timeline"), (window.search, "search"), (window.ask, "ask"),
                           (window.memories, "memories")):
            window.go_to(view)
            settle(app, worker, 0.8)  # the resize of a hidden page is laid out when it is shown
            save(window, out / f"small-{name}-{scheme}.png")
        window.go_to(window.settings)
        for n, name in ((0, "general"), (1, "capture"), (2, "privacy"), (3, "model"), (4, "passphrase"), (5, "data")):
            window.settings.tabs.setCurrentIndex(n)
            settle(app, worker, 0.2)
            save(window, out / f"small-settings-{name}-{scheme}.png")
        # Other scripts and an unbroken token, at the smallest size: they wrap, nothing widens a column.
        seed_scripts(engram, DAY + timedelta(days=1))
        window.go_to(window.timeline)
        window.timeline.set_hour(None)
        window.timeline.set_day(DAY + timedelta(days=1))
        settle(app, worker, 0.5)
        window.timeline.list.setCurrentIndex(window.timeline.model.index(2))
        settle(app, worker, 0.5)
        save(window, out / f"small-scripts-timeline-{scheme}.png")
        page(window.search, "small-scripts-search", lambda: window.search.set_query("北京"))
        window.ask._show_history(conversation.history(engram)[-2:])  # the two turns asked above
        window.go_to(window.ask)
        settle(app, worker, 0.5)  # laid out, so that the scroll bar knows how far down the end is
        bar = window.ask.scroll.verticalScrollBar()
        page(window.ask, "small-scripts-ask", lambda: bar.setValue(bar.maximum()), 0.2)
        window.close()
        worker.stop()
        engram.close()

        wizard_worker = Worker()
        wizard = OnboardingWizard(Paths(Path(tmp) / "new"), wizard_worker)
        wizard.show()
        settle(app, wizard_worker)
        save(wizard, out / f"onboarding-welcome-{scheme}.png")
        wizard.next()
        wizard.passphrase.fields.first.setText("correct horse battery")
        wizard.passphrase.fields.second.setText("correct horse")
        settle(app, wizard_worker)
        save(wizard, out / f"onboarding-passphrase-{scheme}.png")
        wizard.passphrase.fields.second.setText("correct horse battery")
        wizard.next()
        settle(app, wizard_worker)
        save(wizard, out / f"onboarding-capture-{scheme}.png")
        wizard.next()
        settle(app, wizard_worker)
        save(wizard, out / f"onboarding-model-{scheme}.png")
        show_download(wizard.model.chooser)
        settle(app, wizard_worker)
        save(wizard, out / f"onboarding-model-download-{scheme}.png")
        wizard.model.chooser.embedded.setChecked(True)
        wizard.next()
        settle(app, wizard_worker)
        save(wizard, out / f"onboarding-ready-{scheme}.png")
        wizard.button(QWizard.WizardButton.CancelButton).click()

        dialog = UnlockDialog(Paths(Path(tmp) / "data"), wizard_worker)
        dialog.show()
        dialog.passphrase.setText("not it")
        dialog.try_unlock()
        deadline = time.monotonic() + 20
        while dialog.error.isHidden() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        settle(app, wizard_worker)
        save(dialog, out / f"unlock-{scheme}.png")
        dialog.close()
        wizard_worker.stop()
    tray_sheet(out / f"tray-states-{scheme}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--scheme", choices=("light", "dark", "both"), default="both")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    for scheme in ("light", "dark") if args.scheme == "both" else (args.scheme,):
        render(app, scheme, args.out)


if __name__ == "__main__":
    main()
