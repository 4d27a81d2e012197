"""Process wiring: stores, migrations, search components, the gRPC server."""

import asyncio
import contextlib
import logging
import time
from pathlib import Path

import asyncpg

from product_service.cache import ProductCache
from product_service.embeddings import (
    Embedder,
    VectorIndex,
    backfill_embeddings,
    load_embedder,
)
from product_service.facets import sync_facets
from product_service.lexicon import Lexicon
from product_service.morphology import load_kiwi_in_background
from product_service.query_understanding import QueryUnderstanding
from product_service.search import ProductSearch
from product_service.search_cache import SearchCache
from product_service.servicer import ProductServicer
from product_service.settings import ProductSettings
from tftkit.grpc_server import GrpcServer
from tftkit.postgres import apply_migrations, connect_pool
from tftkit.redis import connect_redis
from thefirsttake.product.v1 import product_pb2_grpc

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = "thefirsttake.product.v1.ProductService"


async def prepare_database(pool: asyncpg.Pool) -> None:
    """Migrations, then the search facets of every product (cheap: one statement)."""
    await apply_migrations(pool, MIGRATIONS)
    await sync_facets(pool)


async def serve(settings: ProductSettings) -> None:
    async with (
        connect_pool(settings.postgres_dsn) as pool,
        connect_redis(settings.redis_url) as redis,
    ):
        await prepare_database(pool)
        lexicon = Lexicon()
        products = ProductCache(redis=redis, ttl_seconds=settings.cache_ttl_seconds)
        answers = (
            SearchCache(redis=redis, ttl_seconds=settings.search_cache_ttl_seconds)
            if settings.search_cache_ttl_seconds
            else None
        )
        search = ProductSearch(
            pool=pool,
            understanding=QueryUnderstanding(lexicon=lexicon),
            answers=answers,
            products=products,
        )
        servicer = ProductServicer(pool=pool, cache=products, search=search)
        server = GrpcServer(
            host=settings.host, port=settings.port, grace_seconds=settings.shutdown_grace_seconds
        )
        server.add(product_pb2_grpc.add_ProductServiceServicer_to_server, servicer, SERVICE_NAME)
        # Health says SERVING at once; the heavy models join when loaded.
        upgrade = asyncio.create_task(
            upgrade_search(search=search, pool=pool, lexicon=lexicon, settings=settings)
        )
        try:
            await server.run()
        finally:
            upgrade.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await upgrade


async def upgrade_search(
    *, search: ProductSearch, pool: asyncpg.Pool, lexicon: Lexicon, settings: ProductSettings
) -> None:
    """Loads kiwi and the embedding model in threads, then embeds products that lack vectors."""
    try:
        if settings.use_kiwi:
            started = time.perf_counter()
            kiwi = await load_kiwi_in_background(user_words=lexicon.surface_words())
            if kiwi is not None:
                search.use_tokenizer(kiwi)
                _log_ready("kiwi", started)
        if settings.use_embeddings:
            started = time.perf_counter()
            embedder = await asyncio.to_thread(load_embedder)
            if embedder.available:
                vectors = VectorIndex()
                await vectors.refresh(pool)
                search.use_embedder(embedder, vectors)
                _log_ready("embeddings", started, vectors=vectors.size)
                await _keep_vectors_filled(
                    pool=pool, embedder=embedder, vectors=vectors, settings=settings
                )
    except asyncio.CancelledError:
        raise
    except Exception:  # the service keeps serving lexical search
        log.exception("search upgrade failed")


async def _keep_vectors_filled(
    *, pool: asyncpg.Pool, embedder: Embedder, vectors: VectorIndex, settings: ProductSettings
) -> None:
    """Embeds products without vectors now, then again after every import or seed (polled),
    and reloads the in-memory index (another replica may have done the embedding)."""
    while True:
        started = time.perf_counter()
        count = await backfill_embeddings(pool=pool, embedder=embedder)
        await vectors.refresh(pool)
        if count:
            _log_ready("embedding backfill", started, products=count, vectors=vectors.size)
        await asyncio.sleep(settings.embedding_backfill_interval_seconds)


def _log_ready(what: str, started: float, **fields: object) -> None:
    seconds = round(time.perf_counter() - started, 2)
    log.info(f"{what} ready", extra={"fields": {"seconds": seconds, **fields}})
