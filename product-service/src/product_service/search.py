"""Ranked product search: request filters and understood query intent → one SQL query.

Explicit request filters are hard. From the free text, what a person names as the item
(sub-category or category), its colour, gender, budget and exclusions are hard too: someone
asking for 흰색 운동화 5만원 이하 does not want a green one or a white t-shirt, and when the
catalog has none, an empty answer lets the expert say so plainly. Occasion, season, style,
pattern, material and fit rank, and a product must match at least one of those named (a
"겨울 출근룩" answer has no summer party wear at its tail). Free words only rank.
"""

import asyncio
import time
from dataclasses import dataclass, field, replace

import asyncpg
import numpy as np

from product_service.catalog import PRODUCT_COLUMNS, product_from_row
from product_service.embeddings import Embedder, NoEmbedder, from_bytes
from product_service.garments import GARMENT_BY_NAME
from product_service.metrics import SEARCH_CALLS, SEARCH_DURATION, SEARCH_RESULTS
from product_service.product import Product
from product_service.query_understanding import ParsedQuery, QueryUnderstanding, Tokenizer

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

# Ranking weights: the occasion matters most, then the named details, then free words.
_W_TPO, _W_PATTERN, _W_STYLE, _W_SEASON, _W_MATERIAL, _W_FIT = 3.0, 2.0, 1.5, 1.5, 1.5, 1.5
_W_TEXT = 1.0
# Semantic similarity (cosine, ~0.7-0.9 for e5) × this: less than one matched occasion.
_W_SEMANTIC = 5.0
_SEMANTIC_CANDIDATES = 80


@dataclass(frozen=True)
class SearchFilters:
    main_categories: tuple[str, ...] = ()
    sub_categories: tuple[str, ...] = ()
    colours: tuple[str, ...] = ()
    exclude_colours: tuple[str, ...] = ()
    tpo_tags: tuple[str, ...] = ()
    seasons: tuple[str, ...] = ()
    genders: tuple[str, ...] = ()
    style_tags: tuple[str, ...] = ()
    min_price: int = 0
    max_price: int = 0
    exclude_ids: tuple[str, ...] = ()
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True)
class ScoredProduct:
    product: Product
    score: float


@dataclass
class _Sql:
    """A WHERE clause and a score expression built up with numbered parameters."""

    where: list[str] = field(default_factory=list)
    score: list[str] = field(default_factory=lambda: ["0"])
    params: list[object] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)

    def param(self, value: object) -> str:
        self.params.append(value)
        return f"${len(self.params)}"

    def require(self, condition: str) -> None:
        self.where.append(condition)

    def boost(self, weight: float, condition: str) -> None:
        self.score.append(f"{weight} * ({condition})::int")
        self.signals.append(condition)

    def require_any_signal(self) -> None:
        """Products that match none of the ranking signals are off-brief: leave them out.

        This also lets PostgreSQL use the tag indexes instead of scoring every row.
        """
        if self.signals:
            self.require(f"({' OR '.join(self.signals)})")


def with_unisex(genders: tuple[str, ...]) -> list[str]:
    """Unisex products suit anyone: a filter on MEN or WOMEN admits them."""
    return list(dict.fromkeys([*genders, "UNISEX"])) if genders else []


def validate_filters(filters: SearchFilters) -> None:
    """Raises ValueError with a message naming the bad field."""
    if not 0 <= filters.limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    if filters.min_price < 0 or filters.max_price < 0:
        raise ValueError("min_price and max_price must not be negative")
    if filters.max_price and filters.min_price > filters.max_price:
        raise ValueError("min_price must not exceed max_price")


async def search_products(
    pool: asyncpg.Pool,
    *,
    filters: SearchFilters,
    intent: ParsedQuery,
    query_vector: np.ndarray | None = None,
) -> list[ScoredProduct]:
    """Products matching the filters, best first; see the module docstring for the rules.

    With a query vector, a wider set of candidates is re-ranked by semantic similarity,
    which mostly orders products the lexical score ties.
    """
    validate_filters(filters)
    limit = filters.limit or DEFAULT_LIMIT
    semantic = query_vector is not None
    sql = _Sql()
    _apply_filters(sql, filters)
    _apply_intent(sql, intent)
    where = " AND ".join(sql.where) or "TRUE"
    wanted = max(limit * 4, _SEMANTIC_CANDIDATES) if semantic else limit
    query = (
        f"SELECT {PRODUCT_COLUMNS}{', embedding' if semantic else ''},"
        f" ({' + '.join(sql.score)})::float8 AS score FROM products"
        f" WHERE {where} ORDER BY score DESC, product_id LIMIT {sql.param(wanted)}"
    )
    rows = await pool.fetch(query, *sql.params)
    scored = [ScoredProduct(product=product_from_row(row), score=row["score"]) for row in rows]
    if semantic and rows:
        scored = _rerank(scored, [row["embedding"] for row in rows], query_vector)
    return scored[:limit]


def _rerank(
    scored: list[ScoredProduct], vectors: list[bytes | None], query_vector: np.ndarray
) -> list[ScoredProduct]:
    reranked = []
    for item, data in zip(scored, vectors, strict=True):
        similarity = float(from_bytes(data) @ query_vector) if data else 0.0
        reranked.append(replace(item, score=item.score + _W_SEMANTIC * similarity))
    return sorted(reranked, key=lambda s: -s.score)


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
    ) -> None:
        self._pool = pool
        self._understanding = understanding
        self._embedder: Embedder = embedder or NoEmbedder()

    def use_embedder(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def use_tokenizer(self, tokenizer: Tokenizer) -> None:
        self._understanding.use_tokenizer(tokenizer)

    async def search(self, *, query: str, filters: SearchFilters) -> list[ScoredProduct]:
        started = time.perf_counter()
        intent = self._understanding.parse(query)
        vector = None
        # Only free words the lexicon did not understand ("비 오는 날") need meaning; a fully
        # understood query ("네이비 슬랙스") is answered exactly and without the model's cost.
        if intent.terms and self._embedder.available:
            vector = await asyncio.to_thread(self._embedder.query, query)
        try:
            results = await search_products(
                self._pool, filters=filters, intent=intent, query_vector=vector
            )
        except ValueError:
            SEARCH_CALLS.labels("invalid").inc()
            raise
        SEARCH_CALLS.labels("found" if results else "empty").inc()
        SEARCH_RESULTS.observe(len(results))
        mode = "semantic" if vector is not None else "lexical"
        SEARCH_DURATION.labels(mode).observe(time.perf_counter() - started)
        return results


def _apply_filters(sql: _Sql, filters: SearchFilters) -> None:
    if filters.main_categories:
        sql.require(f"main_category = ANY({sql.param(list(filters.main_categories))})")
    if filters.sub_categories:
        sql.require(f"sub_category = ANY({sql.param(list(filters.sub_categories))})")
    if filters.colours:
        sql.require(f"color_name = ANY({sql.param(list(filters.colours))})")
    if filters.exclude_colours:
        sql.require(f"NOT color_name = ANY({sql.param(list(filters.exclude_colours))})")
    if filters.tpo_tags:
        sql.require(f"tpo_tags && {sql.param(list(filters.tpo_tags))}::text[]")
    if filters.seasons:
        sql.require(f"seasons && {sql.param(list(filters.seasons))}::text[]")
    if filters.genders:
        sql.require(f"gender = ANY({sql.param(with_unisex(filters.genders))})")
    if filters.style_tags:
        sql.require(f"style_tags && {sql.param(list(filters.style_tags))}::text[]")
    if filters.min_price:
        sql.require(f"price >= {sql.param(filters.min_price)}")
    if filters.max_price:
        sql.require(f"price <= {sql.param(filters.max_price)}")
    if filters.exclude_ids:
        sql.require(f"NOT product_id = ANY({sql.param(list(filters.exclude_ids))})")


def _apply_intent(sql: _Sql, intent: ParsedQuery) -> None:
    subs = list(intent.sub_categories)
    # "츄리닝 바지" names the jogger and its category: the category adds nothing. "셔츠랑
    # 바지" names a top and another category: then both are wanted.
    named = {GARMENT_BY_NAME[s].main for s in subs if s in GARMENT_BY_NAME}
    mains = [m for m in intent.main_categories if m not in named]
    if subs or mains:
        # "셔츠랑 바지": either the named garment or anything of the named category.
        sql.require(
            f"(sub_category = ANY({sql.param(subs)}) OR main_category = ANY({sql.param(mains)}))"
        )
    if intent.colours:
        sql.require(f"color_name = ANY({sql.param(list(intent.colours))})")
    if intent.genders:
        sql.require(f"gender = ANY({sql.param(with_unisex(intent.genders))})")
    if intent.exclude_colours:
        sql.require(f"NOT color_name = ANY({sql.param(list(intent.exclude_colours))})")
    if intent.exclude_sub_categories:
        sql.require(f"NOT sub_category = ANY({sql.param(list(intent.exclude_sub_categories))})")
    if intent.min_price:
        sql.require(f"price >= {sql.param(intent.min_price)}")
    if intent.max_price:
        sql.require(f"price <= {sql.param(intent.max_price)}")
    _apply_ranking(sql, intent)


def _apply_ranking(sql: _Sql, intent: ParsedQuery) -> None:
    if intent.tpos:
        sql.boost(_W_TPO, f"tpo_tags && {sql.param(list(intent.tpos))}::text[]")
    if intent.seasons:
        sql.boost(_W_SEASON, f"seasons && {sql.param(list(intent.seasons))}::text[]")
    if intent.styles:
        sql.boost(_W_STYLE, f"style_tags && {sql.param(list(intent.styles))}::text[]")
    if intent.patterns:
        sql.boost(_W_PATTERN, f"pattern = ANY({sql.param(list(intent.patterns))})")
    if intent.materials:
        sql.boost(_W_MATERIAL, f"material = ANY({sql.param(list(intent.materials))})")
    if intent.fits:
        sql.boost(_W_FIT, f"fit = ANY({sql.param(list(intent.fits))})")
    # Free words alone do not restrict: the semantic re-ranking may still place them.
    sql.require_any_signal()
    if intent.terms:
        # Terms are normalised to [0-9a-z가-힣], so joining them cannot inject tsquery syntax.
        tsquery = f"to_tsquery('simple', {sql.param(' | '.join(intent.terms))})"
        sql.score.append(f"{_W_TEXT} * ts_rank(search_vector, {tsquery}, 1) * 10")
