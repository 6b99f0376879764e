"""Hybrid retrieval over both layers (raw log and the six memory types).

Full-text BM25 (in the encrypted database: the word index, and the gram index of memory.grams for
unsegmented scripts and symbols), vector similarity (the index: ids and vectors only) and time are
fused with reciprocal-rank fusion. Active retrieval: the question is reduced to its topic words
(stop words and question words dropped) before the full-text search, at no model cost.

Time phrases (memory.timephrase) rank and never drop: what is asked about may have been seen or
told about after it happened. The time layer holds what matches the other words inside the span;
a certain phrase also puts everything inside its span before the rest. Only explicit filters
(Filters.since/until) drop. The old filter dropped the right turn whenever a LoCoMo question's
month was told about in a later session, and depended on "now": on the dev split, asking a year
later lost 8 points of temporal recall@10 on conv-26; now "now" changes nothing.

People are handled apart from content. A small sentence embedding is dominated by names ("Alice:
..." lines all look alike to it), so speaker tags are left out of the embedded text and the names
of known speakers are taken out of the query's content; a named speaker instead ranks their own
lines up in a layer of its own. Measured on LoCoMo (dev split): recall@10 58.8 -> 72.0. A question
that asks when ("When did Jon lose his job?") likewise ranks up the candidates that say when
(memory.timephrase.states_time): the line that can answer it names a day ("I lost my job last
week"), where the others about the same thing seldom do.

Once a store holds text in another script or language (memory.language), every item also has a
vector of the multilingual embedder, and the multilingual layer reads whatever MiniLM cannot: an
English question is compared with the items in other scripts and languages (it finds a Chinese or
German note), a question in another script or language with every item (a Russian or a German one
finds an English page). A store of English text has none, and its search is what it was.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from memory import timephrase
from memory.dialogue import speaker_tag
from memory.embed import Embedder
from memory.language import language_of, needs_multilingual, stop_words, sure_language
from memory.models import Memory, MemoryType, Observation, SearchHit, utc
from memory.store import MemoryStore, clean_text
from memory.vectors import ExactIndex

RRF_K = 60
# Below MIN_COSINE a vector neighbour is unrelated; under NEAR_COSINE it is weak. A question and
# the line that answers it are far apart for MiniLM: on LoCoMo dev, 35% of the lines a question
# rests on sit under 0.3 ("Which cities has Jon visited?" to "Took a short trip last week to
# Rome": 0.17), 14% under 0.15, and nonsense ("zebra xylophone quasar") reaches 0.3 too, so a
# floor of 0.3 cut answers more than noise. A weak neighbour counts at WEAK_SHARE of its rank's
# weight (the share the speaker and time layers have), so a weak first one ("Who needs the
# keys?" to an English chat line, 0.2) does not tie the German mail the multilingual layer puts
# first. Against a floor of 0.3, recall@10 conv-26 78.5 -> 79.6, conv-30 80.0 -> 81.4 (weak ones
# at full weight: 79.3 / 81.4; no floor: the same). A list not read in rank order (the Search
# page groups its hits by day) shows only near neighbours: there a weak one would sit above the
# best hit. USE-multilingual puts unrelated pairs near 0.0-0.1 and a paraphrase in another
# script can sit at 0.2 ("Как я справляюсь с напряжением?" to its note about running against
# stress: 0.23).
MIN_COSINE = 0.15
NEAR_COSINE = 0.3
WEAK_SHARE = 0.5
MULTILINGUAL_MIN_COSINE = 0.15
SPEAKER_WEIGHT = 0.5  # the named speaker's layer counts half as much as a content layer
# A question that asks when: the candidates that say when, at the speaker layer's weight (both
# reorder what the content layers found and find nothing themselves). 1.0 was measured too: it
# lifted conv-30 more and cost conv-26 5 points of temporal recall@5.
TIME_WEIGHT = 0.5
VECTOR_TEXT = "v3"  # bump when the text embedded for an item changes: stored vectors are redone
# Bump when which items need the multilingual embedder changes (memory.language): its vectors and
# marks are redone ("languages": German, French... in Latin letters count, not only other scripts).
MULTILINGUAL_TEXT = "v3-languages"
_WORD = re.compile(r"\w+", re.UNICODE)
_STOP = frozenset(
    "a an and are as at be been but by can could did do does for from had has have he her hers him his "
    "how i if in into is it its me my of on or our she so than that the their them then there these they "
    "this those to us was we were what when where which who whom whose why will with would you your "
    "about any some ever tell please know remember".split())
_ORDER = re.compile(
    r"\b(?:(?:just|right|immediately|shortly|directly|soon)\s+)?(?P<rel>before|after|prior to|following|preceding)"
    r"\s+(?P<anchor>[^?.!;]+)", re.IGNORECASE)
NEIGHBOURS = 2  # moments shown on the asked side of an anchor ("just before X")
_VECTOR_NAMES = "vector_models"  # setting: the vector names in use when stale ones were last dropped


def topic(query: str) -> str:
    """The question's content words (active retrieval, without a model call): without question
    and function words, those of its own language too when it is not English (memory.language)."""
    stop = _STOP | stop_words(language_of(query))
    words = [w for w in _WORD.findall(query) if w.lower() not in stop]
    return " ".join(words) or query


def time_range(query: str, now: datetime) -> tuple[datetime | None, datetime | None]:
    """The span of a time phrase in the query ("yesterday", "last Tuesday", "in March"), or Nones."""
    span = timephrase.parse(query, now)
    return (span.since, span.until) if span is not None else (None, None)


def order_anchor(query: str, now: datetime | None = None) -> tuple[str, str] | None:
    """("before" | "after", the anchor's words) when the query asks what came just before or
    after something ("What did I read right after the Bash introduction?"); None otherwise, and
    when the anchor is itself a time ("after March 3": that is a range, not an order)."""
    match = _ORDER.search(query)
    if match is None:
        return None
    anchor = match.group("anchor").strip()
    if not _WORD.search(anchor) or (now is not None and timephrase.parse(anchor, now) is not None):
        return None
    words = topic(anchor)
    if not any(w.lower() not in _STOP for w in _WORD.findall(words)):
        return None
    rel = "before" if match.group("rel").lower() in ("before", "prior to", "preceding") else "after"
    return rel, words


@dataclass(frozen=True)
class Filters:
    kinds: tuple[str, ...] | None = None  # "observation" and/or memory type names
    app: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class Retriever:
    """search(query, k, filters) over observations and memories, fused."""

    def __init__(self, store: MemoryStore, embedder: Embedder | None, index=None,
                 multilingual: Embedder | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.index = index if index is not None else ExactIndex(embedder.dim if embedder else 384)
        self.multilingual = multilingual
        # Multilingual vectors of items in other scripts and languages, and of the English ones: an
        # English question needs only the first (MiniLM reads the rest), at a tenth of the cost
        # where most of the store is English.
        self.multilingual_index = ExactIndex(multilingual.dim) if multilingual is not None else None
        self.english_multilingual_index = ExactIndex(multilingual.dim) if multilingual is not None else None
        self.speakers: frozenset[str] = frozenset()
        self._loaded = False

    @property
    def _vector_model(self) -> str:
        return f"{self.embedder.name}/{VECTOR_TEXT}"

    @property
    def _multilingual_model(self) -> str:
        return f"{self.multilingual.name}/{MULTILINGUAL_TEXT}"

    @property
    def _multilingual_all(self) -> bool:
        """Whether every item has a multilingual vector: any has one (memory.embed)."""
        return bool(len(self.multilingual_index) or len(self.english_multilingual_index))

    @property
    def _script_mark(self) -> str:
        """An empty vector under this name marks an item as written in another script or language
        (so that unlocking does not read every text again to tell)."""
        return f"{self._multilingual_model}/script"

    @property
    def vectors_ready(self) -> bool:
        """Whether the vector layer is loaded; until then search uses full text and time only."""
        return self._loaded

    def refresh_speakers(self) -> None:
        """Learn who speaks in the log: speaker tags that start at least two observations."""
        self.speakers = frozenset(t for t in self.store.leading_tags(2) if speaker_tag(f"{t}: ") == t)

    # -- the vector layer ---------------------------------------------------------------------
    def sync_index(self, batch: int = 512) -> int:
        """Load the stored vectors into the index (the first time), then embed what has no vector
        yet (or changed), store it encrypted and add it; returns how many were embedded."""
        if self.embedder is None:
            return 0
        if not self._loaded:
            self.load_index()
        added, new_observations = 0, False
        while True:
            obs, mems = self.store.unembedded(self._vector_model, batch)
            refs = [f"obs:{o.id}" for o in obs] + [m.id for m in mems]
            if not refs:
                break
            texts = [_vector_text(o) for o in obs] + [m.text() for m in mems]
            vectors = self.embedder.embed(texts).astype(np.float32)
            self.store.put_embeddings(self._vector_model, {
                r: v.tobytes() for r, v in zip(refs, vectors, strict=True)})
            self.index.add(refs, vectors)
            added += len(refs)
            new_observations = new_observations or bool(obs)
        if self.multilingual is not None:
            added += self._sync_multilingual(batch)
        if new_observations:
            self.refresh_speakers()
        return added

    def _sync_multilingual(self, batch: int) -> int:
        """Multilingual vectors: none while every text is English (each item is stored with an
        empty vector, a few bytes, so that it is not offered again); from the first text in
        another script or language on, one for every item, those noted before included, so that a
        question in Russian or German also finds an English page."""
        added = 0
        while True:
            obs, mems = self.store.unembedded(self._multilingual_model, batch)
            items = [(f"obs:{o.id}", _vector_text(o)) for o in obs] + [(m.id, m.text()) for m in mems]
            if not items:
                return added
            other = np.array([needs_multilingual(t) for _, t in items], dtype=bool)
            if not self._multilingual_all:
                if not other.any():
                    self.store.put_embeddings(self._multilingual_model, {ref: b"" for ref, _ in items})
                    continue
                # The first text in another script or language: those noted before come again.
                self.store.drop_empty_embeddings(self._multilingual_model)
            vectors = self.multilingual.embed([t for _, t in items]).astype(np.float32)
            refs = np.array([r for r, _ in items], dtype=object)
            self.store.put_embeddings(self._script_mark, {r: b"" for r in refs[other]})
            # Stored as float16 (1 KB): three fit a database page where a float32 one takes a
            # page of its own; ranking by cosine does not change at that precision.
            self.store.put_embeddings(self._multilingual_model, {
                ref: v.astype(np.float16).tobytes() for (ref, _), v in zip(items, vectors, strict=True)})
            if other.any():
                self.multilingual_index.add(list(refs[other]), vectors[other])
            if (~other).any():
                self.english_multilingual_index.add(list(refs[~other]), vectors[~other])
            added += len(items)

    def load_index(self) -> None:
        """Every stored vector into the index (at unlock)."""
        self.refresh_speakers()
        if self.embedder is None:
            return
        self._drop_stale_vectors()
        refs, vecs = [], []
        for ref, blob in self.store.embeddings(self._vector_model):
            refs.append(ref)
            vecs.append(np.frombuffer(blob, dtype=np.float32))
        if refs:
            self.index.add(refs, np.stack(vecs))
        if self.multilingual is not None:
            pairs = [(ref, blob) for ref, blob in self.store.embeddings(self._multilingual_model) if blob]
            if pairs:
                other = {ref for ref, _ in self.store.embeddings(self._script_mark)}
                for index, part in ((self.multilingual_index, [p for p in pairs if p[0] in other]),
                                    (self.english_multilingual_index, [p for p in pairs if p[0] not in other])):
                    if part:
                        index.add([r for r, _ in part], np.stack(
                            [np.frombuffer(b, dtype=np.float16) for _, b in part]).astype(np.float32))
                self.multilingual.embed([" "])  # loaded now (about 1.7 s), not by the first question
        self._loaded = True

    def _drop_stale_vectors(self) -> None:
        """Vectors of an earlier VECTOR_TEXT or MULTILINGUAL_TEXT are never read again: dropped
        once, when the names in use change (the scan reads every stored vector: 3.6 s at 200k)."""
        names = {self.embedder.name: [self._vector_model]}
        if self.multilingual is not None:
            names[self.multilingual.name] = [self._multilingual_model, self._script_mark]
        if self.store.read_only or self.store.damage is not None or self.store.setting(_VECTOR_NAMES) == names:
            return
        for embedder, keep in names.items():
            self.store.drop_stale_embeddings(embedder, keep)
        self.store.set_setting(_VECTOR_NAMES, names)

    def forget(self, refs: Sequence[str]) -> None:
        self.index.remove(list(refs))
        if self.multilingual_index is not None:
            self.multilingual_index.remove(list(refs))
            self.english_multilingual_index.remove(list(refs))

    # -- search ---------------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               now: datetime | None = None, min_cosine: float = MIN_COSINE) -> list[SearchHit]:
        """The k best hits for `query`, fused over the layers, best first. A time phrase in the
        query (memory.timephrase) never drops a hit: a certain one puts what is inside its span
        first, an uncertain one only adds a ranking; `filters` drop. A question about what came
        just before or after something lists that anchor's neighbours in time first (their
        `relation` says which), then the anchor, then the other hits. `min_cosine`: the least
        MiniLM cosine of a vector neighbour that counts (NEAR_COSINE for a list shown out of
        rank order, as the Search page's). Never raises on the query's content."""
        query = clean_text(query)
        hits = self._search(query, k, filters, now, min_cosine=min_cosine)
        order = order_anchor(query, now)
        if order is None or (filters is not None and filters.kinds is not None and "observation" not in filters.kinds):
            return hits  # neighbours in time are moments of the raw log
        return self._around_anchor(order, hits, k, filters, now)

    def _around_anchor(self, order: tuple[str, str], hits: list[SearchHit], k: int,
                       filters: Filters | None, now: datetime | None) -> list[SearchHit]:
        rel, words = order
        # The anchor is named ("the curl documentation"): its words find it without a second
        # embedding and vector pass, which would double the cost of the question.
        anchors = [h for h in self._search(words, 3, filters, now, vectors=False) if h.sources]
        if not anchors:
            return hits
        anchor = anchors[0]
        sources = self.store.observations(ids=list(anchor.sources))
        if not sources:
            return hits
        # The moment the question is about is the edge of the anchor that faces the asked side.
        edge = min(sources, key=lambda o: (o.time, o.id)) if rel == "before" \
            else max(sources, key=lambda o: (o.time, o.id))
        app = filters.app if filters else None
        near = self.store.neighbours(edge.id, rel, NEIGHBOURS, app=app, skip_same_as=edge)
        top = (hits[0].score if hits else 0.0) + 1.0
        ordered = [_hit(f"obs:{o.id}", top - n * 1e-3, o, {}, relation=rel) for n, o in enumerate(near)]
        ordered.append(dataclasses.replace(anchor, score=top - len(near) * 1e-3, relation="anchor"))
        seen = {h.ref for h in ordered}
        ordered += [h for h in hits if h.ref not in seen]
        return ordered[:k]

    def _search(self, query: str, k: int, filters: Filters | None, now: datetime | None,
                vectors: bool = True, min_cosine: float = MIN_COSINE) -> list[SearchHit]:
        f = filters or Filters()
        # Explicit filters drop what is outside; a naive time is local time (as in the store).
        since, until = (utc(t) if t is not None else None for t in (f.since, f.until))
        # A time phrase in the query never drops anything: the thing asked about may have been
        # seen, written or told about after it happened ("my camping trip last year", said
        # this year). A certain phrase ("yesterday", "on 8 March 2026") puts what is inside its
        # span first; an uncertain one ("in March", "a few weeks ago") is one more ranking.
        span = timephrase.parse(query, now) if since is None and until is None and now is not None else None
        want_obs = f.kinds is None or "observation" in f.kinds
        kinds = [MemoryType(x) for x in (f.kinds or [t.value for t in MemoryType]) if x != "observation"]
        depth = max(3 * k, 30)
        layers: list[tuple] = []  # (ranking, weight[, shares]): see _fuse
        items: dict[str, Observation | Memory] = {}
        names, content = self._split_names(query)
        words = topic(content)
        nearest = multilingual = None
        prefixes = tuple((["obs:"] if want_obs else []) + [f"{x.value}:" for x in kinds])
        # MiniLM reads a question in another script as unknown pieces, close to everything alike
        # (0.7 to an unrelated Russian line), and one in another language in Latin letters as
        # near any other foreign line (a Spanish question about pancakes: a French flight delay)
        # and far from the English note it is about: only the multilingual layer reads them.
        every_item = needs_multilingual(content)
        readable = not every_item or self.multilingual is None
        # A question too short to tell its language ("Zahnarzt", "Termin Oma") may be in any: it
        # is compared with every item by the multilingual layer too, and by MiniLM as English.
        any_item = every_item or sure_language(content) is None
        if vectors and readable and self.embedder is not None and self.vectors_ready and len(self.index):
            # The vector layer (embedding the query, then a product over every vector) runs
            # beside the full-text layers: on 2 cores that hides most of its cost.
            nearest = _vector_lane().submit(self._nearest, content, depth, prefixes, min_cosine)
        if vectors and self.vectors_ready and self.multilingual_index is not None and (
                len(self.multilingual_index) or (any_item and len(self.english_multilingual_index))):
            multilingual = _vector_lane().submit(self._nearest_multilingual, content, depth, prefixes, any_item)
        if want_obs:
            hits = self.store.search_observations(words, depth, since=since, until=until, app=f.app)
            layers.append(([f"obs:{o.id}" for o, _ in hits], 1.0))
            items.update({f"obs:{o.id}": o for o, _ in hits})
            # Words inside Chinese, Japanese, Thai... text and symbols, which words miss (memory.grams).
            grams = self.store.search_observation_grams(content, depth, since=since, until=until, app=f.app)
            if grams:
                layers.append(([f"obs:{o.id}" for o, _ in grams], 1.0))
                items.update({f"obs:{o.id}": o for o, _ in grams})
        if want_obs and (since is not None or until is not None or span is not None):
            lo, hi = (span.since, span.until) if span is not None else (since, until)
            rest = _without(words, span.phrase) if span is not None else words
            # The time layer: what matches the other words inside the span; when nothing does, or
            # there is nothing but a time ("what did I do yesterday", "what did I read last
            # weekend" with no page saying "read"), what happened in it, newest first.
            in_span = []
            if _WORD.search(rest):
                in_span = [o for o, _ in self.store.search_observations(rest, depth, since=lo, until=hi, app=f.app)]
            if not in_span:
                in_span = self.store.observations(since=lo, until=hi, app=f.app, limit=depth, newest_first=True)
            layers.append(([f"obs:{o.id}" for o in in_span], 1.0))
            items.update({f"obs:{o.id}": o for o in in_span})
        if kinds:
            mem_hits = self.store.search_memories(words, depth, kinds=kinds)
            layers.append(([m.id for m, _ in mem_hits], 1.0))
            items.update({m.id: m for m, _ in mem_hits})
        if nearest is not None:
            found = nearest.result()
            weak = {ref: WEAK_SHARE for ref, sim in found if sim < NEAR_COSINE}
            layers.append(([ref for ref, _ in found], 1.0, weak))
        if multilingual is not None:
            layers.append((multilingual.result(), 1.0))
        scores = _fuse(layers)
        self._load_missing(items, scores)
        ranked = sorted(scores, key=scores.get, reverse=True)
        reorder = []
        if len(names) == 1:
            # The person asked about: their own lines among the candidates, in fused order.
            mine = [r for r in ranked
                    if isinstance(items.get(r), Observation) and speaker_tag(items[r].text) == names[0]]
            reorder.append((mine, SPEAKER_WEIGHT))
        if timephrase.asks_when(query):
            # What can answer "when" says when: in LoCoMo 69-76% of the lines a temporal question
            # rests on name a day ("I went to a support group yesterday") against 9-11% of all.
            dated = [r for r in ranked[:depth] if r in items and timephrase.states_time(_text_of(items[r]))]
            reorder.append((dated, TIME_WEIGHT))
        if reorder:
            scores = _fuse([*layers, *reorder])
            ranked = sorted(scores, key=scores.get, reverse=True)
        if span is not None and span.certain and ranked:
            # What is inside the span comes first, in fused order, then the rest (scores say so too).
            lead = scores[ranked[0]]
            for r in ranked[:depth]:
                if r in items and self._passes(items[r], None, span.since, span.until):
                    scores[r] += lead
            ranked = sorted(scores, key=scores.get, reverse=True)
        hits: list[SearchHit] = []
        for ref in ranked:
            item = items.get(ref)
            if item is None or not self._passes(item, f.app, since, until):
                continue
            hits.append(_hit(ref, scores[ref], item, scores))
            if len(hits) >= k:
                break
        return self._dated(hits)

    def _dated(self, hits: list[SearchHit]) -> list[SearchHit]:
        """Memories without a time of their own (a fact, a document) are dated by the last time
        their sources were seen, not by when the memory was made: a fact from a chat of 8 May 2023
        processed today is 8 May 2023's, for the answer model as for the user."""
        undated = [h for h in hits if h.memory is not None and getattr(h.memory, "occurred_at", None) is None
                   and h.sources]
        if not undated:
            return hits
        seen = {o.id: o.time for o in self.store.observations(ids=[i for h in undated for i in h.sources])}
        refs = {h.ref for h in undated}
        return [dataclasses.replace(h, time=max((seen[i] for i in h.sources if i in seen), default=h.time))
                if h.ref in refs else h for h in hits]

    def _nearest(self, content: str, depth: int, prefixes: tuple[str, ...],
                 min_cosine: float) -> list[tuple[str, float]]:
        hits = self.index.query(self.embedder.embed([content])[0], depth, prefixes)
        # Nearest neighbours always exist; unrelated ones must not count as "found".
        return [(ref, sim) for ref, sim in hits if sim >= min_cosine]

    def _nearest_multilingual(self, content: str, depth: int, prefixes: tuple[str, ...],
                              every_item: bool) -> list[str]:
        vector = self.multilingual.embed([content])[0]
        indexes = [self.multilingual_index] + ([self.english_multilingual_index] if every_item else [])
        hits = sorted((hit for index in indexes if len(index) for hit in index.query(vector, depth, prefixes)),
                      key=lambda hit: -hit[1])[:depth]
        return [ref for ref, sim in hits if sim >= MULTILINGUAL_MIN_COSINE]

    def _split_names(self, query: str) -> tuple[list[str], str]:
        """The known speakers named in the query, and the query without them."""
        names = [s for s in self.speakers if re.search(rf"\b{re.escape(s)}\b", query)]
        content = query
        for name in names:
            content = re.sub(rf"\b{re.escape(name)}(?:'s)?\b", " ", content)
        content = " ".join(content.split())
        return names, content if _WORD.search(content) else query

    def _passes(self, item: Observation | Memory, app: str | None, since, until) -> bool:
        """Filters apply to a memory through its own app and time, or else through its sources."""
        if app is None and since is None and until is None:
            return True
        own_app = item.app if isinstance(item, Observation) else getattr(item, "app", "")
        own_time = item.time if isinstance(item, Observation) else getattr(item, "occurred_at", None)
        sources = []
        if (app is not None and not own_app) or ((since or until) and own_time is None):
            sources = self.store.observations(ids=list(item.sources)) if item.sources else []
        if app is not None and (own_app != app if own_app else not any(o.app == app for o in sources)):
            return False
        times = [own_time] if own_time is not None else [o.time for o in sources]
        if since is not None or until is not None:
            return any((since is None or t >= since) and (until is None or t < until) for t in times)
        return True

    def _load_missing(self, items: dict, scores: dict[str, float]) -> None:
        missing_obs = [int(r[4:]) for r in scores if r.startswith("obs:") and r not in items]
        for o in self.store.observations(ids=missing_obs) if missing_obs else []:
            items[f"obs:{o.id}"] = o
        missing_mem = [r for r in scores if not r.startswith("obs:") and r not in items]
        for m in self.store.memories(ids=missing_mem) if missing_mem else []:
            items[m.id] = m


_LANE_LOCK = threading.Lock()
_LANE: ThreadPoolExecutor | None = None  # one thread for every retriever's vector layers


def _vector_lane() -> ThreadPoolExecutor:
    global _LANE
    with _LANE_LOCK:
        if _LANE is None:
            # One: two (MiniLM and multilingual layers side by side) measured no faster on 2 cores
            # (200k items, 10% Chinese: p95 57.5 ms against 56.2), where full text uses the other.
            _LANE = ThreadPoolExecutor(1, thread_name_prefix="engram-vectors")
        return _LANE


def _without(words: str, phrase: str) -> str:
    """`words` less those of a time phrase ("camping June" less "in june": "camping")."""
    drop = set(phrase.lower().split())
    return " ".join(w for w in words.split() if w.lower() not in drop)


def _fuse(layers: list[tuple]) -> dict[str, float]:
    """Weighted reciprocal-rank fusion of (ranking, weight) layers; a layer's optional third
    element maps some of its refs to a share of its weight (a weak vector neighbour's half)."""
    scores: dict[str, float] = {}
    for ranking, weight, *rest in layers:
        share = rest[0] if rest else {}
        for rank, ref in enumerate(ranking):
            scores[ref] = scores.get(ref, 0.0) + weight * share.get(ref, 1.0) / (RRF_K + rank + 1)
    return scores


def _vector_text(o: Observation) -> str:
    """What is embedded for an observation: its title and text, without a leading speaker tag,
    after the question it answers, if any (memory.dialogue)."""
    text = o.text
    tag = speaker_tag(text)
    if tag is not None:
        text = text[len(tag) + 2:]
    if o.context:
        text = f"{o.context}\n{text}"
    return f"{o.title}\n{text}" if o.title else text


def _text_of(item: Observation | Memory) -> str:
    return item.text if isinstance(item, Observation) else item.text()


def _time_of(item: Observation | Memory) -> datetime | None:
    if isinstance(item, Observation):
        return item.time
    return getattr(item, "occurred_at", None) or item.updated_at


def _hit(ref: str, score: float, item: Observation | Memory, scores: dict[str, float],
         relation: str = "") -> SearchHit:
    if isinstance(item, Observation):
        head = item.title or item.app or "observation"
        return SearchHit(ref=ref, score=score, headline=head, text=item.text[:2000], time=item.time,
                         app=item.app, sources=(item.id,), observation=item, relation=relation)
    # A memory's sources, those most relevant to this query first (stable otherwise).
    sources = tuple(sorted(item.sources, key=lambda i: -scores.get(f"obs:{i}", 0.0)))
    return SearchHit(ref=ref, score=score, headline=item.headline()[:200], text=item.text()[:2000],
                     time=_time_of(item), app=getattr(item, "app", ""), sources=sources, memory=item)
