"""The memory managers (after MIRIX, built for small local models).

Code orchestrates, the model only fills small grammar-constrained forms: one meta call routes a
batch of observations to memory types, then one call per touched type proposes operations
(ADD / UPDATE by id / DELETE by id / NOOP) against the most similar existing items, shown to the
model as short numbers. Replies are validated; an invalid one is retried once, then the batch stays
in the raw log marked for a later pass. A batch's operations, its provenance, its history rows and
its "done" mark commit together, so a crash and re-run never duplicates memories.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

import numpy as np

from assets import read_text
from memory.dialogue import speaker_tag
from memory.embed import Embedder
from memory.episodes import segment
from memory.errors import ModelError
from memory.llm import LanguageModel, Message
from memory.models import (
    CoreBlock,
    EpisodicEvent,
    Memory,
    MemoryType,
    Observation,
    ProceduralEntry,
    ResourceItem,
    SemanticFact,
    VaultEntry,
)
from memory.relative_dates import annotate, day
from memory.store import MemoryStore
from memory.terms import terms

BATCH_MAX_OBSERVATIONS = 12
BATCH_MAX_CHARS = 2400
BATCH_IDLE_GAP = timedelta(minutes=10)
CANDIDATES = 5
DUPLICATE_COSINE = 0.9
CORE_LIMIT = 1200
# An observation's `processed` value: 0 waits, 1 is done, FAILED + n failed its model pass n + 1
# times; it gets MAX_ATTEMPTS passes in all, each smaller, then stays raw (with its floor memories).
DONE, FAILED, MAX_ATTEMPTS = 1, 2, 3
_REDACTED = "[REDACTED"
_SECRET_HINT = re.compile(r"(?i)\b(password|passwd|pin|cvv|secret|api[_ -]?key|token)\b")
_CONTACT_HINT = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.]+|\+?\d[\d ()-]{7,}\d|\b\d{1,5} \w+ (street|st|road|rd|avenue|ave|lane)\b", re.I)
_NUMBERED_STEP = re.compile(r"(?:^|\s)(?:\d{1,2}[.)]|step \d+:?)\s+(.+?)(?=\s\d{1,2}[.)]\s|\n|$)", re.I | re.M)
_CONTACT_VALUE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?<![\w.])\+?\d[\d ()-]{7,}\d(?![\w.])")
_STEPS_HINT = re.compile(r"(?im)(^|\s)(\d{1,2}[.)]\s|step \d+|\$ )")
_RESOURCE_HINT = re.compile(r"https?://|\.(pdf|docx?|xlsx?|pptx?|md|txt|py|js|ts|rs|go|java|csv)\b", re.I)


@dataclass(frozen=True)
class Batch:
    """Observations processed together: one episode of one app."""

    observations: tuple[Observation, ...]

    @property
    def key(self) -> str:
        ids = ",".join(str(o.id) for o in self.observations)
        return hashlib.sha256(ids.encode()).hexdigest()[:32]

    @property
    def ids(self) -> list[int]:
        return [o.id for o in self.observations]

    def render(self, budget: int = BATCH_MAX_CHARS) -> str:
        """The batch as compact text for a prompt, each observation with its time and app. Lines a
        window already showed earlier in the batch are left out (a window seen again repeats most
        of its text), so the model's tokens go to what is new."""
        lines, used = [], 0
        per_obs = max(200, budget // max(1, len(self.observations)))
        shown: dict[tuple[str, str], set[str]] = {}
        tags = [speaker_tag(o.text) for o in self.observations]
        speakers = {t for t in tags if t is not None and tags.count(t) >= 2}  # a conversation's voices
        for o in self.observations:
            seen = shown.setdefault((o.app, o.title), set())
            fresh = [ln for ln in (" ".join(x.split()) for x in o.text.splitlines()) if ln and ln not in seen]
            seen.update(fresh)
            if not fresh:
                continue
            # The seen text is a JSON string: a line that addresses the model stays inside its quotes.
            when = o.time.astimezone()
            head = f"[{day(when)} {when:%H:%M} {o.app}{' - ' + o.title if o.title else ''}]"
            said = " ".join(fresh)[:per_obs]
            tag = speaker_tag(said)  # the speaker outside the quotes: who said it is not data to rewrite
            tag = tag if tag in speakers else None
            if tag is not None:
                said = said[len(tag) + 1:].strip()
            text = json.dumps(annotate(said, when), ensure_ascii=False)
            line = f"{head} {tag} said: {text}" if tag else f"{head} {text}"
            if used + len(line) > budget:
                break
            lines.append(line)
            used += len(line)
        return "\n".join(lines)


def make_batches(observations: Sequence[Observation], max_observations: int = BATCH_MAX_OBSERVATIONS) -> list[Batch]:
    """Group observations (in time order) into batches: the episodes of `memory.episodes` (split on
    app, window, idle gap and topic, so a batch never straddles two), each cut by the size caps."""
    batches: list[Batch] = []
    for episode in segment(observations, gap=BATCH_IDLE_GAP):
        current: list[Observation] = []
        chars = 0
        for o in episode.observations:
            if current and (len(current) >= max_observations or chars + len(o.text) > BATCH_MAX_CHARS * 2):
                batches.append(Batch(tuple(current)))
                current, chars = [], 0
            current.append(o)
            chars += len(o.text)
        batches.append(Batch(tuple(current)))
    return batches


@dataclass
class BatchResult:
    key: str
    status: str  # done | failed | skipped
    types: tuple[MemoryType, ...] = ()
    operations: list[str] = field(default_factory=list)  # "ADD semantic:3", ...
    model_calls: int = 0
    retries: int = 0
    error: str | None = None


@dataclass
class ProcessReport:
    batches: int = 0
    retried: int = 0  # batches that were a later pass over a failed one
    failed: int = 0
    skipped: int = 0
    model_calls: int = 0
    retries: int = 0
    created: dict[str, int] = field(default_factory=dict)
    results: list[BatchResult] = field(default_factory=list)


class InvalidReply(ValueError):
    pass


def check(value: object, schema: dict, where: str = "reply") -> None:
    """Validate `value` against the small JSON-schema subset the managers use."""
    kind = schema.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool, "integer": int}
    if kind and not isinstance(value, types[kind]) or (kind == "integer" and isinstance(value, bool)):
        raise InvalidReply(f"{where} should be {kind}")
    if "enum" in schema and value not in schema["enum"]:
        raise InvalidReply(f"{where} is not one of {schema['enum']}")
    if kind == "object":
        for name in schema.get("required", []):
            if name not in value:
                raise InvalidReply(f"{where} lacks {name}")
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                check(value[name], sub, f"{where}.{name}")
    elif kind == "array":
        if len(value) > schema.get("maxItems", len(value)):
            raise InvalidReply(f"{where} has too many items")
        for i, item in enumerate(value):
            check(item, schema.get("items", {}), f"{where}[{i}]")


class MemoryManagers:
    """Turns pending observations into memories of the six types."""

    def __init__(self, store: MemoryStore, model: LanguageModel, embedder: Embedder | None = None,
                 *, allow_secrets_in_vault: bool = False) -> None:
        self.store = store
        self.model = model
        self.embedder = embedder
        self.allow_secrets = allow_secrets_in_vault
        self._schemas = {name: json.loads(read_text(f"schemas/{name}.json"))
                         for name in ["meta", *[k.value for k in MemoryType]]}
        self._prompts = {name: read_text(f"prompts/{name}.txt")
                         for name in [*self._schemas, "core_rewrite"]}

    # -- driving ------------------------------------------------------------------------------
    def pending_batches(self) -> list[Batch]:
        return make_batches(self.store.observations(pending=True))

    def retry_batches(self) -> list[tuple[Batch, int]]:
        """Batches whose model pass failed, again, each at half the size of the pass before (a
        smaller prompt is what most often rescues a small model), with the attempt number; after
        MAX_ATTEMPTS passes an observation stays in the raw log only (and in the floor memories)."""
        out = []
        for attempt in range(1, MAX_ATTEMPTS):
            failed = self.store.observations(processed=[FAILED + attempt - 1])
            size = max(1, BATCH_MAX_OBSERVATIONS >> attempt)
            out += [(b, attempt) for b in make_batches(failed, max_observations=size)]
        return out

    def process_pending(self, progress: Callable[[int, int], None] | None = None,
                        max_batches: int | None = None) -> ProcessReport:
        """Run the managers over every pending observation, then retry failed batches (smaller);
        `progress(done, total)` per batch. `max_batches` stops after that many (the app works in
        small jobs, so a question never waits long behind memory-making)."""
        batches = ([(b, 0) for b in self.pending_batches()] + self.retry_batches())[:max_batches]
        report = ProcessReport()
        for n, (batch, attempt) in enumerate(batches, start=1):
            result = self.process(batch, attempt)
            report.results.append(result)
            report.batches += 1
            report.retried += attempt > 0
            report.failed += result.status == "failed"
            report.skipped += result.status == "skipped"
            report.model_calls += result.model_calls
            report.retries += result.retries
            for op in result.operations:
                if op.startswith("ADD "):
                    kind = op.split()[1].split(":")[0]
                    report.created[kind] = report.created.get(kind, 0) + 1
            if progress:
                progress(n, len(batches))
        return report

    def process(self, batch: Batch, attempt: int = 0) -> BatchResult:
        """Process one batch; idempotent (a batch already done is skipped). The deterministic floor
        (an extractive episode, steps, contacts, resources) is written even when the model fails:
        a failed call never costs the user those; the batch is then kept for a later pass."""
        result = BatchResult(key=batch.key, status="done")
        if self.store.batch_status(batch.key) == "done":
            self.store.mark_observations(batch.ids, DONE)
            result.status = "skipped"
            return result
        text = batch.render()
        plans, failure = [], None
        try:
            result.types = self._route(batch, text, result)
            plans = [(kind, self._propose(kind, batch, text, result)) for kind in result.types]
        except (InvalidReply, ModelError) as exc:
            failure = exc
        with self.store.transaction():
            for kind, (operations, shown) in plans:
                for op in operations:
                    done = self._apply(kind, op, shown, batch)
                    if done:
                        result.operations.append(done)
                        if done.startswith("ADD "):  # later ops of this batch can see it
                            shown.append(self.store.get(done.split()[1]))
            touched = {op.split()[1].split(":")[0] for op in result.operations}
            floor = self._floor_episode(batch)
            if "episodic" not in touched and floor is None:
                result.operations.append(self._fallback_episode(batch))
            elif "episodic" in touched and floor is not None:  # a later pass did better than the floor
                self.store.delete(floor.id, cause=f"batch {batch.key}: replaced by the model's episode")
                result.operations.append(f"DELETE {floor.id}")
            if "procedural" not in touched:
                result.operations += self._extract_steps(batch)
            result.operations += self._extract_contacts(batch)
            if "resource" not in touched:
                result.operations += self._extract_resources(batch)
            if failure is None:
                self.store.record_batch(batch.key, "done", model_calls=result.model_calls, retries=result.retries)
                self.store.mark_observations(batch.ids, DONE)
            else:
                result.status, result.error = "failed", str(failure)
                self.store.record_batch(batch.key, "failed", model_calls=result.model_calls,
                                        retries=result.retries, error=str(failure)[:500])
                self.store.mark_observations(batch.ids, FAILED + attempt)
        return result

    # -- the two kinds of model call ----------------------------------------------------------
    def _ask(self, name: str, messages: list[Message], result: BatchResult) -> dict:
        schema = self._schemas[name]
        last: Exception | None = None
        for attempt in range(2):
            result.model_calls += 1
            result.retries += attempt
            reply = self.model.complete(messages, schema=schema, max_tokens=600)
            try:
                value = json.loads(reply, strict=False)
                check(value, schema)
                return value
            except (json.JSONDecodeError, InvalidReply) as exc:
                last = exc
        raise InvalidReply(f"{name} manager: invalid reply twice ({last})")

    def _route(self, batch: Batch, text: str, result: BatchResult) -> tuple[MemoryType, ...]:
        choice = self._ask("meta", [{"role": "system", "content": self._prompts["meta"]},
                                    {"role": "user", "content": text}], result)
        chosen = {MemoryType(k) for k, v in choice.items() if v}
        # Code keeps the model honest: every batch is an event, and vault values, steps and
        # documents have recognisable shapes; a type whose shape is absent is not touched
        # (small models answer "true" to everything), one whose shape is present always is.
        chosen.add(MemoryType.EPISODIC)
        text = text_of(batch)  # the seen text itself, not the rendered prompt (its dates look like numbers)
        shapes = {
            MemoryType.VAULT: bool(_CONTACT_HINT.search(text)),
            MemoryType.PROCEDURAL: bool(_STEPS_HINT.search(text)),
            MemoryType.RESOURCE: bool(_RESOURCE_HINT.search(text) or any(o.url for o in batch.observations)),
        }
        chosen = {k for k in chosen if shapes.get(k, True)} | {k for k, seen in shapes.items() if seen}
        return tuple(k for k in MemoryType if k in chosen)

    def _propose(self, kind: MemoryType, batch: Batch, text: str, result: BatchResult):
        shown = self._candidates(kind, text)
        listed = "\n".join(f"{n}. {_prompt_line(m)}" for n, m in enumerate(shown, start=1))
        user = (f"Known {kind.value} items:\n{listed or '(none)'}\n\nObservations:\n{text}")
        value = self._ask(kind.value, [{"role": "system", "content": self._prompts[kind.value]},
                                       {"role": "user", "content": user}], result)
        return value["operations"], shown

    def _candidates(self, kind: MemoryType, text: str) -> list[Memory]:
        if kind == MemoryType.CORE:
            return self.store.memories(MemoryType.CORE)
        return [m for m, _ in self.store.search_memories(text, CANDIDATES, kinds=[kind])]

    # -- applying operations ------------------------------------------------------------------
    def _apply(self, kind: MemoryType, op: dict, shown: list[Memory], batch: Batch) -> str | None:
        action = op.get("op", "NOOP")
        if action == "NOOP":
            return None
        if kind == MemoryType.CORE:
            return self._apply_core(op, batch)
        target = None
        if action in ("UPDATE", "DELETE"):
            number = op.get("id", 0)
            if not 1 <= number <= len(shown):
                action = "ADD" if action == "UPDATE" else "NOOP"  # unknown id: treat as new
            else:
                target = shown[number - 1]
        if action == "DELETE":
            self.store.delete(target.id, cause=f"batch {batch.key}: superseded")
            return f"DELETE {target.id}"
        memory = self._build(kind, op, batch)
        if memory is None or not grounded(memory, evidence_of(batch, about=subject_of(memory))):
            return None
        sources = batch.ids if kind == MemoryType.EPISODIC else supporting(memory, batch)
        if target is None:
            target = self._duplicate_of(memory, shown)
            if target is not None and target.text() == memory.text():
                self.store.update(target.id, target, sources=sources, cause=f"batch {batch.key}")
                return None
        if target is not None:
            merged = self._merge(target, memory)
            self.store.update(target.id, merged, sources=sources, cause=f"batch {batch.key}")
            return f"UPDATE {target.id}"
        stored = self.store.add(memory, sources=sources, cause=f"batch {batch.key}")
        return f"ADD {stored.id}"

    def _floor_episode(self, batch: Batch) -> Memory | None:
        """The extractive episode an earlier, failed pass wrote for these observations, if any."""
        if not any(o.processed for o in batch.observations):
            return None
        ids = set(batch.ids)
        return next((m for m in self.store.memories_between(
            batch.observations[0].time, batch.observations[-1].time + timedelta(seconds=1), [MemoryType.EPISODIC])
            if isinstance(m, EpisodicEvent) and m.event_type == "observed" and ids & set(m.sources)), None)

    def _fallback_episode(self, batch: Batch) -> str:
        """The zero-model floor: when the model gave no usable event, an extractive one, so every
        batch is an episode with provenance."""
        first = batch.observations[0]
        lines = [line.strip() for o in batch.observations for line in o.text.splitlines() if line.strip()]
        summary = " ".join((first.title or (lines[0] if lines else first.app) or "activity").split())[:200]
        details = " / ".join(lines)[:600]
        last = batch.observations[-1]
        stored = self.store.add(
            EpisodicEvent(occurred_at=first.time, ended_at=last.time if last.time != first.time else None,
                          summary=summary or "activity", details=details, app=first.app,
                          event_type="observed"),
            sources=batch.ids, cause=f"batch {batch.key}: extractive")
        return f"ADD {stored.id}"

    def _extract_steps(self, batch: Batch) -> list[str]:
        """Numbered steps seen on screen become a procedure even when the model misses them."""
        text = text_of(batch)
        steps = [" ".join(m.group(1).split()) for m in _NUMBERED_STEP.finditer(text)]
        steps = [st for st in steps if st][:12]
        if len(steps) < 3:
            return []
        first = batch.observations[0]
        summary = (first.title or text.strip().splitlines()[0])[:120]
        entry = ProceduralEntry(summary=summary, steps=tuple(st[:160] for st in steps), entry_type="guide")
        if self._duplicate_of(entry, self._candidates(MemoryType.PROCEDURAL, summary)) is not None:
            return []
        return [f"ADD {self.store.add(entry, sources=batch.ids, cause=f'batch {batch.key}: steps').id}"]

    def _extract_resources(self, batch: Batch) -> list[str]:
        """A page or file in front of the user is a resource: one per location, updated (with
        history) when seen again with new content."""
        done = []
        by_location = {m.location: m for m in self.store.memories(MemoryType.RESOURCE)
                       if isinstance(m, ResourceItem) and m.location}
        for o in batch.observations:
            location = o.url or (o.title if _RESOURCE_HINT.search(o.title) else "")
            if not location:
                continue
            lines = [ln.strip() for ln in o.text.splitlines() if ln.strip()]
            item = ResourceItem(
                title=(o.title or location)[:120], location=location,
                resource_type="web_page" if o.url else "file",
                summary=(lines[0] if lines else "")[:200], content_excerpt=" ".join(o.text.split())[:1000])
            old = by_location.get(location)
            cause = f"batch {batch.key}: seen"
            if old is None:
                by_location[location] = stored = self.store.add(item, sources=[o.id], cause=cause)
                done.append(f"ADD {stored.id}")
            elif old.content() != item.content():
                by_location[location] = self.store.update(old.id, item, sources=[o.id], cause=cause + " again")
                done.append(f"UPDATE {old.id}")
        return done

    def _extract_contacts(self, batch: Batch) -> list[str]:
        """E-mail addresses and phone numbers are kept verbatim in the vault, captioned by where
        they were seen; values already in the vault are not repeated."""
        done = []
        known = {m.value for m in self.store.memories(MemoryType.VAULT) if isinstance(m, VaultEntry)}
        for o in batch.observations:
            for match in _CONTACT_VALUE.finditer(o.text):
                value = match.group(0).strip()
                if value in known or _REDACTED in value:
                    continue
                known.add(value)
                line = next((ln for ln in o.text.splitlines() if value in ln), "")
                before = re.sub(r"[^\w\s'.-]", " ", line[: line.find(value)]).split()[-4:]
                label = " ".join(before)
                caption = f"{o.title or o.app}: {label}".strip(": ") if label else (o.title or o.app)
                entry = VaultEntry(entry_type="contact", caption=caption or "contact", value=value,
                                   sensitivity="medium")
                done.append(f"ADD {self.store.add(entry, sources=[o.id], cause=f'batch {batch.key}: seen').id}")
        return done

    def _build(self, kind: MemoryType, op: dict, batch: Batch) -> Memory | None:
        first, last = batch.observations[0], batch.observations[-1]
        clean = {k: " ".join(str(v).split()) if isinstance(v, str) else v for k, v in op.items()}
        try:
            if kind == MemoryType.EPISODIC:
                return EpisodicEvent(
                    occurred_at=first.time, ended_at=last.time if last.time != first.time else None,
                    summary=clean["summary"], details=clean.get("details", ""), app=first.app,
                    actor="user", event_type="activity")
            if kind == MemoryType.SEMANTIC:
                return SemanticFact(name=clean["name"], summary=clean["summary"])
            if kind == MemoryType.PROCEDURAL:
                steps = tuple(s.strip() for s in op.get("steps", []) if s.strip())
                return ProceduralEntry(summary=clean["summary"], steps=steps)
            if kind == MemoryType.RESOURCE:
                location = next((o.url for o in batch.observations if o.url), "") or first.title
                return ResourceItem(title=clean["title"], resource_type=clean["resource_type"],
                                    summary=clean.get("summary", ""), location=location)
            if kind == MemoryType.VAULT:
                return self._vault_entry(clean, batch, text_of(batch))
        except KeyError:
            return None
        return None

    def _vault_entry(self, op: dict, batch: Batch, source: str) -> VaultEntry | None:
        value = op["value"].strip()
        # Never invent: the value must appear in what was seen. Secrets stay out unless allowed.
        if not value or value.lower() not in source.lower() or _REDACTED in value:
            return None
        sensitive = _SECRET_HINT.search(op["caption"]) or op["entry_type"] == "account"
        if _SECRET_HINT.search(op["caption"]) and not self.allow_secrets:
            return None
        return VaultEntry(entry_type=op["entry_type"], caption=op["caption"], value=value,
                          sensitivity="high" if sensitive else "medium"
                          if op["entry_type"] in ("address", "booking") else "low")

    def _duplicate_of(self, memory: Memory, shown: list[Memory]) -> Memory | None:
        """An existing item this new one repeats: same name (facts) or a near-identical vector."""
        if isinstance(memory, SemanticFact):
            for m in shown:
                if isinstance(m, SemanticFact) and m.name.lower() == memory.name.lower():
                    return m
        if isinstance(memory, VaultEntry):
            for m in shown:
                if isinstance(m, VaultEntry) and m.caption.lower() == memory.caption.lower():
                    return m
        if self.embedder is None or not shown:
            return None
        vectors = self.embedder.embed([memory.text(), *(m.text() for m in shown)])
        sims = vectors[1:] @ vectors[0]
        best = int(np.argmax(sims))
        return shown[best] if sims[best] >= DUPLICATE_COSINE else None

    @staticmethod
    def _merge(old: Memory, new: Memory) -> Memory:
        """The updated item: new content, keeping what only the old one knew."""
        if isinstance(old, EpisodicEvent) and isinstance(new, EpisodicEvent):
            return replace(new, occurred_at=min(old.occurred_at, new.occurred_at),
                           details=new.details or old.details)
        if isinstance(old, SemanticFact) and isinstance(new, SemanticFact):
            details = old.details if old.summary in old.details else (
                f"{old.details} Earlier: {old.summary}".strip())
            return replace(new, name=old.name, details=details[-2000:])
        if isinstance(old, ResourceItem) and isinstance(new, ResourceItem):
            return replace(new, location=new.location or old.location)
        return new

    def _apply_core(self, op: dict, batch: Batch) -> str | None:
        sentence = " ".join(op.get("value", "").split())
        if not sentence or _REDACTED in sentence or not grounded(CoreBlock(label="human", value=sentence),
                                                                evidence_of(batch)):
            return None
        existing = [m for m in self.store.memories(MemoryType.CORE) if isinstance(m, CoreBlock)
                    and m.label == op.get("label", "human")]
        if not existing:
            stored = self.store.add(CoreBlock(label="human", value=sentence, limit=CORE_LIMIT),
                                    sources=batch.ids, cause=f"batch {batch.key}")
            return f"ADD {stored.id}"
        block = existing[0]
        if sentence.lower() in block.value.lower():
            return None
        value = f"{block.value} {sentence}"
        if len(value) > block.limit * 0.9:
            value = self._rewrite_core(value, block.limit)
        self.store.update(block.id, replace(block, value=value), sources=batch.ids,
                          cause=f"batch {batch.key}")
        return f"UPDATE {block.id}"

    def _rewrite_core(self, value: str, limit: int) -> str:
        """Near its limit the core block is rewritten shorter by the model; oldest text goes if
        that is not enough."""
        try:
            shorter = self.model.complete([{"role": "system", "content": self._prompts["core_rewrite"]},
                                           {"role": "user", "content": value}], max_tokens=300)
        except ModelError:
            shorter = value
        shorter = " ".join(shorter.split()) or value
        return shorter if len(shorter) <= limit else shorter[-limit:].split(" ", 1)[-1]


# Fields that label a memory rather than state something seen ("user", "activity", "web_page").
_LABELS = frozenset({"actor", "event_type", "app", "entry_type", "resource_type", "label", "sensitivity"})


def claims(memory: Memory) -> list[str]:
    """What a memory states, field by field: its text fields without labels, and without a field
    that only repeats another (details that restate the summary)."""
    out: list[str] = []
    for name, value in memory.content().items():
        if name in _LABELS or not isinstance(value, (str, tuple)) or not value:
            continue
        text = " ; ".join(value) if isinstance(value, tuple) else value
        flat = " ".join(text.split())
        for kept in out:  # details that restate the summary: only what they add counts
            if len(kept) >= 30 and kept in flat:
                flat = flat.replace(kept, " ", 1).strip()
        if flat:
            out.append(flat)
    return out


def grounded(memory: Memory, source: str) -> bool:
    """Whether a proposed memory is supported by what was seen: most of its content terms occur
    in the source, and it is not degenerate repetition. Small models copy and loop; this is how the
    pipeline, not the model, keeps hallucinated items out (cf. HaluMem). Works in every script."""
    fields = [terms(text) for text in claims(memory)]
    words = [w for f in fields for w in f]
    if not words:
        return False
    grams = [tuple(f[i:i + 3]) for f in fields for i in range(len(f) - 2)]
    if len(grams) > 3 and len(set(grams)) < 0.8 * len(grams):  # a loop: repeated phrases
        return False
    seen = set(terms(source))
    support = sum(w in seen for w in set(words)) / len(set(words))
    return support >= 0.6


def supporting(memory: Memory, batch: Batch) -> list[int]:
    """The batch's observations that state a memory, best first: provenance points at the lines a
    fact came from, not at the whole episode around them."""
    words = set(terms(memory.text()))
    support = {o.id: len(words & set(terms(o.text))) for o in batch.observations}
    best = max(support.values(), default=0)
    if best == 0:
        return list(batch.ids)
    keep = [i for i in support if support[i] >= max(1, best // 2)]
    return sorted(keep, key=lambda i: -support[i])


def text_of(batch: Batch) -> str:
    """The text seen, as seen (for shapes: contacts, steps, documents)."""
    return "\n".join(o.text for o in batch.observations)


def evidence_of(batch: Batch, about: str | None = None) -> str:
    """What a memory may rest on: the text seen, its relative dates resolved, and the day each
    line was seen (a fact may say when it happened). A fact `about` someone who speaks in the
    batch rests on their own lines and the lines that name them: a small model otherwise gives
    one speaker's "I am a counsellor" to the other (seen with Qwen2.5-0.5B on LoCoMo)."""
    lines = batch.observations
    if about:
        key = about.casefold()
        speakers = {(speaker_tag(o.text) or "").casefold() for o in lines} - {""}
        if key in speakers:
            lines = tuple(o for o in lines if (speaker_tag(o.text) or "").casefold() == key
                          or key in o.text[len(speaker_tag(o.text) or ""):].casefold())
    return "\n".join(f"{day(o.time.astimezone())} {annotate(o.text, o.time.astimezone())}" for o in lines)


def subject_of(memory: Memory) -> str | None:
    """Who a fact is about, when it is about someone by name (its first word: "Caroline")."""
    if isinstance(memory, SemanticFact) and memory.name.split():
        return memory.name.split()[0].strip(".,:;'\"")
    return None


def _prompt_line(memory: Memory) -> str:
    """How an existing item is shown to the model; high-sensitivity values never are."""
    if isinstance(memory, VaultEntry) and memory.sensitivity == "high":
        return f"{memory.caption}: (hidden)"
    return " ".join(memory.headline().split())[:200]


__all__ = ["Batch", "BatchResult", "MemoryManagers", "ProcessReport", "make_batches"]
