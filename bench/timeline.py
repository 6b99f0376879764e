"""How long the timeline takes for a busy day: load on the worker, then show on the GUI thread.

    .venv/bin/python bench/timeline.py [--observations 5000] [--memories 10000]

Prints milliseconds for the query (worker side) and for filling and painting the list (GUI side).
The store also holds `--memories` episodic memories spread over the 100 days up to the day
shown (a long history the day's query must not read).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtWidgets import QApplication  # noqa: E402

from app.events import Events  # noqa: E402
from app.paths import Paths  # noqa: E402
from app.services import Engram  # noqa: E402
from app.session import Session  # noqa: E402
from app.timeline import day_timeline  # noqa: E402
from app.worker import Worker  # noqa: E402
from memory import EpisodicEvent, KdfParams, NewObservation  # noqa: E402
from ui import theme  # noqa: E402
from ui.timeline import TimelineView  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--observations", type=int, default=5000)
    parser.add_argument("--memories", type=int, default=10000)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply(app, "light")
    with tempfile.TemporaryDirectory() as tmp:
        engram = Engram.create(Paths(Path(tmp) / "d"), "bench pass phrase", KdfParams(1, 1, 8 * 1024))
        start = datetime.combine(datetime.now().date(), clock(7)).astimezone()
        apps = ["Firefox", "Code", "Slack", "Terminal", "Thunderbird"]
        engram.store.add_observations([
            NewObservation(time=start + timedelta(seconds=8 * i), app=apps[(i // 25) % 5],
                           title=f"Window {i // 25}", text=f"line {i} " + "lorem ipsum dolor " * 40,
                           source_kind="bench", source_id=str(i))
            for i in range(args.observations)])
        with engram.store.transaction():
            for i in range(args.memories):
                engram.store.add(EpisodicEvent(
                    occurred_at=start - timedelta(days=99) + timedelta(days=100) * i / args.memories,
                    summary=f"Worked on task {i} " + "details " * 20, app=apps[i % 5]), cause="bench")
        t0 = time.perf_counter()
        day = day_timeline(engram, start.date())
        query_ms = (time.perf_counter() - t0) * 1000
        worker = Worker()
        view = TimelineView(Session(engram, Events(), worker))
        view.resize(1280, 800)
        view.show()
        t0 = time.perf_counter()
        view._show(day)
        app.processEvents()
        view.grab()
        show_ms = (time.perf_counter() - t0) * 1000
        print(f"observations:           {day.observations}")
        print(f"episodes:               {len(day.episodes)}")
        print(f"query (worker):         {query_ms:.0f} ms")
        print(f"fill and paint (GUI):   {show_ms:.0f} ms  (rows laid out: {view.model.rowCount()} of "
              f"{view.model.total()})")
        worker.stop()
        engram.close()


if __name__ == "__main__":
    main()
