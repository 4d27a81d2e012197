"""Shared fixtures: one read-only 300-product catalog for the session, Redis with own keys."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import asyncpg
import pytest
import pytest_asyncio
from redis.asyncio import Redis

from product_service.cache import ProductCache
from product_service.catalog import upsert_products
from product_service.generator import generate_catalog
from product_service.indexing import search_text_for
from product_service.lexicon import Lexicon
from product_service.product import Product
from product_service.query_understanding import QueryUnderstanding
from product_service.server import MIGRATIONS
from tftkit.postgres import apply_migrations, connect_pool, with_database
from tftkit.testing import TEST_POSTGRES_DSN, TEST_REDIS_URL, scratch_database

CATALOG_SIZE = 300


def small_catalog() -> list[Product]:
    return [
        replace(p, image_url=f"http://media.test/products/{p.product_id}.png")
        for p in generate_catalog(count=CATALOG_SIZE, seed=7)
    ]


async def _admin(statement: str) -> None:
    conn = await asyncpg.connect(TEST_POSTGRES_DSN)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def _load(dsn: str, products: list[Product]) -> None:
    async with connect_pool(dsn) as pool:
        await apply_migrations(pool, MIGRATIONS)
        texts = [search_text_for(p) for p in products]
        await upsert_products(pool, products=products, search_texts=texts)


@pytest.fixture(scope="session")
def catalog() -> list[Product]:
    return small_catalog()


@pytest.fixture(scope="session")
def catalog_dsn(catalog: list[Product]) -> Iterator[str]:
    """A database holding `catalog`; tests must not modify it (use `empty_dsn` for that)."""
    # Not scratch_database(): its generator would be finalised when the first asyncio.run ends.
    name = f"product_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        dsn = with_database(TEST_POSTGRES_DSN, name)
        asyncio.run(_load(dsn, catalog))
        yield dsn
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest_asyncio.fixture
async def pool(catalog_dsn: str):
    async with connect_pool(catalog_dsn) as pool:
        yield pool


@pytest_asyncio.fixture
async def empty_dsn() -> AsyncIterator[str]:
    """A fresh migrated database of one test's own."""
    async with scratch_database("product_test") as dsn:
        async with connect_pool(dsn) as pool:
            await apply_migrations(pool, MIGRATIONS)
        yield dsn


@pytest_asyncio.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    yield client
    await client.aclose()


@pytest_asyncio.fixture
async def cache(redis: Redis) -> AsyncIterator[ProductCache]:
    """A cache whose keys are this test's alone; removed afterwards."""
    prefix = f"test:{uuid.uuid4().hex}:product_id:"
    yield ProductCache(redis=redis, ttl_seconds=60, prefix=prefix)
    keys = [key async for key in redis.scan_iter(f"{prefix}*")]
    if keys:
        await redis.delete(*keys)


@pytest.fixture(scope="session")
def understanding() -> QueryUnderstanding:
    return QueryUnderstanding(lexicon=Lexicon())
