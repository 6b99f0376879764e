"""The answer agent: a compact context (core memory first, then the best hits, each dated), a
streamed answer from the local model, and citations. Screen text is data, never instructions."""

from __future__ import annotations

import re
from collections.abc import Callable

from assets import read_text
from memory.llm import LanguageModel
from memory.models import Answer, CoreBlock, MemoryType, SearchHit, VaultEntry
from memory.store import MemoryStore

CONTEXT_CHARS = 3000
NOTE_CHARS = 400
NOTHING_FOUND = "I could not find anything about that in your memory."
# Instruction-like lines in captured text are neutralised before any prompt sees them.
_INJECTION = re.compile(
    r"(?i)(ignore|disregard|forget)\s+(all\s+|any\s+|the\s+)?(previous|prior|above|earlier|your)\s+"
    r"(instructions|prompts?|rules|messages)|\b(system prompt|you are now|new instructions)\b")


def neutralise(text: str) -> str:
    return _INJECTION.sub("[instruction-like text removed]", text)


def _note(hit: SearchHit) -> str:
    when = f"{hit.time.astimezone():%Y-%m-%d %H:%M}" if hit.time else "undated"
    memory = hit.memory
    if isinstance(memory, VaultEntry) and memory.sensitivity == "high":
        body = f"{memory.caption}: (hidden value; the user can reveal it in Engram)"
    else:
        body = " ".join(hit.text.split())[:NOTE_CHARS]
    source = f"{hit.kind}{', ' + hit.app if hit.app else ''}"
    return f"({when}; {source}) {neutralise(body)}"


def build_messages(question: str, hits: list[SearchHit],
                   store: MemoryStore) -> tuple[list[dict[str, str]], list[SearchHit]]:
    """The prompt, and the hits that fit in it (the answer cites those, and only those)."""
    core = [m for m in store.memories(MemoryType.CORE) if isinstance(m, CoreBlock)]
    lines, used, shown = [], 0, []
    for hit in hits:
        note = f"[{len(shown) + 1}] {_note(hit)}"
        if used + len(note) > CONTEXT_CHARS:
            continue  # a shorter note further down may still fit
        lines.append(note)
        shown.append(hit)
        used += len(note)
    profile = " ".join(neutralise(b.value) for b in core)[:600]
    system = read_text("prompts/answer.txt")
    user = (f"About the user: {profile}\n\n" if profile else "") + "Notes:\n" + "\n".join(lines) + (
        f"\n\nQuestion: {question}")
    return [{"role": "system", "content": system}, {"role": "user", "content": user}], shown


def answer(question: str, hits: list[SearchHit], store: MemoryStore, model: LanguageModel,
           on_token: Callable[[str], None] | None = None, max_tokens: int = 160) -> Answer:
    """Stream an answer grounded in `hits`; with no hits, say so without asking the model."""
    if not hits:
        if on_token:
            on_token(NOTHING_FOUND)
        return Answer(question=question, text=NOTHING_FOUND, citations=(), found_anything=False)
    messages, shown = build_messages(question, hits, store)
    parts: list[str] = []
    for piece in model.stream(messages, max_tokens=max_tokens):
        parts.append(piece)
        if on_token:
            on_token(piece)
    text = "".join(parts).strip() or NOTHING_FOUND
    return Answer(question=question, text=text, citations=tuple(shown),
                  found_anything=True)
