"""Runs the LoCoMo evaluation through the normal pipeline, in fresh temporary stores."""

from __future__ import annotations

import json
import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.errors import AppError
from app.paths import Paths
from app.services import Engram
from memory import MemoryStore
from memory.evaluation import CATEGORIES, Scores, answer_f1, evidence_recall, parse_sample


@dataclass
class EvalReport:
    file: str
    conversations: int
    questions: int
    raw_only: bool
    scores: dict[str, dict[str, float]]
    ingest_seconds: float
    memories_created: dict[str, int] = field(default_factory=dict)
    model_calls: int = 0
    failed_batches: int = 0
    evidence_turns: int = 0
    evidence_in_memories: int = 0  # evidence turns that are in some memory's provenance
    by_conversation: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # id -> scores

    def table(self) -> str:
        cols = [*CATEGORIES.values(), "overall"]
        rows = list(self.scores.items()) + [  # each conversation apart: a change must hold on each
            (f"{sample} {name}", row) for sample, scores in self.by_conversation.items()
            for name, row in scores.items() if name.startswith("recall@")]
        width = max([12, *(len(name) + 1 for name, _ in rows)])
        lines = [f"LoCoMo {self.file}: {self.conversations} conversations, {self.questions} questions"
                 f" ({'raw log only' if self.raw_only else 'raw log + memories'})",
                 f"{'':<{width}}" + "".join(f"{c:>13}" for c in cols)]
        for name, row in rows:
            lines.append(f"{name:<{width}}" + "".join(f"{row.get(c, 0.0):>13.1f}" for c in cols))
        lines.append(f"ingestion: {self.ingest_seconds:.0f} s, {self.model_calls} model calls, "
                     f"{self.failed_batches} batches kept raw; memories: "
                     + (", ".join(f"{k} {n}" for k, n in sorted(self.memories_created.items())) or "none"))
        if not self.raw_only:
            share = 100.0 * self.evidence_in_memories / max(1, self.evidence_turns)
            lines.append(f"evidence turns in some memory's provenance: {self.evidence_in_memories} of "
                         f"{self.evidence_turns} ({share:.1f}%)")
        return "\n".join(lines)


def run_locomo(file: Path, cutoffs: list[int], *, raw_only: bool = False, answers: bool = True,
               limit: int | None = None, progress: Callable[[str], None] | None = None,
               model=None) -> EvalReport:
    try:
        samples = json.loads(Path(file).read_text())
    except (OSError, ValueError) as exc:
        raise AppError(f"cannot read LoCoMo file {file}: {exc}") from None
    conversations = [parse_sample(s) for s in samples[:limit]]
    scores = Scores()
    ingest = 0.0
    report = EvalReport(file=Path(file).name, conversations=len(conversations),
                        questions=sum(len(c.questions) for c in conversations), raw_only=raw_only,
                        scores={}, ingest_seconds=0.0)
    with tempfile.TemporaryDirectory(prefix="engram-eval-") as tmp:
        for n, conv in enumerate(conversations):
            paths = Paths(Path(tmp) / f"c{n}")
            paths.ensure()
            key = secrets.token_bytes(32)
            engram = Engram(paths, MemoryStore.create(paths.database, key), key)
            if model is not None:
                engram.set_model(model)
            with engram:
                start = time.perf_counter()
                for number, (_, turns) in enumerate(conv.sessions, start=1):
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
                ingest += time.perf_counter() - start
                source_ids = {o.id: o.source_id for o in engram.store.observations()}
                remembered = {source_ids.get(i) for m in engram.store.memories() for i in m.sources}
                evidence = {e for q in conv.questions for e in q.evidence}
                report.evidence_turns += len(evidence)
                report.evidence_in_memories += len(evidence & remembered)
                own = Scores()
                for q in conv.questions:
                    hits = engram.search(q.text, max(cutoffs), now=conv.last_time)
                    for k in cutoffs:
                        value = evidence_recall(hits, q.evidence, k, source_ids)
                        scores.add_recall(k, q.category, value)
                        own.add_recall(k, q.category, value)
                    if answers:
                        reply = engram.ask(q.text)
                        scores.add_f1(q.category, answer_f1(reply.text, q.answer, q.category))
                report.by_conversation[conv.sample_id] = own.summary()
            if progress:
                progress(f"{conv.sample_id}: {len(conv.questions)} questions done")
    report.scores = scores.summary()
    report.ingest_seconds = ingest
    return report
