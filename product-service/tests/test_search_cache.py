import asyncio
import uuid

import pytest_asyncio

from product_service.cache import ProductCache
from product_service.search import ProductSearch, SearchFilters
from product_service.search_cache import SearchCache


@pytest_asyncio.fixture
async def caches(redis):
    tag = uuid.uuid4().hex
    version_key = f"test:{tag}:version"
    products = ProductCache(
        redis=redis, ttl_seconds=60, prefix=f"test:{tag}:product_id:", version_key=version_key
    )
    answers = SearchCache(
        redis=redis, ttl_seconds=60, prefix=f"test:{tag}:search:", version_key=version_key
    )
    yield products, answers
    keys = [k async for k in redis.scan_iter(f"test:{tag}:*")]
    if keys:
        await redis.delete(*keys)


async def test_repeated_searches_are_answered_from_the_cache(pool, understanding, caches):
    products, answers = caches
    search = ProductSearch(
        pool=pool, understanding=understanding, answers=answers, products=products
    )
    filters = SearchFilters(limit=7)
    # The answer's mode is what the servicer labels product_search_api_response_duration by.
    first = await search.answer(query="소개팅 니트", filters=filters)
    again = await search.answer(query="  소개팅   니트 ", filters=filters)
    assert first.results and again.results == first.results
    assert (first.mode, again.mode) == ("lexical", "cached")
    other = await search.answer(query="소개팅 니트", filters=SearchFilters(limit=3))
    assert other.mode == "lexical"  # other filters, other answer
    assert other.results == first.results[:3]


async def test_a_changed_catalog_retires_cached_answers(pool, understanding, caches):
    products, answers = caches
    search = ProductSearch(
        pool=pool, understanding=understanding, answers=answers, products=products
    )
    await search.search(query="셔츠", filters=SearchFilters())
    await products.catalog_changed()
    await asyncio.sleep(1.1)  # services re-read the catalog version once a second
    answer = await search.answer(query="셔츠", filters=SearchFilters())
    assert answer.mode == "lexical"
