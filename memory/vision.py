"""The vision seam: a captioner that says in a sentence or two what a screenshot shows.

`LlamaCaptioner` runs a local vision GGUF and its multimodal projector (mmproj) through one of
llama-cpp-python's multimodal chat handlers; `FakeCaptioner` replays captions for tests. The image
goes to the model as a `data:` URL only: nothing is ever fetched.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from memory.errors import ModelError
from memory.llm import LlamaModel

# Names a user may choose -> llama_cpp.llama_chat_format classes. "auto" (MTMD) uses the chat template
# stored in the GGUF, which fits current vision models (Qwen2.5-VL, SmolVLM, Gemma 3, ...).
CHAT_HANDLERS = {
    "auto": "MTMDChatHandler",
    "llava-1.5": "Llava15ChatHandler",
    "llava-1.6": "Llava16ChatHandler",
    "moondream": "MoondreamChatHandler",
    "qwen2.5-vl": "Qwen25VLChatHandler",
    "minicpm-v-2.6": "MiniCPMv26ChatHandler",
}

PROMPT = ("Describe this screenshot in one or two short sentences: which app it is, what the person is "
          "doing, and any names, titles, dates or numbers that matter. Do not guess what is not visible.")


class Captioner(Protocol):
    name: str

    def caption(self, png: bytes) -> str:
        """One or two sentences about the PNG image; ModelError if the model cannot."""


class LlamaCaptioner:
    """A local vision model (GGUF + mmproj); loads on first use, unloads on request."""

    def __init__(self, model_path: Path, mmproj_path: Path, *, handler: str = "auto", n_ctx: int = 4096,
                 max_tokens: int = 96) -> None:
        if handler not in CHAT_HANDLERS:
            raise ModelError(f"unknown vision chat handler {handler!r}; choose one of {', '.join(CHAT_HANDLERS)}")
        self.mmproj_path = Path(mmproj_path)
        self.handler = handler
        self.max_tokens = max_tokens
        self._model = LlamaModel(Path(model_path), n_ctx=n_ctx, chat_handler=self._make_handler)
        self.name = self._model.name

    def _make_handler(self) -> object:
        from llama_cpp import llama_chat_format

        if not self.mmproj_path.is_file():
            raise ModelError(f"the vision projector {self.mmproj_path} does not exist")
        handler_class = getattr(llama_chat_format, CHAT_HANDLERS[self.handler], None)
        if handler_class is None:
            raise ModelError(f"this llama-cpp-python has no {CHAT_HANDLERS[self.handler]}")
        return handler_class(clip_model_path=str(self.mmproj_path), verbose=False)

    @property
    def loaded(self) -> bool:
        return self._model.loaded

    @property
    def last_used(self) -> float:
        return self._model.last_used

    def unload(self) -> None:
        self._model.unload()

    def caption(self, png: bytes) -> str:
        url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        messages = [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": url}},
            {"type": "text", "text": PROMPT},
        ]}]
        return " ".join(self._model.complete(messages, max_tokens=self.max_tokens).split())


class FakeCaptioner:
    """Replays captions in order (the last one repeats); keeps every image it was shown."""

    name = "fake-vision"

    def __init__(self, captions: Sequence[str]) -> None:
        self._captions = list(captions)
        self.images: list[bytes] = []

    def caption(self, png: bytes) -> str:
        self.images.append(png)
        if not self._captions:
            raise ModelError("the fake captioner has no captions left")
        return self._captions.pop(0) if len(self._captions) > 1 else self._captions[0]
