"""Process wiring: stores, migrations, search components, the gRPC server."""

import logging
from pathlib import Path

from product_service.cache import ProductCache
from product_service.lexicon import Lexicon
from product_service.query_understanding import QueryUnderstanding
from product_service.servicer import ProductServicer
from product_service.settings import ProductSettings
from tftkit.grpc_server import GrpcServer
from tftkit.postgres import apply_migrations, connect_pool
from tftkit.redis import connect_redis
from thefirsttake.product.v1 import product_pb2_grpc

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = "thefirsttake.product.v1.ProductService"


async def serve(settings: ProductSettings) -> None:
    async with (
        connect_pool(settings.postgres_dsn) as pool,
        connect_redis(settings.redis_url) as redis,
    ):
        await apply_migrations(pool, MIGRATIONS)
        understanding = QueryUnderstanding(lexicon=Lexicon())
        servicer = ProductServicer(
            pool=pool,
            cache=ProductCache(redis=redis, ttl_seconds=settings.cache_ttl_seconds),
            understanding=understanding,
        )
        server = GrpcServer(
            host=settings.host, port=settings.port, grace_seconds=settings.shutdown_grace_seconds
        )
        server.add(product_pb2_grpc.add_ProductServiceServicer_to_server, servicer, SERVICE_NAME)
        await server.run()
