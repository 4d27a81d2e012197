"""Ranked product search: understood query + filters → one SQL query (see search_sql.py for
the rules), then semantic re-ranking of queries with free words.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
import numpy as np

from product_service.cache import ProductCache, lookup_products
from product_service.catalog import PRODUCT_COLUMNS, product_from_row
from product_service.embeddings import Embedder, NoEmbedder, VectorIndex
from product_service.lexicon import normalise
from product_service.product import Product
from product_service.query_understanding import ParsedQuery, QueryUnderstanding, Tokenizer
from product_service.search_cache import SearchCache, request_key
from product_service.search_sql import (
    DEFAULT_LIMIT,
    TEXT_WEIGHT,
    SearchFilters,
    SearchSql,
    build_search_sql,
    validate_filters,
)

# Semantic similarity (cosine, ~0.7-0.9 for e5) × this: less than one matched occasion.
_W_SEMANTIC = 5.0
_SEMANTIC_CANDIDATES = 80
# Products nearest in meaning that join the candidates of a query of free words only.
_SEMANTIC_RETRIEVAL = 100
# Structured candidates whose texts are ranked against the free words.
_TEXT_CANDIDATES = 300


@dataclass(frozen=True)
class ScoredProduct:
    product: Product
    score: float


@dataclass(frozen=True)
class SearchAnswer:
    results: list[ScoredProduct]
    # lexical, semantic or cached
    mode: str


async def search_products(
    pool: asyncpg.Pool,
    *,
    filters: SearchFilters,
    intent: ParsedQuery,
    query_vector: np.ndarray | None = None,
    vectors: VectorIndex | None = None,
) -> list[ScoredProduct]:
    """Products matching the filters, best first; see search_sql.py for the rules.

    With a query vector (and the index of product vectors), a wider set of candidates is
    re-ranked by semantic similarity, which mostly orders products the lexical score ties; a
    query of free words only also takes the products nearest in meaning as candidates.
    """
    validate_filters(filters)
    limit = filters.limit or DEFAULT_LIMIT
    sql = build_search_sql(filters, intent)
    understood = intent.is_understood()
    if query_vector is None or vectors is None or not vectors.size:
        query = _ranked_query(sql, wanted=limit, understood=understood, full_rows=True)
        rows = await pool.fetch(query, *sql.params)
        return [ScoredProduct(product=product_from_row(r), score=r["score"]) for r in rows]
    nearest = [] if understood else vectors.nearest(query_vector, count=_SEMANTIC_RETRIEVAL)
    wanted = max(limit * 4, _SEMANTIC_CANDIDATES, len(nearest))
    query = _ranked_query(
        sql, wanted=wanted, understood=understood, semantic_ids=nearest, full_rows=False
    )
    ranked = [(r["product_id"], r["score"]) for r in await pool.fetch(query, *sql.params)]
    if not ranked:
        return []
    # Re-rank ids and scores with the in-memory vectors; full rows for the winners only.
    similarities = vectors.similarities([pid for pid, _ in ranked], query_vector)
    scores = {
        pid: score + _W_SEMANTIC * float(similarity)
        for (pid, score), similarity in zip(ranked, similarities, strict=True)
    }
    best = sorted(scores, key=lambda pid: (-scores[pid], pid))[:limit]
    rows = await pool.fetch(
        f"SELECT {PRODUCT_COLUMNS} FROM products WHERE product_id = ANY($1::text[])", best
    )
    found = {row["product_id"]: product_from_row(row) for row in rows}
    return [ScoredProduct(product=found[pid], score=scores[pid]) for pid in best if pid in found]


def _ranked_query(
    sql: SearchSql,
    *,
    wanted: int,
    understood: bool,
    full_rows: bool,
    semantic_ids: Sequence[str] = (),
) -> str:
    """Ranks on the narrow facets; only free words touch the wide table, and then only for
    the best structured candidates, or, for a query of free words only, for the products its
    words occur in (full-text index) and those nearest in meaning."""
    where = " AND ".join(sql.where) or "TRUE"
    structured = f"({' + '.join(sql.score)})::float8"
    limit = sql.param(wanted)
    if sql.text_query is None:
        ranked = (
            f"ranked AS (SELECT f.product_id, {structured} AS score FROM product_facets f"
            f" WHERE {where} ORDER BY score DESC, f.product_id LIMIT {limit})"
        )
    elif understood:
        text = f"{TEXT_WEIGHT} * ts_rank(p.search_vector, {sql.text_query}, 1)"
        ranked = (
            f"pre AS (SELECT f.product_id, {structured} AS score FROM product_facets f"
            f" WHERE {where} ORDER BY score DESC, f.product_id LIMIT {_TEXT_CANDIDATES}),"
            f" ranked AS (SELECT pre.product_id, pre.score + {text} AS score"
            f" FROM pre JOIN products p USING (product_id)"
            f" ORDER BY score DESC, pre.product_id LIMIT {limit})"
        )
    else:
        text = f"{TEXT_WEIGHT} * ts_rank(p.search_vector, {sql.text_query}, 1)"
        # Candidates first (the full-text index, plus the nearest in meaning), then rank
        # them alone: an OR of both in one WHERE made PostgreSQL test every product's text.
        matches = f"SELECT product_id FROM products WHERE search_vector @@ {sql.text_query}"
        if semantic_ids:
            matches += f" UNION SELECT unnest({sql.param(list(semantic_ids))}::text[])"
        ranked = (
            f"candidates AS ({matches}),"
            f" ranked AS (SELECT f.product_id, {text} AS score"
            f" FROM candidates JOIN product_facets f USING (product_id)"
            f" JOIN products p USING (product_id)"
            f" WHERE {where} ORDER BY score DESC, f.product_id LIMIT {limit})"
        )
    if not full_rows:
        return f"WITH {ranked} SELECT product_id, score FROM ranked ORDER BY score DESC, product_id"
    return (
        f"WITH {ranked} SELECT {_qualified(PRODUCT_COLUMNS)}, ranked.score"
        f" FROM ranked JOIN products p USING (product_id)"
        f" ORDER BY ranked.score DESC, p.product_id"
    )


def _qualified(columns: str) -> str:
    return ", ".join(f"p.{name.strip()}" for name in columns.split(","))


class ProductSearch:
    """Query understanding + search + optional semantic re-ranking, as the service uses them.

    Kiwi and the embedding model load in the background; until they do, search runs with
    the whitespace tokenizer and lexical ranking only.
    """

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        understanding: QueryUnderstanding,
        embedder: Embedder | None = None,
        vectors: VectorIndex | None = None,
        answers: SearchCache | None = None,
        products: ProductCache | None = None,
    ) -> None:
        self._pool = pool
        self._understanding = understanding
        self._embedder: Embedder = embedder or NoEmbedder()
        self._vectors = vectors or VectorIndex()
        # Both or neither: cached answers hold ids, the product cache turns them into products.
        self._answers = answers if products else None
        self._products = products

    def use_embedder(self, embedder: Embedder, vectors: VectorIndex) -> None:
        self._embedder = embedder
        self._vectors = vectors

    def use_tokenizer(self, tokenizer: Tokenizer) -> None:
        self._understanding.use_tokenizer(tokenizer)

    def understand(self, text: str) -> ParsedQuery:
        """What a text asks for, in catalog values (the parse search itself uses)."""
        return self._understanding.parse(text)

    async def search(self, *, query: str, filters: SearchFilters) -> list[ScoredProduct]:
        return (await self.answer(query=query, filters=filters)).results

    async def answer(self, *, query: str, filters: SearchFilters) -> "SearchAnswer":
        """The results and how they were found (the servicer's metrics label them by it)."""
        validate_filters(filters)
        intent = self._understanding.parse(query)
        # Only free words the lexicon did not understand ("비 오는 날") need meaning; a fully
        # understood query ("네이비 슬랙스") is answered exactly and without the model's cost.
        semantic = bool(intent.terms) and self._embedder.available
        mode = "semantic" if semantic else "lexical"
        key = request_key(query=normalise(query), filters=filters, mode=mode)
        results = await self._cached(key)
        if results is None:
            vector = await self._embedder.query(query) if semantic else None
            results = await search_products(
                self._pool, filters=filters, intent=intent, query_vector=vector,
                vectors=self._vectors,
            )  # fmt: skip
            if self._answers:
                await self._answers.put(key, [(r.product.product_id, r.score) for r in results])
        else:
            mode = "cached"
        return SearchAnswer(results=results, mode=mode)

    async def _cached(self, key: str) -> list[ScoredProduct] | None:
        if not self._answers or not self._products:
            return None
        hit = await self._answers.get(key)
        if hit is None:
            return None
        found = await lookup_products(
            pool=self._pool, cache=self._products, product_ids=[pid for pid, _ in hit]
        )
        if len(found) != len({pid for pid, _ in hit}):
            return None  # a product was deleted since: answer afresh
        return [ScoredProduct(product=found[pid], score=score) for pid, score in hit]
