"""The product cache: `product_id:{id}` → product JSON in Redis, with a TTL.

Read-through: lookups try Redis first (one MGET for any number of ids), fall back to
PostgreSQL for the misses (one query), and fill Redis for next time (one pipeline).
Imports delete the keys of the products they change.
"""

import json
from collections.abc import Sequence
from functools import lru_cache

import asyncpg
from redis.asyncio import Redis

from product_service.catalog import fetch_products
from product_service.metrics import CACHE_LOOKUPS
from product_service.product import Product
from product_service.search_cache import VERSION_KEY, bump_catalog_version

KEY_PREFIX = "product_id:"
# Products kept by their cached JSON: searches answer the same products again and again, and
# parsing each one's JSON into a Product cost more than the rest of a cached answer; a couple
# of thousand is a few MiB.
DECODED_MEMO_SIZE = 2048


class ProductCache:
    """Redis side of product lookups; `prefix` lets tests isolate their keys."""

    def __init__(
        self,
        *,
        redis: Redis,
        ttl_seconds: int,
        prefix: str = KEY_PREFIX,
        version_key: str = VERSION_KEY,
    ) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._prefix = prefix
        self._version_key = version_key

    def key(self, product_id: str) -> str:
        return f"{self._prefix}{product_id}"

    async def get_many(self, product_ids: Sequence[str]) -> dict[str, Product]:
        if not product_ids:
            return {}
        values = await self._redis.mget([self.key(i) for i in product_ids])
        return {
            pid: _decoded(raw)
            for pid, raw in zip(product_ids, values, strict=True)
            if raw is not None
        }

    async def put_many(self, products: Sequence[Product]) -> None:
        if not products:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for product in products:
                payload = json.dumps(product.to_dict(), ensure_ascii=False)
                pipe.set(self.key(product.product_id), payload, ex=self._ttl)
            await pipe.execute()

    async def catalog_changed(self) -> None:
        """Retires cached search answers too (they may now rank differently)."""
        await bump_catalog_version(self._redis, version_key=self._version_key)

    async def invalidate(self, product_ids: Sequence[str]) -> None:
        # Chunked so one import of 100k products does not build one giant command.
        ids = list(product_ids)
        for start in range(0, len(ids), 1000):
            await self._redis.delete(*(self.key(i) for i in ids[start : start + 1000]))


@lru_cache(maxsize=DECODED_MEMO_SIZE)
def _decoded(raw: str | bytes) -> Product:
    """The product a cached JSON holds, remembered by that very text: the same text always
    makes the same (immutable) product, so a changed product, with its new JSON, is read anew."""
    return Product.from_dict(json.loads(raw))


async def lookup_products(
    *, pool: asyncpg.Pool, cache: ProductCache, product_ids: Sequence[str]
) -> dict[str, Product]:
    """Products by id through the cache; unknown ids are absent from the result."""
    wanted = list(dict.fromkeys(product_ids))
    found = await cache.get_many(wanted)
    missing = [pid for pid in wanted if pid not in found]
    CACHE_LOOKUPS.labels("hit").inc(len(found))
    CACHE_LOOKUPS.labels("miss").inc(len(missing))
    if missing:
        loaded = await fetch_products(pool, product_ids=missing)
        await cache.put_many(list(loaded.values()))
        found.update(loaded)
    return found
