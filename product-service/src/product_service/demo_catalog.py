"""Loading the generated demo catalog (`python -m product_service seed`)."""

import asyncio
import logging
import time
from dataclasses import replace

import asyncpg

from product_service.cache import ProductCache
from product_service.catalog import UpsertResult, count_products, upsert_products
from product_service.generator import generate_catalog
from product_service.images import draw_product_images
from product_service.indexing import search_text_for
from product_service.product import Product
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
    image_workers: int = 0,
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
    if total.added or total.updated:
        await cache.catalog_changed()
    to_draw = await _needing_pictures(store=store, products=products, result=total)
    started = time.perf_counter()
    looks = await draw_product_images(
        store=store, products=to_draw, key_for=image_key, workers=image_workers
    )
    log.info(
        "product pictures stored",
        extra={"fields": {"products": len(to_draw), "drawn": looks,
                          "seconds": round(time.perf_counter() - started, 2)}},
    )  # fmt: skip
    return total


async def _needing_pictures(
    *, store: ObjectStore, products: list[Product], result: UpsertResult
) -> list[Product]:
    """New and changed products, and unchanged ones whose picture is missing from the store."""
    changed = set(result.added) | set(result.updated)
    unchanged = [p for p in products if p.product_id not in changed]
    limit = asyncio.Semaphore(32)

    async def missing(product: Product) -> bool:
        async with limit:
            return not await store.exists(image_key(product.product_id))

    flags = await asyncio.gather(*(missing(p) for p in unchanged))
    lost = {p.product_id for p, flag in zip(unchanged, flags, strict=True) if flag}
    return [p for p in products if p.product_id in changed or p.product_id in lost]
