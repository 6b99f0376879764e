"""Search latency (p50/p95) over N memories + N observations of synthetic text, index rebuild time
at unlock, and the numpy index (exact cosines; sign-bit candidates from 20k vectors on,
memory.vectors) as the baseline in the same run.

    .venv/bin/python bench/retrieval.py [--memories 10000] [--observations 10000] [--queries 200]
        [--cjk-share 0.1] [--random-vectors] [--index exact] [--no-multilingual]

--no-multilingual also times each index without the multilingual layer, on the same store, in the
same run ("-ml" rows): the ratio of the two is the layer's cost.

Queries are asked with a "now" (as the app does), so time phrases in them are read. It also prints
the database size on disk, each full-text index's share of it, and the unlock time (open the store
and load the vectors). --random-vectors stores random unit vectors instead of embedding every item
(the search cost does not depend on what the vectors are; embedding 200k items takes most of an
hour on 2 cores). Random vectors are all far from a query (cosines near 0), so with them every
vector neighbour is counted (both layers' floors at -1), as in a real store, where a question's
30 nearest lines sit above the floor of 0.15 (for 84-95% of LoCoMo dev questions in stores of
700 lines): otherwise the vector layers would add nothing to fuse and load, and the figure would
be too low. --cjk-share makes that share of the observations Chinese text, so the gram index
(memory.grams) and the multilingual vector index (memory.language.needs_multilingual) hold something,
and a tenth as many Chinese queries are asked besides (each also embedded by USE-multilingual).

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

from memory import EpisodicEvent, MemoryStore, NewObservation, SemanticFact, retrieval
from memory.embed import MiniLMEmbedder, MultilingualEmbedder
from memory.language import needs_multilingual
from memory.retrieval import MIN_COSINE, Retriever
from memory.vectors import ChromaIndex, ExactIndex

WORDS = ("budget meeting invoice deploy server login password review design sprint roadmap client contract "
         "travel flight hotel dinner birthday doctor dentist school homework recipe garden bike football "
         "concert guitar python rust database backup laptop monitor keyboard coffee tea train bus paris berlin "
         "tokyo alice bob carol dan erin frank grace heidi ivan judy").split()


HANZI = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面"
         "而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开"
         "它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条")


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

    def chinese(self) -> str:
        return "".join(self.rng.choices(HANZI, k=self.rng.randint(8, 40))) + "。"

    def query(self) -> str:
        if self.questions:
            return self.rng.choice(self.questions)
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(2, 6)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--memories", type=int, default=10_000)
    ap.add_argument("--observations", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--cjk-share", type=float, default=0.0)
    ap.add_argument("--no-multilingual", action="store_true",
                    help="also time each index without the multilingual vector layer (the baseline before it)")
    ap.add_argument("--random-vectors", action="store_true")
    ap.add_argument("--index", choices=["both", "exact", "chroma"], default="both")
    args = ap.parse_args()
    if args.random_vectors:  # every multilingual neighbour counts too (see the module's text)
        retrieval.MULTILINGUAL_MIN_COSINE = -1.0
    rng = random.Random(7)
    corpus = Corpus(rng)
    sentence = corpus.sentence
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    embedder, multilingual = MiniLMEmbedder(), MultilingualEmbedder()
    key = secrets.token_bytes(32)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "e.db"
        store = MemoryStore.create(path, key)
        store.add_observations([NewObservation(
            time=t0 + timedelta(minutes=i), app=rng.choice(["Mail", "Code", "Slack"]),
            text=corpus.chinese() if rng.random() < args.cjk_share else sentence()) for i in range(args.observations)])
        with store.transaction():
            for i in range(args.memories):
                if i % 2:
                    store.add(SemanticFact(name=rng.choice(WORDS), summary=sentence()), cause="bench")
                else:
                    store.add(EpisodicEvent(occurred_at=t0 + timedelta(hours=i), summary=sentence()), cause="bench")
        start = time.perf_counter()
        if args.random_vectors:
            lanes = Retriever(store, embedder, multilingual=multilingual)
            lanes.load_index()  # as a new store's first unlock does, before any vector exists
            model = lanes._vector_model
            while True:
                obs, mems = store.unembedded(model, 4096)
                refs = [f"obs:{o.id}" for o in obs] + [m.id for m in mems]
                if not refs:
                    break
                vecs = np.random.default_rng(len(refs)).normal(size=(len(refs), embedder.dim)).astype(np.float32)
                vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
                store.put_embeddings(model, {r: v.tobytes() for r, v in zip(refs, vecs, strict=True)})
            model, mark = lanes._multilingual_model, lanes._script_mark
            while True:  # a store with Chinese in it: every item has a multilingual vector (as synced)
                obs, mems = store.unembedded(model, 4096)
                items = [(f"obs:{o.id}", o.text) for o in obs] + [(m.id, m.text()) for m in mems]
                if not items:
                    break
                vecs = np.random.default_rng(len(items)).normal(size=(len(items), multilingual.dim)).astype(np.float32)
                vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
                store.put_embeddings(model, {r: v.astype(np.float16).tobytes()
                                             for (r, _), v in zip(items, vecs, strict=True)})
                store.put_embeddings(mark, {r: b"" for r, t in items if needs_multilingual(t)})
            print(f"random vectors for {args.memories + args.observations} items: {time.perf_counter() - start:.1f} s")
        else:
            Retriever(store, embedder, ExactIndex(embedder.dim), multilingual).sync_index(batch=2048)
            took = time.perf_counter() - start
            print(f"embedding {args.memories + args.observations} items (first unlock): {took:.1f} s")
        store.close()
        _sizes(path, key)
        start = time.perf_counter()
        store = MemoryStore.open(path, key)
        Retriever(store, embedder, ExactIndex(embedder.dim), multilingual).load_index()
        print(f"unlock (open the store, load the vectors into the exact index): {time.perf_counter() - start:.2f} s")
        now = t0 + timedelta(minutes=args.observations)
        queries = [corpus.query() for _ in range(args.queries)]
        if args.cjk_share:
            queries += [corpus.chinese()[:2] for _ in range(args.queries // 10)]
        indexes = {"chroma": ("chroma (hnsw)", ChromaIndex), "exact": ("exact numpy", ExactIndex)}
        runs = [(indexes[x], lane) for x in (["chroma", "exact"] if args.index == "both" else [args.index])
                for lane in ([multilingual, None] if args.no_multilingual else [multilingual])]
        for (name, make), lane in runs:
            name = name if lane is not None else f"{name} -ml"
            index = make(embedder.dim)
            retriever = Retriever(store, embedder, index, lane)
            start = time.perf_counter()
            retriever.load_index()
            rebuild = time.perf_counter() - start
            timings, cpu = [], []
            for q in queries:
                start, start_cpu = time.perf_counter(), time.process_time()
                retriever.search(q, 10, now=now, min_cosine=-1.0 if args.random_vectors else MIN_COSINE)
                timings.append(1000 * (time.perf_counter() - start))
                cpu.append(1000 * (time.process_time() - start_cpu))
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
            # CPU time (all threads) is what other processes on the machine change least.
            print(f"{'':<14} full search CPU time p50 {statistics.median(cpu):6.1f} ms p95 "
                  f"{np.percentile(cpu, 95):6.1f} ms")
        store.close()
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def _sizes(path: Path, key: bytes) -> None:
    """The file's size, and what each full-text index's data takes (the sum of its blocks)."""
    print(f"database on disk: {path.stat().st_size / 2**20:.1f} MB")
    with MemoryStore.open(path, key) as store:
        tables = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master")}
        for fts in ("observations_fts", "observations_grams", "mem_semantic_fts", "mem_episodic_fts"):
            if f"{fts}_data" not in tables:
                continue
            size = store.db.execute(f"SELECT coalesce(sum(length(block)), 0) FROM {fts}_data").fetchone()[0]
            print(f"  {fts}: {size / 2**20:.1f} MB")


if __name__ == "__main__":
    main()
