"""Ingest figures: observations per minute through the full memory pipeline with the embedded
model, model calls per batch, peak RSS, and the share of batches whose reply needed a retry.

    .venv/bin/python bench/ingest.py [--observations N] [--locomo FILE]
"""

from __future__ import annotations

import argparse
import json
import resource
import secrets
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from memory import MemoryStore, NewObservation
from memory.embed import MiniLMEmbedder
from memory.evaluation import parse_sample
from memory.llm import LlamaModel, default_model_path
from memory.managers import MemoryManagers

APPS = ["Thunderbird", "Code", "Firefox", "Slack", "Terminal"]
TEXTS = [
    "From: {name} <{name}@example.com>\nSubject: {topic} review moved to Thursday\nHi, the {topic} review is now at 3pm.",
    "def handle_{topic}(request):\n    # TODO: validate the {topic} payload\n    return render(request, '{topic}.html')",
    "How to configure {topic}: 1. Open settings 2. Choose {topic} 3. Save and restart",
    "{name}: did you see the {topic} numbers? {name}: yes, they look better than last quarter",
    "$ make {topic}\nerror: missing dependency lib{topic}\n$ apt install lib{topic}-dev",
]
NAMES = ["alice", "bob", "carol", "dan", "erin"]
TOPICS = ["budget", "billing", "search", "invoices", "onboarding", "payroll", "analytics"]


def synthetic(n: int) -> list[NewObservation]:
    t = datetime(2024, 5, 6, 9, 0, tzinfo=timezone.utc)
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
    args = ap.parse_args()
    if args.locomo:
        conv = parse_sample(json.loads(args.locomo.read_text())[0])
        items = [o for _, turns in conv.sessions[: args.sessions] for o in turns]
    else:
        items = synthetic(args.observations)
    with tempfile.TemporaryDirectory() as tmp:
        store = MemoryStore.create(Path(tmp) / "e.db", secrets.token_bytes(32))
        store.add_observations(items)
        managers = MemoryManagers(store, LlamaModel(default_model_path()), MiniLMEmbedder())
        start = time.perf_counter()
        report = managers.process_pending()
        seconds = time.perf_counter() - start
        retried = sum(1 for r in report.results if r.retries)
        print(f"observations:            {len(items)}")
        print(f"batches:                 {report.batches} ({report.failed} kept raw after a failed retry)")
        print(f"wall time:               {seconds:.1f} s")
        print(f"observations per minute: {60 * len(items) / seconds:.1f}")
        print(f"model calls per batch:   {report.model_calls / max(1, report.batches):.2f}")
        print(f"batches needing a retry: {100 * retried / max(1, report.batches):.1f}%")
        print(f"memories created:        {dict(sorted(report.created.items()))}")
        print(f"peak RSS:                {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        store.close()


if __name__ == "__main__":
    main()
