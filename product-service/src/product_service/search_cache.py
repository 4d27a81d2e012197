"""Recent search answers in Redis: `product_search:{catalog version}:{request hash}` → ids.

Only ids and scores are kept; products come back through the product cache, so an answer is
never staler than the products in it. Seeding and importing bump the catalog version, which
retires every cached answer at once; a service notices the new version within a second.
"""

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import fields

from redis.asyncio import Redis

from product_service.search_sql import SearchFilters

VERSION_KEY = "product_catalog_version"
_VERSION_REFRESH_SECONDS = 1.0


_FILTER_FIELDS = tuple(f.name for f in fields(SearchFilters))


def request_key(*, query: str, filters: SearchFilters, mode: str) -> str:
    # The filters are flat (tuples and numbers): read them as they are instead of `asdict`'s
    # deep copy. The JSON, and so the key, is the same as before.
    values = {name: getattr(filters, name) for name in _FILTER_FIELDS}
    payload = json.dumps([query, values, mode], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


async def bump_catalog_version(redis: Redis, *, version_key: str = VERSION_KEY) -> None:
    """Retires every cached search answer (after the catalog changed)."""
    await redis.incr(version_key)


class SearchCache:
    def __init__(
        self,
        *,
        redis: Redis,
        ttl_seconds: int,
        prefix: str = "product_search:",
        version_key: str = VERSION_KEY,
    ) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._prefix = prefix
        self._version_key = version_key
        self._version = "0"
        self._version_read_at = float("-inf")

    async def _current_version(self) -> str:
        # One GET a second at most, instead of one per search.
        now = time.monotonic()
        if now - self._version_read_at > _VERSION_REFRESH_SECONDS:
            self._version = await self._redis.get(self._version_key) or "0"
            self._version_read_at = now
        return self._version

    async def get(self, key: str) -> list[tuple[str, float]] | None:
        raw = await self._redis.get(f"{self._prefix}{await self._current_version()}:{key}")
        return [(pid, score) for pid, score in json.loads(raw)] if raw else None

    async def put(self, key: str, results: Sequence[tuple[str, float]]) -> None:
        name = f"{self._prefix}{await self._current_version()}:{key}"
        await self._redis.set(name, json.dumps(list(results)), ex=self._ttl)
