from product_service.catalog import count_products, fetch_products
from product_service.demo_catalog import seed_demo_catalog
from tftkit.object_store import LocalObjectStore
from tftkit.postgres import connect_pool


async def test_seed_is_idempotent_and_sets_image_urls(empty_dsn, cache, tmp_path):
    store = LocalObjectStore(tmp_path, "http://media.test/media")
    async with connect_pool(empty_dsn) as pool:
        first = await seed_demo_catalog(pool=pool, cache=cache, store=store, count=120, seed=3)
        assert len(first.added) == 120 and not first.updated
        again = await seed_demo_catalog(pool=pool, cache=cache, store=store, count=120, seed=3)
        assert len(again.unchanged) == 120 and not again.added and not again.updated
        skipped = await seed_demo_catalog(
            pool=pool, cache=cache, store=store, count=500, seed=3, if_empty=True
        )
        assert skipped is None
        assert await count_products(pool) == 120
        product = (await fetch_products(pool, product_ids=[first.added[0]]))[first.added[0]]
        assert product.image_url == f"http://media.test/media/products/{product.product_id}.png"


async def test_seed_stores_a_picture_per_product_and_redraws_lost_ones(empty_dsn, cache, tmp_path):
    store = LocalObjectStore(tmp_path, "http://media.test/media")
    async with connect_pool(empty_dsn) as pool:
        result = await seed_demo_catalog(
            pool=pool, cache=cache, store=store, count=40, seed=5, image_workers=1
        )
        for product_id in result.added:
            assert (tmp_path / "products" / f"{product_id}.png").stat().st_size > 1000
        lost = tmp_path / "products" / f"{result.added[0]}.png"
        lost.unlink()
        await seed_demo_catalog(pool=pool, cache=cache, store=store, count=40, seed=5)
        assert lost.is_file()
