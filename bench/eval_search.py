"""Relevance of product search: precision@10 and nDCG@10 over bench/search_relevance.json.

    uv run python bench/eval_search.py                # fresh 3,000-product demo catalog
    uv run python bench/eval_search.py --no-embeddings --no-kiwi   # lexicon + SQL only
    uv run python bench/eval_search.py --dsn postgresql://...      # an existing catalog

A product is relevant when it meets every condition of the query's judgement. precision@10
divides by min(10, relevant products in the catalog), so a query with 6 relevant products
scores 1.0 when all 6 come first; nDCG@10 uses binary gains.
"""

import argparse
import asyncio
import json
import math
import sys
import time
from collections import defaultdict
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from product_service.catalog import PRODUCT_COLUMNS, product_from_row, upsert_products
from product_service.embeddings import (
    NoEmbedder,
    VectorIndex,
    backfill_embeddings,
    load_embedder,
)
from product_service.generator import generate_catalog
from product_service.indexing import search_text_for
from product_service.lexicon import Lexicon
from product_service.morphology import load_kiwi
from product_service.product import Product
from product_service.query_understanding import QueryUnderstanding
from product_service.search import ProductSearch, SearchFilters
from product_service.server import MIGRATIONS
from tftkit.postgres import apply_migrations, connect_pool
from tftkit.testing import scratch_database

RELEVANCE = Path(__file__).with_name("search_relevance.json")
K = 10


def is_relevant(product: Product, judgement: dict[str, Any]) -> bool:
    for key, wanted in judgement.items():
        if key == "max_price":
            ok = product.price <= wanted
        elif key == "min_price":
            ok = product.price >= wanted
        elif key == "genders":
            ok = product.gender in wanted or product.gender == "UNISEX"
        elif key.startswith("not_"):
            ok = getattr(product, key[4:]) not in wanted
        else:
            value = getattr(product, key)
            values = value if isinstance(value, tuple) else (value,)
            ok = any(v in wanted for v in values)
        if not ok:
            return False
    return True


def ndcg(flags: list[bool], relevant_total: int) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, hit in enumerate(flags[:K]) if hit)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(K, relevant_total)))
    return dcg / ideal if ideal else 0.0


async def _load_catalog(pool, *, count: int, seed: int, tokenizers, embedder) -> None:
    await apply_migrations(pool, MIGRATIONS)
    products = generate_catalog(count=count, seed=seed)
    for start in range(0, len(products), 1000):
        batch = products[start : start + 1000]
        texts = [search_text_for(p, tokenizers=tokenizers) for p in batch]
        await upsert_products(pool, products=batch, search_texts=texts)
    await backfill_embeddings(pool=pool, embedder=embedder)


async def evaluate(args: argparse.Namespace) -> int:
    lexicon = Lexicon()
    kiwi = load_kiwi(user_words=lexicon.surface_words()) if args.kiwi else None
    embedder = load_embedder() if args.embeddings else NoEmbedder()
    queries = json.loads(RELEVANCE.read_text(encoding="utf-8"))["queries"]
    async with AsyncExitStack() as stack:
        dsn = args.dsn or await stack.enter_async_context(scratch_database("product_eval"))
        pool = await stack.enter_async_context(connect_pool(dsn))
        if not args.dsn:
            started = time.perf_counter()
            await _load_catalog(
                pool, count=args.count, seed=args.seed,
                tokenizers=(kiwi,) if kiwi else (), embedder=embedder,
            )  # fmt: skip
            print(f"catalog: {args.count} products loaded in {time.perf_counter() - started:.1f} s")
        catalog = [
            product_from_row(r) for r in await pool.fetch(f"SELECT {PRODUCT_COLUMNS} FROM products")
        ]
        understanding = QueryUnderstanding(lexicon=lexicon, tokenizer=kiwi)
        vectors = VectorIndex()
        await vectors.refresh(pool)
        search = ProductSearch(
            pool=pool, understanding=understanding, embedder=embedder, vectors=vectors
        )
        by_kind: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for item in queries:
            results = await search.search(query=item["query"], filters=SearchFilters(limit=K))
            flags = [is_relevant(r.product, item["relevant"]) for r in results]
            total = sum(is_relevant(p, item["relevant"]) for p in catalog)
            precision = sum(flags) / min(K, total) if total else float(not results)
            score = (precision, ndcg(flags, total) if total else float(not results))
            by_kind[item["kind"]].append(score)
            if args.verbose or score[0] < 1:
                print(
                    f"  p@10={score[0]:.2f} ndcg={score[1]:.2f} relevant={total:4d} {item['query']}"
                )
    print(
        f"engine: kiwi={'on' if kiwi else 'off'} embeddings={'on' if embedder.available else 'off'}"
    )
    print(f"{'kind':10s} {'queries':>7s} {'p@10':>6s} {'nDCG@10':>8s}")
    every = [s for scores in by_kind.values() for s in scores]
    for kind, scores in [*sorted(by_kind.items()), ("overall", every)]:
        p = sum(s[0] for s in scores) / len(scores)
        n = sum(s[1] for s in scores) / len(scores)
        print(f"{kind:10s} {len(scores):7d} {p:6.3f} {n:8.3f}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="evaluate an existing catalog instead of a fresh one")
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-kiwi", dest="kiwi", action="store_false")
    parser.add_argument("--no-embeddings", dest="embeddings", action="store_false")
    parser.add_argument("--verbose", action="store_true", help="print every query's scores")
    return asyncio.run(evaluate(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
