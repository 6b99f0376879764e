"""How long the window's Search takes (app.timeline.search_seen: the app's search over the raw log,
grouped, with snippets and each hit's frame) over N synthetic observations.

    .venv/bin/python bench/search_view.py [--observations 100000] [--queries 40]

Full-text only (the vector index is not built here: it runs beside the full-text layers and adds
its own figure, see bench/retrieval.py). Prints p50 and p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.paths import Paths  # noqa: E402
from app.services import Engram  # noqa: E402
from app.timeline import search_seen  # noqa: E402
from memory import KdfParams, NewObservation  # noqa: E402

WORDS = ("budget meeting invoice deploy server login review design sprint roadmap client contract travel "
         "flight hotel dinner birthday doctor school recipe garden concert python rust database backup laptop "
         "monitor keyboard coffee train paris berlin tokyo alice bob carol dan erin frank grace heidi").split()
APPS = ["Firefox", "Code", "Slack", "Terminal", "Thunderbird", "LibreOffice Calc"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--observations", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=40)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        engram = Engram.create(Paths(Path(tmp) / "data"), "bench pass phrase",
                               KdfParams(iterations=1, lanes=1, memory_cost=8 * 1024))
        start = datetime(2025, 1, 1, 8).astimezone()
        made = time.perf_counter()
        for chunk in range(0, args.observations, 5000):
            engram.store.add_observations([NewObservation(
                time=start + timedelta(seconds=6 * i), app=APPS[(i // 40) % len(APPS)], title=f"Window {i // 40}",
                text=" ".join(rng.choices(WORDS, k=30)) + f" ref{i}", source_kind="bench", source_id=str(i))
                for i in range(chunk, min(chunk + 5000, args.observations))])
        print(f"{args.observations} observations stored in {time.perf_counter() - made:.0f} s")
        queries = [" ".join(rng.sample(WORDS, 2)) for _ in range(args.queries // 2)] + \
                  [f"ref{rng.randrange(args.observations)}" for _ in range(args.queries - args.queries // 2)]
        search_seen(engram, queries[0])  # warm the caches once
        times = []
        for q in queries:
            t0 = time.perf_counter()
            groups = search_seen(engram, q)
            times.append(1000 * (time.perf_counter() - t0))
            assert groups, q
        times.sort()
        print(f"search_seen over {args.observations} observations, {len(queries)} queries: "
              f"p50 {statistics.median(times):.0f} ms, p95 {times[int(0.95 * (len(times) - 1))]:.0f} ms")
        engram.close()


if __name__ == "__main__":
    main()
