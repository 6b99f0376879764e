"""The vector index: ids and vectors only, never text.

ExactIndex (numpy, the default) scores every vector of a small index, and in a large one the
candidates that the vectors' sign bits pick; Chroma (opt-in, in memory, rebuilt from the vectors of
record in the encrypted store at unlock; telemetry off) answers from an HNSW graph.
"""

from __future__ import annotations

import threading

import numpy as np

_blas_limited = False


def _one_blas_thread() -> None:
    """The product over every vector runs on one BLAS thread, once per process: search runs it
    beside the full-text layers (memory.retrieval's vector lane), and on 2 cores OpenBLAS's second
    thread only competes with them (bench/retrieval.py at 100k + 100k: p95 about 4 ms lower).
    Nothing else here multiplies large matrices with numpy (MiniLM runs in onnxruntime, the
    multilingual model limits itself to one thread already)."""
    global _blas_limited
    if not _blas_limited:
        import threadpoolctl

        threadpoolctl.threadpool_limits(1, user_api="blas")
        _blas_limited = True


PREFILTER_FROM = 20_000  # items; below, the product over every vector costs a few ms at most
# Candidates scored exactly: a fiftieth of the index, and at least 32 per result asked for. Over
# 18,489 real sentences (manual pages, LoCoMo turns), a fiftieth gave the same top 10 as scoring
# every vector for 198 of 200 LoCoMo questions with MiniLM and 199 with USE-multilingual (top 30:
# 99.5% of the items with both).
CANDIDATE_SHARE = 50
PER_RESULT = 32


def _sign_bits(vectors: np.ndarray) -> np.ndarray:
    """Each vector's signs, packed into 64-bit words, one row per word: (ceil(dim / 64), n)
    uint64. Word-major, so a query's distance is a few passes over contiguous arrays (summing
    the 6 words of each vector across a row-major array took 4x longer at 200k)."""
    packed = np.packbits(vectors > 0, axis=1)
    pad = -packed.shape[1] % 8
    if pad:
        packed = np.pad(packed, ((0, 0), (0, pad)))
    return np.ascontiguousarray(np.ascontiguousarray(packed).view(np.uint64).T)


class ExactIndex:
    """Cosine search over unit vectors: every vector is scored exactly in a small index; from
    `prefilter_from` items on, the vectors whose signs agree most with the query's (Hamming
    distance over one bit a dimension, 1/32 of the bytes of the vectors) are the candidates, and
    those are scored exactly. A product over 200k float32 vectors reads 300 MB a query and took
    21 ms on one core; the sign bits are 9.6 MB. Scores returned are always exact cosines."""

    def __init__(self, dim: int, prefilter_from: int = PREFILTER_FROM) -> None:
        self.dim = dim
        self.prefilter_from = prefilter_from
        self._ids: list[str] = []
        self._pos: dict[str, int] = {}
        self._matrix = np.zeros((0, dim), dtype=np.float32)
        self._bits = _sign_bits(self._matrix)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._pos)

    def add(self, ids: list[str], vectors: np.ndarray) -> None:
        with self._lock:
            fresh = [(i, v) for i, v in zip(ids, vectors, strict=True) if i not in self._pos]
            for i, v in zip(ids, vectors, strict=True):
                if i in self._pos:
                    self._matrix[self._pos[i]] = v
                    self._bits[:, self._pos[i]] = _sign_bits(np.asarray(v, dtype=np.float32)[None, :])[:, 0]
            if fresh:
                start = len(self._ids)
                self._ids += [i for i, _ in fresh]
                self._pos.update({i: start + n for n, (i, _) in enumerate(fresh)})
                added = np.stack([v for _, v in fresh]).astype(np.float32)
                self._matrix = np.vstack([self._matrix, added])
                self._bits = np.hstack([self._bits, _sign_bits(added)])

    def remove(self, ids: list[str]) -> None:
        with self._lock:
            gone = set(ids)
            keep = [n for n, i in enumerate(self._ids) if i not in gone]
            self._ids = [self._ids[n] for n in keep]
            self._matrix = self._matrix[keep]
            self._bits = np.ascontiguousarray(self._bits[:, keep])
            self._pos = {i: n for n, i in enumerate(self._ids)}

    def query(self, vector: np.ndarray, k: int, prefix: tuple[str, ...] | None = None) -> list[tuple[str, float]]:
        with self._lock:
            if not self._ids:
                return []
            _one_blas_thread()
            fetch = k if prefix is None else 4 * k
            distance = self._sign_distance(vector) if len(self._ids) >= self.prefilter_from else None
            while True:
                rows = self._candidates(distance, fetch)
                sims = self._matrix[rows] @ vector if rows is not None else self._matrix @ vector
                # The best `fetch` in order, without sorting all of them (a full sort of 200k
                # similarities costs more than the product itself).
                if fetch < len(sims):
                    top = np.argpartition(-sims, fetch)[:fetch]
                    order = top[np.argsort(-sims[top])]
                else:
                    order = np.argsort(-sims)
                at = rows if rows is not None else np.arange(len(sims))
                out = [(self._ids[at[n]], float(sims[n])) for n in order
                       if prefix is None or self._ids[at[n]].startswith(prefix)][:k]
                if len(out) >= k or fetch >= len(self._ids):
                    return out
                fetch *= 8

    def _sign_distance(self, vector: np.ndarray) -> np.ndarray:
        """Each row's Hamming distance to `vector`'s sign bits: (n,) uint16."""
        query = _sign_bits(vector[None, :].astype(np.float32))[:, 0]
        distance = np.zeros(self._bits.shape[1], dtype=np.uint16)
        for word, bits in zip(query, self._bits, strict=True):
            distance += np.bitwise_count(bits ^ word)
        return distance

    def _candidates(self, distance: np.ndarray | None, fetch: int) -> np.ndarray | None:
        """Rows to score exactly for the best `fetch` (the nearest by sign bits, ties in row
        order), or None for every row. Distances are small integers (0 to dim), so the cut is
        read from their histogram: 4x faster than a partition of 200k."""
        pool = max(len(self._ids) // CANDIDATE_SHARE, PER_RESULT * fetch)
        if distance is None or pool >= len(self._ids):
            return None
        below = np.cumsum(np.bincount(distance))
        cut = int(np.searchsorted(below, pool))  # the least distance with `pool` rows at or under it
        inside = np.flatnonzero(distance < cut)
        at_cut = np.flatnonzero(distance == cut)[:pool - len(inside)]
        return np.concatenate([inside, at_cut])


class ChromaIndex:
    """Chroma HNSW (cosine) holding ids and vectors only.

    In-memory clients of one process share their collections (Chroma keeps one system per
    settings), so a check that must not touch the index of record passes its own `collection`."""

    def __init__(self, dim: int, path: str | None = None, collection: str = "engram") -> None:
        import chromadb
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False, allow_reset=False)
        client = chromadb.PersistentClient(path, settings=settings) if path else chromadb.EphemeralClient(
            settings=settings)
        self.dim = dim
        self._collection = client.get_or_create_collection(
            collection, embedding_function=None,
            configuration={"hnsw": {"space": "cosine", "ef_construction": 128, "ef_search": 96}})

    def __len__(self) -> int:
        return self._collection.count()

    def add(self, ids: list[str], vectors: np.ndarray) -> None:
        for start in range(0, len(ids), 4000):
            self._collection.upsert(ids=ids[start:start + 4000], embeddings=vectors[start:start + 4000])

    def remove(self, ids: list[str]) -> None:
        if ids:
            self._collection.delete(ids=ids)

    def query(self, vector: np.ndarray, k: int, prefix: tuple[str, ...] | None = None) -> list[tuple[str, float]]:
        n = len(self)
        if n == 0:
            return []
        # Over-fetch and filter by prefix in code: a Chroma `where` filter costs far more.
        fetch = min(n, k * (4 if prefix else 1))
        result = self._collection.query(query_embeddings=[vector], n_results=fetch, include=["distances"])
        pairs = [(i, 1.0 - d) for i, d in zip(result["ids"][0], result["distances"][0], strict=True)]
        if prefix is not None:
            pairs = [p for p in pairs if p[0].startswith(prefix)]
        return pairs[:k]
