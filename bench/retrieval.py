"""Search latency (p50/p95) over N memories + N observations of synthetic text, index rebuild time
at unlock, and the brute-force (exact numpy) baseline in the same run.

    .venv/bin/python bench/retrieval.py [--memories 10000] [--observations 10000] [--queries 200]
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from memory import EpisodicEvent, MemoryStore, NewObservation, SemanticFact
from memory.embed import MiniLMEmbedder
from memory.retrieval import Retriever
from memory.vectors import ChromaIndex, ExactIndex

WORDS = ("budget meeting invoice deploy server login password review design sprint roadmap client contract "
         "travel flight hotel dinner birthday doctor dentist school homework recipe garden bike football "
         "concert guitar python rust database backup laptop monitor keyboard coffee tea train bus paris berlin "
         "tokyo alice bob carol dan erin frank grace heidi ivan judy").split()


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize() + "."


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--memories", type=int, default=10_000)
    ap.add_argument("--observations", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    rng = random.Random(7)
    t0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
    embedder = MiniLMEmbedder()
    with tempfile.TemporaryDirectory() as tmp:
        store = MemoryStore.create(Path(tmp) / "e.db", secrets.token_bytes(32))
        store.add_observations([NewObservation(time=t0 + timedelta(minutes=i), text=sentence(rng), app=rng.choice(
            ["Mail", "Code", "Slack"])) for i in range(args.observations)])
        with store.transaction():
            for i in range(args.memories):
                if i % 2:
                    store.add(SemanticFact(name=rng.choice(WORDS), summary=sentence(rng)), cause="bench")
                else:
                    store.add(EpisodicEvent(occurred_at=t0 + timedelta(hours=i), summary=sentence(rng)), cause="bench")
        start = time.perf_counter()
        Retriever(store, embedder, ExactIndex(embedder.dim)).sync_index(batch=2048)
        print(f"embedding {args.memories + args.observations} items (first unlock): {time.perf_counter() - start:.1f} s")
        queries = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6))) for _ in range(args.queries)]
        for name, index in (("chroma (hnsw)", ChromaIndex(embedder.dim)), ("exact numpy", ExactIndex(embedder.dim))):
            retriever = Retriever(store, embedder, index)
            start = time.perf_counter()
            retriever.load_index()
            rebuild = time.perf_counter() - start
            timings = []
            for q in queries:
                start = time.perf_counter()
                retriever.search(q, 10)
                timings.append(1000 * (time.perf_counter() - start))
            vec = embedder.embed(queries[:50])
            vq = []
            for v in vec:
                start = time.perf_counter()
                index.query(v, 10)
                vq.append(1000 * (time.perf_counter() - start))
            p95 = np.percentile(timings, 95)
            print(f"{name:<14} rebuild at unlock {rebuild:6.2f} s | full search p50 {statistics.median(timings):6.1f} ms"
                  f" p95 {p95:6.1f} ms | vector top-10 alone p50 {statistics.median(vq):5.2f} ms")
        store.close()


if __name__ == "__main__":
    main()
