"""LoCoMo evaluation: loading its conversations as observations, evidence recall@k, answer F1.

Format: ../shared/data/locomo/README.md (snap-research/LoCoMo, CC BY-NC 4.0).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from memory.models import NewObservation, SearchHit

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}


@dataclass(frozen=True)
class Question:
    text: str
    answer: str
    evidence: tuple[str, ...]
    category: int


@dataclass(frozen=True)
class Conversation:
    sample_id: str
    sessions: tuple[tuple[datetime, tuple[NewObservation, ...]], ...]
    questions: tuple[Question, ...]

    @property
    def last_time(self) -> datetime:
        return self.sessions[-1][0]


def parse_sample(sample: dict) -> Conversation:
    conv = sample["conversation"]
    sessions = []
    numbers = sorted(int(k.split("_")[1]) for k in conv if re.fullmatch(r"session_\d+", k))
    for n in numbers:
        when = datetime.strptime(conv[f"session_{n}_date_time"], "%I:%M %p on %d %B, %Y").astimezone()
        turns = []
        for turn in conv[f"session_{n}"]:
            text = f"{turn['speaker']}: {turn['text']}"
            if turn.get("blip_caption"):
                text += f" [shares an image: {turn['blip_caption']}]"
            turns.append(NewObservation(time=when, text=text, app="LoCoMo", title="",
                                        source_kind="eval", source_id=_dia_id(turn["dia_id"])))
        sessions.append((when, tuple(turns)))
    questions = []
    for qa in sample["qa"]:
        if qa.get("category") not in CATEGORIES:
            continue
        evidence = tuple(_dia_id(e) for raw in qa.get("evidence", [])
                         for e in ([m[0] for m in _DIA_ID.finditer(raw)] or re.split(r"[;,\s]+", raw)) if e)
        answer = str(qa.get("answer", ""))
        if qa["category"] == 3:
            answer = answer.split(";")[0]
        questions.append(Question(qa["question"], answer, evidence, qa["category"]))
    return Conversation(sample["sample_id"], tuple(sessions), tuple(questions))


_DIA_ID = re.compile(r"[Dd]\s*(\d+)\s*:\s*(\d+)")


def _dia_id(raw: str) -> str:
    """A turn's id as one form: "D10:05", "d10:5" and "D10:5" are one turn (hand-written evidence
    lists vary where the turns' own ids do not)."""
    m = _DIA_ID.fullmatch(raw.strip())
    return f"D{int(m[1])}:{int(m[2])}" if m else raw.strip()


def evidence_recall(hits: list[SearchHit], evidence: tuple[str, ...], k: int, source_ids: dict[int, str]) -> float:
    """Share of the evidence dia_ids among the observations of the top-k results; a memory hit
    stands for the observations in its provenance, in order, and each counts toward k."""
    if not evidence:
        return 0.0
    found: list[str] = []
    for hit in hits:
        for obs_id in hit.sources:
            sid = source_ids.get(obs_id)
            if sid is not None and sid not in found:
                found.append(sid)
            if len(found) >= k:
                break
        if len(found) >= k:
            break
    return len(set(evidence) & set(found)) / len(set(evidence))


def _normalise(text: str) -> list[str]:
    """LoCoMo's official answer normalisation: lower case, no punctuation, no articles."""
    text = text.lower().replace(",", " ")
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the|and)\b", " ", text)
    return text.split()


def token_f1(prediction: str, gold: str) -> float:
    pred, ref = _normalise(prediction), _normalise(gold)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def answer_f1(prediction: str, gold: str, category: int) -> float:
    """Multi-hop answers list several items: the mean over gold items of the best F1 to a
    predicted item (the official scoring of category 1)."""
    if category != 1:
        return token_f1(prediction, gold)
    golds = [g for g in gold.split(",") if g.strip()]
    preds = [p for p in prediction.split(",") if p.strip()] or [prediction]
    return sum(max(token_f1(p, g) for p in preds) for g in golds) / max(1, len(golds))


@dataclass
class Scores:
    """Per-category means of recall@k and F1."""

    recall: dict[int, dict[int, list[float]]] = field(default_factory=dict)  # k -> cat -> values
    f1: dict[int, list[float]] = field(default_factory=dict)

    def add_recall(self, k: int, category: int, value: float) -> None:
        self.recall.setdefault(k, {}).setdefault(category, []).append(value)

    def add_f1(self, category: int, value: float) -> None:
        self.f1.setdefault(category, []).append(value)

    @staticmethod
    def _mean(values: list[float]) -> float:
        return 100.0 * sum(values) / len(values) if values else 0.0

    def summary(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for k, by_cat in sorted(self.recall.items()):
            row = {CATEGORIES[c]: round(self._mean(v), 1) for c, v in sorted(by_cat.items())}
            row["overall"] = round(self._mean([x for v in by_cat.values() for x in v]), 1)
            out[f"recall@{k}"] = row
        if self.f1:
            row = {CATEGORIES[c]: round(self._mean(v), 1) for c, v in sorted(self.f1.items())}
            row["overall"] = round(self._mean([x for v in self.f1.values() for x in v]), 1)
            out["answer_f1"] = row
        return out
