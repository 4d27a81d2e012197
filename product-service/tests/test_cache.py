import json
from dataclasses import replace

from product_service.cache import lookup_products
from product_service.catalog import upsert_products
from product_service.indexing import search_text_for
from tftkit.postgres import connect_pool


async def test_lookup_fills_the_cache_with_a_ttl(pool, cache, redis, catalog):
    wanted = [catalog[0].product_id, catalog[1].product_id]
    assert await redis.get(cache.key(wanted[0])) is None
    found = await lookup_products(pool=pool, cache=cache, product_ids=wanted)
    assert [found[i] for i in wanted] == catalog[:2]
    stored = json.loads(await redis.get(cache.key(wanted[0])))
    assert stored["product_name"] == catalog[0].product_name
    assert 0 < await redis.ttl(cache.key(wanted[0])) <= 60


async def test_cached_copy_is_served_without_the_database(pool, cache, catalog):
    product = catalog[2]
    await cache.put_many([replace(product, product_name="캐시에만 있는 이름")])
    found = await lookup_products(pool=pool, cache=cache, product_ids=[product.product_id])
    assert found[product.product_id].product_name == "캐시에만 있는 이름"


async def test_unknown_ids_are_absent_and_not_cached(pool, cache, redis):
    found = await lookup_products(pool=pool, cache=cache, product_ids=["999999999"])
    assert found == {}
    assert await redis.get(cache.key("999999999")) is None


async def test_mixed_hits_and_misses_in_one_lookup(pool, cache, catalog):
    await lookup_products(pool=pool, cache=cache, product_ids=[catalog[3].product_id])
    ids = [catalog[3].product_id, catalog[4].product_id, "nope", catalog[3].product_id]
    found = await lookup_products(pool=pool, cache=cache, product_ids=ids)
    assert set(found) == {catalog[3].product_id, catalog[4].product_id}


async def test_upsert_then_invalidate_serves_the_new_version(empty_dsn, cache, catalog):
    product = catalog[0]
    async with connect_pool(empty_dsn) as pool:
        await upsert_products(pool, products=[product], search_texts=[search_text_for(product)])
        await lookup_products(pool=pool, cache=cache, product_ids=[product.product_id])
        changed = replace(product, price=1000)
        result = await upsert_products(
            pool, products=[changed], search_texts=[search_text_for(changed)]
        )
        assert result.updated == [product.product_id]
        stale = await lookup_products(pool=pool, cache=cache, product_ids=[product.product_id])
        assert stale[product.product_id].price == product.price  # still cached
        await cache.invalidate(result.updated)
        fresh = await lookup_products(pool=pool, cache=cache, product_ids=[product.product_id])
        assert fresh[product.product_id].price == 1000
