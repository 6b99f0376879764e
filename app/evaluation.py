"""Runs the LoCoMo evaluation through the normal pipeline, in fresh temporary stores."""

from __future__ import annotations

import hashlib
import json
import os
import random
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from app.errors import AppError
from app.paths import Paths
from app.services import Engram
from memory import MemoryStore, SemanticFact
from memory.evaluation import CATEGORIES, Conversation, Scores, answer_f1, evidence_recall, parse_sample
from memory.managers import DUPLICATE_COSINE, Batch, evidence_of, grounded, subject_of
from memory.terms import terms


@dataclass
class EvalReport:
    file: str
    conversations: int
    questions: int
    raw_only: bool
    scores: dict[str, dict[str, float]]
    ingest_seconds: float
    reused: int = 0  # conversations whose ingested store was reused from --store-dir
    memories_created: dict[str, int] = field(default_factory=dict)
    model_calls: int = 0
    failed_batches: int = 0
    evidence_turns: int = 0
    evidence_in_memories: int = 0  # evidence turns that are in some memory's provenance
    answered: int = 0  # questions answered (all, or the --questions sample)
    memories_kept: dict[str, int] = field(default_factory=dict)  # per type, at the end
    memories_grounded: int = 0  # of the model-made (non-episodic) ones, grounded in their sources
    memories_checked: int = 0
    duplicate_facts: int = 0  # semantic facts that repeat another (see repeated_facts)
    model: str = ""
    answer_seconds: float = 0.0
    answers_given: list[dict] = field(default_factory=list)  # question, gold, answer, category, F1
    by_conversation: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # id -> scores

    def table(self) -> str:
        cols = [*CATEGORIES.values(), "overall"]
        rows = list(self.scores.items()) + [  # each conversation apart: a change must hold on each
            (f"{sample} {name}", row) for sample, scores in self.by_conversation.items()
            for name, row in scores.items() if name.startswith(("recall@", "answer_f1"))]
        width = max([12, *(len(name) + 1 for name, _ in rows)])
        lines = [f"LoCoMo {self.file}: {self.conversations} conversations, {self.questions} questions"
                 f" ({'raw log only' if self.raw_only else 'raw log + memories'})",
                 f"{'':<{width}}" + "".join(f"{c:>13}" for c in cols)]
        for name, row in rows:
            lines.append(f"{name:<{width}}" + "".join(f"{row.get(c, 0.0):>13.1f}" for c in cols))
        if "answer_f1" in self.scores:
            lines.append(f"answers: {self.answered} questions with {self.model or 'the active model'}, "
                         f"{self.answer_seconds / max(1, self.answered):.1f} s each")
        lines.append(f"ingestion: {self.ingest_seconds:.0f} s"
                     + (f" ({self.reused} stores reused, their ingestion not counted)" if self.reused else "")
                     + f", {self.model_calls} model calls, "
                     f"{self.failed_batches} batches kept raw; memories kept: "
                     + (", ".join(f"{k} {n}" for k, n in sorted(self.memories_kept.items())) or "none"))
        if not self.raw_only:
            share = 100.0 * self.evidence_in_memories / max(1, self.evidence_turns)
            lines.append(f"evidence turns in some memory's provenance: {self.evidence_in_memories} of "
                         f"{self.evidence_turns} ({share:.1f}%)")
            grounded = 100.0 * self.memories_grounded / max(1, self.memories_checked)
            lines.append(f"model-made memories grounded in their sources: {self.memories_grounded} of "
                         f"{self.memories_checked} ({grounded:.1f}%); facts repeating another fact: "
                         f"{self.duplicate_facts}")
        return "\n".join(lines)


def run_locomo(file: Path, cutoffs: list[int], *, raw_only: bool = False, answers: bool = True,
               limit: int | None = None, only: tuple[str, ...] = (), questions: int | None = None,
               seed: int = 0, sessions: int | None = None, progress: Callable[[str], None] | None = None,
               model=None, store_dir: Path | None = None) -> EvalReport:
    """Recall@k of the evidence for every question; answer F1 for all of them, or for `questions`
    sampled with `seed` (the same seed gives the same sample, whatever the model). `sessions`
    keeps each conversation's first N sessions and the questions whose evidence lies in them.

    `store_dir`: keep each conversation's ingested store there, with its key in a file beside it
    (public benchmark data only), and reuse it when the same file, conversation, sessions, mode
    and model come again: ingestion with the memory managers takes about an hour a conversation
    on 2 cores, while a change to search or answers needs only the questions asked again. A store
    made under other settings is rebuilt."""
    try:
        samples = json.loads(Path(file).read_text())
    except (OSError, ValueError) as exc:
        raise AppError(f"cannot read LoCoMo file {file}: {exc}") from None
    samples = [s for s in samples if not only or s.get("sample_id") in only]
    if not samples:
        raise AppError(f"no conversation of {file} is called {', '.join(only)}")
    conversations = [_first_sessions(parse_sample(s), sessions) for s in samples[:limit]]
    every = [(c.sample_id, n) for c in conversations for n in range(len(c.questions))]
    to_answer = set(every if questions is None else random.Random(seed).sample(every, min(questions, len(every))))
    scores = Scores()
    ingest = 0.0
    report = EvalReport(file=Path(file).name, conversations=len(conversations),
                        questions=sum(len(c.questions) for c in conversations), raw_only=raw_only,
                        scores={}, ingest_seconds=0.0)
    digest = hashlib.sha256(Path(file).read_bytes()).hexdigest()
    with tempfile.TemporaryDirectory(prefix="engram-eval-") as tmp:
        made_with = {} if raw_only else {"model": _model_name(model, Paths(Path(tmp)))}
        for n, conv in enumerate(conversations):
            settings = {"file": digest, "conversation": conv.sample_id, "sessions": sessions,
                        "raw_only": raw_only, **made_with}
            engram, fresh = _open_store(Path(tmp) / f"c{n}", store_dir, settings)
            report.reused += not fresh
            if model is not None:
                engram.set_model(model)
            with engram:
                start = time.perf_counter()
                for number, (_, turns) in enumerate(conv.sessions if fresh else (), start=1):
                    engram.store.add_observations(list(turns))
                    if not raw_only:
                        if progress:
                            progress(f"{conv.sample_id}: session {number} of {len(conv.sessions)}, "
                                     f"{time.perf_counter() - start:.0f} s")
                        result = engram.process_pending()
                        report.model_calls += result.model_calls
                        report.failed_batches += result.failed
                        for kind, count in result.created.items():
                            report.memories_created[kind] = report.memories_created.get(kind, 0) + count
                engram.prepare_index()
                if fresh:
                    ingest += time.perf_counter() - start
                    _mark_complete(engram, store_dir, settings)
                observations = engram.store.observations()
                source_ids = {o.id: o.source_id for o in observations}
                _count_memories(report, engram.store.memories(), {o.id: o for o in observations}, engram.embedder)
                remembered = {source_ids.get(i) for m in engram.store.memories() for i in m.sources}
                evidence = {e for q in conv.questions for e in q.evidence}
                report.evidence_turns += len(evidence)
                report.evidence_in_memories += len(evidence & remembered)
                own = Scores()
                for number, q in enumerate(conv.questions):
                    hits = engram.search(q.text, max(cutoffs), now=conv.last_time)
                    for k in cutoffs:
                        value = evidence_recall(hits, q.evidence, k, source_ids)
                        scores.add_recall(k, q.category, value)
                        own.add_recall(k, q.category, value)
                    if answers and (conv.sample_id, number) in to_answer:
                        asked = time.perf_counter()
                        reply = engram.ask(q.text, now=conv.last_time)
                        report.answer_seconds += time.perf_counter() - asked
                        report.answered += 1
                        report.model = report.model or getattr(engram.model, "name", "")
                        f1 = answer_f1(reply.text, q.answer, q.category)
                        scores.add_f1(q.category, f1)
                        own.add_f1(q.category, f1)
                        report.answers_given.append({"conversation": conv.sample_id, "question": q.text,
                                                     "gold": q.answer, "answer": reply.text,
                                                     "category": CATEGORIES[q.category], "f1": round(f1, 3)})
                report.by_conversation[conv.sample_id] = own.summary()
            if progress:
                progress(f"{conv.sample_id}: {len(conv.questions)} questions done")
    report.scores = scores.summary()
    report.ingest_seconds = ingest
    return report


def _model_name(model, paths: Paths) -> str:
    """The model the memories are made with: the one given, else the one an Engram there picks."""
    if model is not None:
        return getattr(model, "name", type(model).__name__)
    if os.environ.get("ENGRAM_MODEL"):
        return Path(os.environ["ENGRAM_MODEL"]).name
    from app import models

    path = models.default_choice(paths, models.Catalog.load()).path
    return path.name if path is not None else "none"


def _open_store(tmp: Path, store_dir: Path | None, settings: dict) -> tuple[Engram, bool]:
    """(an Engram over the conversation's store, whether it is new and must be filled)."""
    if store_dir is None:
        home = tmp
    else:
        home = Path(store_dir) / "-".join(str(settings[k]) for k in ("conversation", "sessions", "raw_only"))
        manifest = home / "eval-settings.json"
        try:
            if json.loads(manifest.read_text()) == settings:
                key = bytes.fromhex((home / "eval-key").read_text().strip())
                paths = Paths(home)
                return Engram(paths, MemoryStore.open(paths.database, key), key), False
        except (OSError, ValueError):
            pass  # no finished store made under these settings: make it again
        shutil.rmtree(home, ignore_errors=True)
    paths = Paths(home)
    paths.ensure()
    key = secrets.token_bytes(32)
    if store_dir is not None:
        (home / "eval-key").write_text(key.hex())
        (home / "eval-key").chmod(0o600)
    return Engram(paths, MemoryStore.create(paths.database, key), key), True


def _mark_complete(engram: Engram, store_dir: Path | None, settings: dict) -> None:
    """A store is reused only once its ingestion finished (an interrupted one is made again)."""
    if store_dir is not None:
        (engram.paths.root / "eval-settings.json").write_text(json.dumps(settings))


def _first_sessions(conv: Conversation, n: int | None) -> Conversation:
    if n is None or n >= len(conv.sessions):
        return conv
    kept = {f"D{i}" for i in range(1, n + 1)}
    questions = tuple(q for q in conv.questions if q.evidence and all(e.split(":")[0] in kept for e in q.evidence))
    return replace(conv, sessions=conv.sessions[:n], questions=questions)


def _count_memories(report: EvalReport, memories: list, observations: dict, embedder) -> None:
    """Memories per type; how many model-made ones are grounded in their own sources; facts that
    repeat another fact (about the same subject, the same text or a near-identical vector: a
    person has many facts, so a shared name alone is no repeat)."""
    facts: list[SemanticFact] = []
    for m in memories:
        kind = m.type.value
        report.memories_kept[kind] = report.memories_kept.get(kind, 0) + 1
        if isinstance(m, SemanticFact):
            facts.append(m)
        if kind in ("episodic", "core"):
            continue  # episodes cite their whole batch; the profile accumulates
        sources = [observations[i] for i in m.sources if i in observations]
        report.memories_checked += 1
        evidence = evidence_of(Batch(tuple(sources)), about=subject_of(m))
        report.memories_grounded += bool(sources) and grounded(m, evidence)
    report.duplicate_facts = len(repeated_facts(facts, embedder))


def repeated_facts(facts: list[SemanticFact], embedder) -> list[tuple[SemanticFact, SemanticFact]]:
    """Pairs (a fact, an earlier fact it repeats): same subject, and the same words or a vector
    at DUPLICATE_COSINE or more."""
    if not facts:
        return []
    vectors = embedder.embed([f.summary for f in facts]) if embedder is not None else None
    pairs = []
    for i, fact in enumerate(facts):
        for j in range(i):
            same_words = set(terms(fact.summary)) == set(terms(facts[j].summary))
            near = vectors is not None and float(vectors[i] @ vectors[j]) >= DUPLICATE_COSINE
            if fact.name.casefold() == facts[j].name.casefold() and (same_words or near):
                pairs.append((fact, facts[j]))
                break
    return pairs
