"""The memory managers (after MIRIX, built for small local models).

Code orchestrates, the model only fills small grammar-constrained forms. Code routes a batch of
observations to the memory types it touches (every batch is an event; facts, values, steps and
documents by what its text holds). The event, value, procedure and document managers each get the
batch and, but for events, its most similar known items as short numbers; each item they propose
says which known one it is the same as, if any. Their prompts start with the same system text and
the same observations, so llama.cpp evaluates that prefix once a batch. The fact manager gets the
batch's statements (memory.statements), numbered, and rewrites each as a fact or leaves it out;
whether a fact repeats or changes a known one is asked of the model in one word when the two are
close. Every item is checked against what was seen (`grounded`) before it is kept. Replies are
validated; an invalid one is retried once, then the batch stays in the raw log marked for a later
pass. A batch's operations, its provenance, its history rows and its "done" mark commit together,
so a crash and re-run never duplicates memories.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import cached_property

import numpy as np

from assets import read_text
from memory.dialogue import speaker_tag, voices
from memory.embed import Embedder
from memory.episodes import segment
from memory.episodes import summary as episode_summary
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
from memory.statements import MAX_STATEMENTS, Statement, statements
from memory.store import MemoryStore
from memory.terms import Vocabulary, terms

BATCH_MAX_OBSERVATIONS = 12
BATCH_MAX_CHARS = 2400
BATCH_IDLE_GAP = timedelta(minutes=10)
CANDIDATES = 5
DUPLICATE_COSINE = 0.9  # MiniLM: a restatement ("Caroline wants to be a counsellor" / "... to become ...")
RELATED_COSINE = 0.75  # MiniLM: above this two facts about one subject may be one fact, said again or changed
CORE_LIMIT = 1200
_NOUNS = {MemoryType.EPISODIC: "events", MemoryType.SEMANTIC: "facts", MemoryType.PROCEDURAL: "procedures",
          MemoryType.RESOURCE: "documents", MemoryType.VAULT: "values"}
# A fact's subject that is the user themself ("I" alone is not: in a page or a code comment it is
# whoever wrote it; the 1.5B put "I am validating the invoices payload" into the profile).
_THE_USER = frozenset({"the user", "user"})
_ARTICLES = frozenset({"the", "a", "an"})
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

    @cached_property
    def statements(self) -> list[Statement]:
        """All the batch's statements (memory.statements), found once for routing, the fact
        manager and the floor's summary."""
        return statements(self.observations, limit=10_000)

    @cached_property
    def voices(self) -> set[str]:
        """The people speaking in the batch (memory.dialogue.voices)."""
        return voices([o.text for o in self.observations])

    def render(self, budget: int = BATCH_MAX_CHARS) -> str:
        """The batch as compact text for a prompt, each observation with its time and app. Lines a
        window already showed earlier in the batch are left out (a window seen again repeats most
        of its text), so the model's tokens go to what is new."""
        lines, used = [], 0
        per_obs = max(200, budget // max(1, len(self.observations)))
        shown: dict[tuple[str, str], set[str]] = {}
        speakers = self.voices
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
class FactPlan:
    """A fact the fact manager will write: what it is, the observations that state it, and the
    known fact it repeats or changes (relation "same" / "changed"), or none ("new")."""

    fact: SemanticFact
    sources: list[int]
    target: Memory | None = None
    relation: str = "new"


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
                         for name in [*(kind.value for kind in _NOUNS), "semantic_page", "fact_change"]}
        self._prompts = {name: read_text(f"prompts/{name}.txt")
                         for name in [*self._schemas, "managers", "core_rewrite"]}

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
        plans, facts, failure = [], [], None
        try:
            result.types = self.route(batch)
            plans = [(kind, self._propose(kind, batch, text, result)) for kind in result.types
                     if kind != MemoryType.SEMANTIC]
            facts = self._facts(batch, result) if MemoryType.SEMANTIC in result.types else []
        except (InvalidReply, ModelError) as exc:
            plans, facts, failure = [], [], exc  # all of a batch's model work, or none of it
        with self.store.transaction():
            for kind, (items, shown) in plans:
                for item in items:
                    done = self._apply(kind, item, shown, batch)
                    if done:
                        result.operations.append(done)
                        if done.startswith("ADD "):  # later ops of this batch can see it
                            shown.append(self.store.get(done.split()[1]))
            for plan in facts:
                done = self._apply_fact(plan, batch)
                if done:
                    result.operations.append(done)
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

    # -- the model calls -----------------------------------------------------------------------
    def _ask(self, kind: MemoryType, messages: list[Message], result: BatchResult,
             schema: dict | None = None) -> list[dict]:
        """The items of a grammar-constrained reply (validated; one retry), as dicts."""
        schema = schema or self._schemas[kind.value]
        key = schema["required"][0]
        last: Exception | None = None
        for attempt in range(2):
            result.model_calls += 1
            result.retries += attempt
            reply = self.model.complete(messages, schema=schema, max_tokens=700)
            try:
                value = json.loads(reply, strict=False)
                check(value, schema)
                return value[key]
            except (json.JSONDecodeError, InvalidReply) as exc:
                last = exc
        raise InvalidReply(f"{kind.value} manager: invalid reply twice ({last})")

    def route(self, batch: Batch) -> tuple[MemoryType, ...]:
        """The memory types a batch touches, decided by code, not by a model call: every batch is
        an event; a batch with a statement (memory.statements) may state facts; vault values,
        steps and documents have shapes that code recognises. (A routing call cost one model call
        a batch, code overrode four of its six answers, and it rarely sent a conversation to the
        fact manager: 2 facts from 6 LoCoMo sessions with Qwen2.5-Coder-0.5B and 1.5B alike.)"""
        text = text_of(batch)
        chosen = {MemoryType.EPISODIC}
        if batch.statements:
            chosen.add(MemoryType.SEMANTIC)
        if _CONTACT_HINT.search(text):
            chosen.add(MemoryType.VAULT)
        if _STEPS_HINT.search(text):
            chosen.add(MemoryType.PROCEDURAL)
        if _RESOURCE_HINT.search(text) or any(o.url for o in batch.observations):
            chosen.add(MemoryType.RESOURCE)
        return tuple(k for k in MemoryType if k in chosen)

    def _propose(self, kind: MemoryType, batch: Batch, text: str, result: BatchResult):
        """One manager's items for a batch, and the known items it was shown (numbered from 1).
        The prompt starts with the common system text and the observations, and only then lists
        the known items and the task: llama.cpp reuses the evaluated prefix, so a batch is read
        once for all its managers."""
        # Events are not matched against known ones: each batch is its own stretch of time, and
        # shown the day's earlier events the 1.5B wrote one of them again for a later batch.
        shown = [] if kind == MemoryType.EPISODIC else self._candidates(kind, text)
        listed = "\n".join(f"{n}. {_prompt_line(m)}" for n, m in enumerate(shown, start=1))
        known = f"Known {_NOUNS[kind]}:\n{listed or '(none)'}\n\n" if kind != MemoryType.EPISODIC else ""
        user = f"Observations:\n{text}\n\n{known}{self._prompts[kind.value]}"
        items = self._ask(kind, [{"role": "system", "content": self._prompts["managers"]},
                                 {"role": "user", "content": user}], result)
        return items, shown

    def _facts(self, batch: Batch, result: BatchResult) -> list[FactPlan]:
        """The fact manager, up to the writes: the batch's statements (memory.statements),
        numbered, each rewritten by the model as a fact or left empty (MAX_STATEMENTS a call, at
        most two calls a batch; a long page keeps its statements with the most content terms);
        then each kept fact's relation to what is known. Model calls happen here, never inside
        the batch's write transaction."""
        found = batch.statements
        if len(found) > 2 * MAX_STATEMENTS:
            rich = sorted(range(len(found)), key=lambda i: -len(set(terms(found[i].text))))[:2 * MAX_STATEMENTS]
            found = [found[i] for i in sorted(rich)]
        rewritten: list[tuple[Statement, object]] = []
        said = [st for st in found if st.speaker is not None]
        shown = [st for st in found if st.speaker is None]
        # Lines of conversation are rewritten as facts about their speakers (the model writes
        # only the fact); lines of a page name what each fact is about.
        for name, kind_of in (("semantic", said), ("semantic_page", shown)):
            for start in range(0, len(kind_of), MAX_STATEMENTS):
                group = kind_of[start:start + MAX_STATEMENTS]
                lines = "\n".join(st.render(n) for n, st in enumerate(group, start=1))
                schema = json.loads(json.dumps(self._schemas[name]))
                schema["properties"]["facts"].update(minItems=len(group), maxItems=len(group))  # one per line
                user = f"Lines:\n{lines}\n\n{self._prompts[name]}"
                items = self._ask(MemoryType.SEMANTIC, [{"role": "system", "content": self._prompts["managers"]},
                                                        {"role": "user", "content": user}], result, schema)
                rewritten += list(zip(group, items, strict=False))
        rewritten.sort(key=lambda pair: found.index(pair[0]))
        plans: list[FactPlan] = []
        for statement, item in rewritten:
            fact = self._fact(statement, item, batch)
            if fact is None:
                continue
            earlier = next((p for p in plans if _normal(p.fact.text()) == _normal(fact.text())), None)
            if earlier is not None:  # said twice in one batch
                earlier.sources.append(statement.observation_id)
                continue
            target, relation = self._related_fact(fact, result)
            plans.append(FactPlan(fact, [statement.observation_id], target, relation))
        return plans

    def _fact(self, statement: Statement, item: dict, batch: Batch) -> SemanticFact | None:
        """The fact a statement was rewritten as, if it is one: about its speaker or someone it
        names (a fact about the user themself comes back named "the user"), grounded in it."""
        if isinstance(item, dict):
            about, fact = (" ".join(str(item.get(k, "")).split()) for k in ("about", "fact"))
            about = "the user" if about.casefold() in _THE_USER else about
        else:
            fact = " ".join(str(item).split())
            about = self._said_about(statement, fact, batch) if fact else None
        if not about or not fact or _REDACTED in fact or _not_a_fact(fact, about, statement):
            return None
        if about == "the user":
            # A profile fact says so ("The user is learning Rust"): the 1.5B labelled a page's own
            # sentence ("Chapter 4: Understanding ownership...") as about the user.
            user = fact.casefold().startswith(("the user", "user ", "the user's", "user's"))
            return SemanticFact(name="the user", summary=fact) if user else None
        said = f"{statement.speaker or ''} {statement.asked} {statement.text}"
        memory = SemanticFact(name=about, summary=fact)
        seen = [o for o in batch.observations if o.id == statement.observation_id]
        evidence = " ".join([*(day(o.time.astimezone()) for o in seen), said])  # a fact may say when
        return memory if grounded(memory, evidence) else None

    @staticmethod
    def _said_about(statement: Statement, fact: str, batch: Batch) -> str | None:
        """Whom a fact from a line of conversation is about: its speaker when the fact names
        them; none when it names only another voice of the conversation (the person the line is
        said to: "Thanks, Caroline! Painting's a fun way to relax" is Melanie's, and the 1.5B
        gave it to Caroline); else what the fact starts with ("The Apollo launch slipped")."""
        named = [re.sub(r"['’]s$", "", w.strip(".,:;!?\"'()")) for w in fact.split()]
        folded = {w.casefold() for w in named}
        if statement.speaker.split()[0].casefold() in folded:
            return statement.speaker
        others = {v.split()[0].casefold() for v in batch.voices}
        if others & folded:
            return None
        lead = [w for w in named[:4] if w[:1].isupper() and w.casefold() not in _ARTICLES]
        return " ".join(lead[:2]) or None

    def _apply_fact(self, plan: FactPlan, batch: Batch) -> str | None:
        """Write a planned fact: to the core profile when it is about the user; a repeat adds
        its sources to the known fact, a change updates it (with history), else it is added."""
        cause = f"batch {batch.key}"
        if plan.fact.name == "the user":
            return self._apply_core(plan.fact.summary, batch)
        if plan.relation == "same":
            self.store.update(plan.target.id, plan.target, sources=plan.sources, cause=cause + ": said again")
            return None
        if plan.relation == "changed":
            merged = self._merge(plan.target, plan.fact)
            self.store.update(plan.target.id, merged, sources=plan.sources, cause=cause + ": changed")
            return f"UPDATE {plan.target.id}"
        return f"ADD {self.store.add(plan.fact, sources=plan.sources, cause=cause).id}"

    def _related_fact(self, fact: SemanticFact, result: BatchResult) -> tuple[Memory | None, str]:
        """The known fact about the same subject closest to `fact`, and how they relate: "same"
        for the same words; for a close one (RELATED_COSINE), "same" or "changed" as the model
        says in a one-word reply; else (None, "new")."""
        known = [m for m in self._candidates(MemoryType.SEMANTIC, fact.summary) if _same_subject(m, fact)]
        if not known:
            return None, "new"
        for m in known:
            if _normal(m.text()) == _normal(fact.text()):
                return m, "same"
        if self.embedder is None:
            return None, "new"
        vectors = self.embedder.embed([fact.summary, *(m.summary for m in known)])
        sims = vectors[1:] @ vectors[0]
        best = int(np.argmax(sims))
        # A vector cannot tell a changed value: "Melanie has two kids" and "... three kids" are
        # 0.975 apart in MiniLM, a new job 0.89. Every close pair is the model's to judge.
        if sims[best] < RELATED_COSINE:
            return None, "new"
        old = known[best]
        question = (f"Known fact: {json.dumps(old.summary, ensure_ascii=False)}\n"
                    f"New fact: {json.dumps(fact.summary, ensure_ascii=False)}\n\n{self._prompts['fact_change']}")
        reply = self._ask_value(question, self._schemas["fact_change"], result)
        return (old, reply) if reply in ("same", "changed") else (None, "new")

    def _ask_value(self, question: str, schema: dict, result: BatchResult) -> str:
        """A one-value reply (an enum), or "" when the model fails: a judgement that cannot be
        had costs a duplicate at worst, never the batch."""
        result.model_calls += 1
        try:
            reply = json.loads(self.model.complete(
                [{"role": "system", "content": self._prompts["managers"]}, {"role": "user", "content": question}],
                schema=schema, max_tokens=20), strict=False)
            return str(reply.get("relation", "")) if isinstance(reply, dict) else ""
        except (json.JSONDecodeError, ModelError):
            return ""

    def _candidates(self, kind: MemoryType, text: str) -> list[Memory]:
        if kind == MemoryType.CORE:
            return self.store.memories(MemoryType.CORE)
        return [m for m, _ in self.store.search_memories(text, CANDIDATES, kinds=[kind])]

    # -- applying operations ------------------------------------------------------------------
    def _apply(self, kind: MemoryType, item: dict, shown: list[Memory], batch: Batch) -> str | None:
        """Store one proposed event, procedure, document or value: an UPDATE (with history) of the
        known item it says it is the same as, or of a near-identical one; else an ADD. Items that
        are empty or not grounded in what was seen are dropped. Returns "ADD id" / "UPDATE id", or None."""
        memory = self._build(kind, item, batch)
        if memory is None:
            return None
        evidence = evidence_of(batch, about=subject_of(memory))
        if not grounded(memory, evidence):
            if not (isinstance(memory, EpisodicEvent) and memory.details):
                return None
            memory = replace(memory, details="")  # embellished details ("from their departments") go
            if not grounded(memory, evidence):
                return None
        number = item.get("same_as", 0)
        target = shown[number - 1] if isinstance(number, int) and 1 <= number <= len(shown) else None
        if target is not None and not _same_subject(target, memory):
            target = None  # a small model points at any listed item; a fact about Gina is not one about Jon
        sources = batch.ids if kind == MemoryType.EPISODIC else supporting(memory, batch)
        if target is None:
            target = self._duplicate_of(memory, shown)
            if target is not None and target.content() == memory.content():
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
        # The window's title says what it was ("Bob Smith", "deploy.sh"); without one, the most
        # central of the batch's statements, not its first line (a chat's "Hey Mel!") nor a
        # "Thanks, Caroline!" whose name recurs in every line.
        by_id = {o.id: o for o in batch.observations}
        said = [replace(by_id[st.observation_id], text=st.text) for st in batch.statements[:50]]
        summary = " ".join((first.title or episode_summary(said or batch.observations, 200) or first.app
                            or "activity").split())[:200]
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
                if not clean["summary"]:
                    return None
                return EpisodicEvent(
                    occurred_at=first.time, ended_at=last.time if last.time != first.time else None,
                    summary=clean["summary"], details=clean.get("details", ""), app=first.app,
                    actor="user", event_type="activity")
            if kind == MemoryType.PROCEDURAL:
                steps = tuple(s.strip() for s in op.get("steps", []) if s.strip())
                return ProceduralEntry(summary=clean["summary"], steps=steps) if clean["summary"] and steps else None
            if kind == MemoryType.RESOURCE:
                if not clean["title"]:
                    return None
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
        """A known item this new one repeats: the same text, a vault entry with the same caption,
        or a near-identical vector about the same subject. A shared name alone is not a repeat:
        a person has many facts ("Caroline is a counsellor", "Caroline moved from Sweden"), and
        merging every fact about one name into one left 2 facts from 6 LoCoMo sessions."""
        for m in shown:
            if type(m) is type(memory) and _normal(m.text()) == _normal(memory.text()):
                return m
        if isinstance(memory, VaultEntry):
            for m in shown:
                if isinstance(m, VaultEntry) and m.caption.lower() == memory.caption.lower():
                    return m
        same = [m for m in shown if _same_subject(m, memory)]
        if self.embedder is None or not same:
            return None
        vectors = self.embedder.embed([memory.text(), *(m.text() for m in same)])
        sims = vectors[1:] @ vectors[0]
        best = int(np.argmax(sims))
        return same[best] if sims[best] >= DUPLICATE_COSINE else None

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

    def _apply_core(self, sentence: str, batch: Batch) -> str | None:
        """A fact about the user themself joins the core profile (block "human"), which is
        rewritten shorter by the model when it nears its limit."""
        sentence = " ".join(sentence.split())
        if not sentence or _REDACTED in sentence or not grounded(CoreBlock(label="human", value=sentence),
                                                                evidence_of(batch)):
            return None
        existing = [m for m in self.store.memories(MemoryType.CORE) if isinstance(m, CoreBlock)
                    and m.label == "human"]
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
            kept = kept.rstrip(".!?。！？ ")
            if len(kept) >= 30 and kept in flat:
                flat = flat.replace(kept, " ", 1).strip(" .!?。！？")
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
    seen = Vocabulary(source)
    claimed = set(words)
    return sum(seen.covers(w) for w in claimed) / len(claimed) >= 0.6


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
    """What a memory may rest on: the text seen, its relative dates resolved, and the day, app
    and window each line was seen in (a memory may say when and where). A fact `about` someone who speaks in the
    batch rests on their own lines and the lines that name them: a small model otherwise gives
    one speaker's "I am a counsellor" to the other (seen with Qwen2.5-0.5B on LoCoMo)."""
    lines = batch.observations
    if about:
        key = about.casefold()
        speakers = {(speaker_tag(o.text) or "").casefold() for o in lines} - {""}
        if key in speakers:
            lines = tuple(o for o in lines if (speaker_tag(o.text) or "").casefold() == key
                          or key in o.text[len(speaker_tag(o.text) or ""):].casefold())
    return "\n".join(f"{day(o.time.astimezone())} {o.app} {o.title} {annotate(o.text, o.time.astimezone())}"
                     for o in lines)


def _same_subject(a: Memory, b: Memory) -> bool:
    """Whether two items of one type may be one item: facts about the same name; others always."""
    if type(a) is not type(b):
        return False
    if isinstance(a, SemanticFact) and isinstance(b, SemanticFact):
        return _normal(a.name) == _normal(b.name)
    return True


def _normal(text: str) -> str:
    return " ".join(terms(text))


def _not_a_fact(fact: str, about: str, statement: Statement) -> bool:
    """Whether `fact` is a line of conversation again rather than a fact drawn from one: in a line's
    form, "Name: ..." ("Mara: the deploy is paused until Monday", "Gina: I'm a dancer, I love to
    explore new dance moves"), or in its speaker's first person ("I went to a dance fair
    yesterday"), as the 1.5B gave some back. The line is in the raw log already, where search
    finds it; a copy only takes a second place among the hits."""
    prefix = _SPEAKER_PREFIX.match(fact)
    if prefix and prefix.group(1).strip().casefold() in {about.casefold(), (statement.speaker or "").casefold()}:
        return True
    return statement.speaker is not None and _FIRST_PERSON.match(fact) is not None


_FIRST_PERSON = re.compile(r"(?:I|I'm|I've|I'd|I'll|My|We|We're|Our)\b")
_SPEAKER_PREFIX = re.compile(r"^([^:\n]{1,40}):\s*")


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
