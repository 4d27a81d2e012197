"""Loading the generated demo catalog (`python -m product_service seed`)."""

import logging
from dataclasses import replace

import asyncpg

from product_service.cache import ProductCache
from product_service.catalog import UpsertResult, count_products, upsert_products
from product_service.generator import generate_catalog
from product_service.indexing import search_text_for
from product_service.query_understanding import Tokenizer
from tftkit.object_store import ObjectStore

log = logging.getLogger(__name__)

_BATCH = 1000


def image_key(product_id: str) -> str:
    return f"products/{product_id}.png"


async def seed_demo_catalog(
    *,
    pool: asyncpg.Pool,
    cache: ProductCache,
    store: ObjectStore,
    count: int,
    seed: int,
    if_empty: bool = False,
    tokenizers: tuple[Tokenizer, ...] = (),
) -> UpsertResult | None:
    """Upserts the demo catalog; None when `if_empty` and the catalog already has products."""
    if if_empty and await count_products(pool):
        log.info("catalog not empty; seed skipped")
        return None
    products = [
        replace(p, image_url=store.url_for(image_key(p.product_id)))
        for p in generate_catalog(count=count, seed=seed)
    ]
    total = UpsertResult()
    for start in range(0, len(products), _BATCH):
        batch = products[start : start + _BATCH]
        texts = [search_text_for(p, tokenizers=tokenizers) for p in batch]
        result = await upsert_products(pool, products=batch, search_texts=texts)
        total.added += result.added
        total.updated += result.updated
        total.unchanged += result.unchanged
        await cache.invalidate(result.added + result.updated)
    return total
