"""Search latency (p50/p95) over N memories + N observations of synthetic text, index rebuild time
at unlock, and the brute-force (exact numpy) baseline in the same run.

    .venv/bin/python bench/retrieval.py [--memories 10000] [--observations 10000] [--queries 200]

The text is realistic in its statistics: words drawn from the word frequencies of real conversation
(the LoCoMo turns, when ../shared/data/locomo is present), and the queries are LoCoMo's questions.
Without that file, a small fixed vocabulary is used, which makes full-text search slower than real
text would (every word matches a large share of the log).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import secrets
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
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


LOCOMO = Path(__file__).resolve().parents[2] / "shared" / "data" / "locomo" / "locomo-dev.json"


class Corpus:
    """Words with real frequencies, and real questions, when the LoCoMo file is here."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words, self.weights, self.questions = list(WORDS), [1.0] * len(WORDS), []
        if LOCOMO.is_file():
            counts: dict[str, int] = {}
            for sample in json.loads(LOCOMO.read_text()):
                conv = sample["conversation"]
                for key, turns in conv.items():
                    if key.startswith("session_") and isinstance(turns, list):
                        for turn in turns:
                            for w in re.findall(r"[a-z']+", turn["text"].lower()):
                                counts[w] = counts.get(w, 0) + 1
                self.questions += [qa["question"] for qa in sample["qa"]]
            self.words, self.weights = list(counts), list(counts.values())

    def sentence(self) -> str:
        return " ".join(self.rng.choices(self.words, self.weights, k=self.rng.randint(8, 30))).capitalize() + "."

    def query(self) -> str:
        if self.questions:
            return self.rng.choice(self.questions)
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(2, 6)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--memories", type=int, default=10_000)
    ap.add_argument("--observations", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    rng = random.Random(7)
    corpus = Corpus(rng)
    sentence = corpus.sentence
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    embedder = MiniLMEmbedder()
    with tempfile.TemporaryDirectory() as tmp:
        store = MemoryStore.create(Path(tmp) / "e.db", secrets.token_bytes(32))
        store.add_observations([NewObservation(time=t0 + timedelta(minutes=i), text=sentence(), app=rng.choice(
            ["Mail", "Code", "Slack"])) for i in range(args.observations)])
        with store.transaction():
            for i in range(args.memories):
                if i % 2:
                    store.add(SemanticFact(name=rng.choice(WORDS), summary=sentence()), cause="bench")
                else:
                    store.add(EpisodicEvent(occurred_at=t0 + timedelta(hours=i), summary=sentence()), cause="bench")
        start = time.perf_counter()
        Retriever(store, embedder, ExactIndex(embedder.dim)).sync_index(batch=2048)
        took = time.perf_counter() - start
        print(f"embedding {args.memories + args.observations} items (first unlock): {took:.1f} s")
        queries = [corpus.query() for _ in range(args.queries)]
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
            print(f"{name:<14} rebuild at unlock {rebuild:6.2f} s | full search p50 "
                  f"{statistics.median(timings):6.1f} ms p95 {p95:6.1f} ms | vector top-10 alone p50 "
                  f"{statistics.median(vq):5.2f} ms")
        store.close()
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
