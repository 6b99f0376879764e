"""Ingest figures: observations per minute through the full memory pipeline with a local model (the
tier rule's choice unless --model), model calls per batch, model-seconds per hour of captured
screen, the share of an 8-hour day of capture processed within the day on this machine, peak RSS,
and the share of batches whose reply needed a retry.

    .venv/bin/python bench/ingest.py [--observations N] [--locomo FILE] [--model PATH]

The synthetic workload is one observation every 20 s (what capture stores while a person works).
"""

from __future__ import annotations

import argparse
import json
import resource
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the project's `capture` package, not bench/capture.py beside this file

from app.models import Catalog, default_choice  # noqa: E402
from app.paths import Paths  # noqa: E402
from memory import MemoryStore, NewObservation  # noqa: E402
from memory.embed import MiniLMEmbedder  # noqa: E402
from memory.evaluation import parse_sample  # noqa: E402
from memory.llm import LlamaModel  # noqa: E402
from memory.managers import MemoryManagers  # noqa: E402

APPS = ["Thunderbird", "Code", "Firefox", "Slack", "Terminal"]
TEXTS = [
    "From: {name} <{name}@example.com>\nSubject: {topic} review moved to Thursday\n"
    "Hi, the {topic} review is now at 3pm.",
    "def handle_{topic}(request):\n    # TODO: validate the {topic} payload\n"
    "    return render(request, '{topic}.html')",
    "How to configure {topic}: 1. Open settings 2. Choose {topic} 3. Save and restart",
    "{name}: did you see the {topic} numbers? {name}: yes, they look better than last quarter",
    "$ make {topic}\nerror: missing dependency lib{topic}\n$ apt install lib{topic}-dev",
]
NAMES = ["alice", "bob", "carol", "dan", "erin"]
TOPICS = ["budget", "billing", "search", "invoices", "onboarding", "payroll", "analytics"]


def synthetic(n: int) -> list[NewObservation]:
    t = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
    out = []
    for i in range(n):
        app = APPS[(i // 3) % len(APPS)]
        text = TEXTS[APPS.index(app)].format(name=NAMES[i % 5], topic=TOPICS[i % 7])
        out.append(NewObservation(time=t + timedelta(seconds=20 * i), text=text, app=app, title=f"{app} window"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--observations", type=int, default=60)
    ap.add_argument("--locomo", type=Path, help="ingest the first session(s) of a LoCoMo file instead")
    ap.add_argument("--sessions", type=int, default=3)
    ap.add_argument("--model", type=Path, help="a GGUF (default: the tier rule's choice for this machine)")
    args = ap.parse_args()
    model_path = args.model or default_choice(Paths.resolve(), Catalog.load()).path
    if args.locomo:
        conv = parse_sample(json.loads(args.locomo.read_text())[0])
        items = [o for _, turns in conv.sessions[: args.sessions] for o in turns]
    else:
        items = synthetic(args.observations)
    with tempfile.TemporaryDirectory() as tmp:
        store = MemoryStore.create(Path(tmp) / "e.db", secrets.token_bytes(32))
        store.add_observations(items)
        model = LlamaModel(model_path)
        model.load()  # loading is paid once a session, not per batch
        managers = MemoryManagers(store, model, MiniLMEmbedder())
        start = time.perf_counter()
        report = managers.process_pending()
        seconds = time.perf_counter() - start
        retried = sum(1 for r in report.results if r.retries)
        captured_hours = max(60.0, (items[-1].time - items[0].time).total_seconds() + 20) / 3600
        per_hour = seconds / captured_hours
        print(f"model:                   {model_path.name}")
        print(f"observations:            {len(items)} ({captured_hours * 60:.0f} min of capture)")
        print(f"batches:                 {report.batches} ({report.failed} kept raw after a failed retry)")
        print(f"wall time:               {seconds:.1f} s")
        print(f"observations per minute: {60 * len(items) / seconds:.1f}")
        print(f"model-seconds per hour of capture: {per_hour:.0f} s")
        print(f"share of an 8-hour day of capture processed during that day: {min(100.0, 100 * 3600 / per_hour):.0f}%"
              f" (the day's capture needs {8 * per_hour / 3600:.1f} h of model time)")
        print(f"model calls per batch:   {report.model_calls / max(1, report.batches):.2f}")
        print(f"batches needing a retry: {100 * retried / max(1, report.batches):.1f}%")
        print(f"memories created:        {dict(sorted(report.created.items()))}")
        print(f"peak RSS:                {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        model.unload()
        store.close()


if __name__ == "__main__":
    main()
