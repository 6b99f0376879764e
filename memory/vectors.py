"""The vector index: ids and vectors only, never text.

Chroma (in memory by default, rebuilt from the vectors of record in the encrypted store at unlock;
telemetry off) answers similarity queries; an exact numpy search is the fallback while Chroma is
building and the baseline the benchmark compares against.
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


class ExactIndex:
    """Brute-force cosine search over unit vectors."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._ids: list[str] = []
        self._pos: dict[str, int] = {}
        self._matrix = np.zeros((0, dim), dtype=np.float32)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._pos)

    def add(self, ids: list[str], vectors: np.ndarray) -> None:
        with self._lock:
            fresh = [(i, v) for i, v in zip(ids, vectors, strict=True) if i not in self._pos]
            for i, v in zip(ids, vectors, strict=True):
                if i in self._pos:
                    self._matrix[self._pos[i]] = v
            if fresh:
                start = len(self._ids)
                self._ids += [i for i, _ in fresh]
                self._pos.update({i: start + n for n, (i, _) in enumerate(fresh)})
                self._matrix = np.vstack([self._matrix, np.stack([v for _, v in fresh])])

    def remove(self, ids: list[str]) -> None:
        with self._lock:
            gone = set(ids)
            keep = [n for n, i in enumerate(self._ids) if i not in gone]
            self._ids = [self._ids[n] for n in keep]
            self._matrix = self._matrix[keep]
            self._pos = {i: n for n, i in enumerate(self._ids)}

    def query(self, vector: np.ndarray, k: int, prefix: tuple[str, ...] | None = None) -> list[tuple[str, float]]:
        with self._lock:
            if not self._ids:
                return []
            _one_blas_thread()
            sims = self._matrix @ vector
            fetch = k if prefix is None else 4 * k
            while True:
                # The best `fetch` in order, without sorting all of them (a full sort of 200k
                # similarities costs more than the product itself).
                if fetch < len(sims):
                    top = np.argpartition(-sims, fetch)[:fetch]
                    order = top[np.argsort(-sims[top])]
                else:
                    order = np.argsort(-sims)
                out = [(self._ids[n], float(sims[n])) for n in order
                       if prefix is None or self._ids[n].startswith(prefix)][:k]
                if len(out) >= k or fetch >= len(sims):
                    return out
                fetch *= 8


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
