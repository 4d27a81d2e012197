"""fitting-service process: stores, the person reader, engines, workers and the gRPC server."""

import logging

from fitting_service.body import BodyReader
from fitting_service.engines.base import TryOnEngine
from fitting_service.engines.fitroom import FitRoomEngine
from fitting_service.engines.local import LocalEngine
from fitting_service.product_client import ProductClient
from fitting_service.servicer import FittingServicer
from fitting_service.settings import FittingSettings
from fitting_service.tasks import TaskStore
from fitting_service.tryon import TryOns
from fitting_service.workers import Workers
from tftkit.grpc_client import open_channel
from tftkit.grpc_server import GrpcServer
from tftkit.identity import auth_service_verifier
from tftkit.object_store import ObjectStoreSettings, build_object_store
from tftkit.redis import connect_redis
from tftkit.safe_fetch import SafeImageFetcher
from thefirsttake.fitting.v1 import fitting_pb2, fitting_pb2_grpc
from thefirsttake.product.v1 import product_pb2_grpc

log = logging.getLogger(__name__)

SERVICE_NAME = fitting_pb2.DESCRIPTOR.services_by_name["FittingService"].full_name


def build_fetcher(settings: FittingSettings, objects, store_settings) -> SafeImageFetcher:
    """The proxy's fetcher: allow-listed hosts, plus catalog pictures read from the store."""
    return SafeImageFetcher(
        allowed_hosts=settings.proxy_allowed_hosts,
        trusted_networks=settings.proxy_trusted_networks,
        store=objects,
        store_base_url=store_settings.public_base_url,
        max_bytes=settings.proxy_max_bytes,
        timeout_seconds=settings.proxy_timeout_seconds,
        max_redirects=settings.proxy_max_redirects,
    )


async def serve(settings: FittingSettings) -> None:
    store_settings = ObjectStoreSettings()
    objects = build_object_store(store_settings)
    fetcher = build_fetcher(settings, objects, store_settings)
    reader = BodyReader()
    engines: dict[str, TryOnEngine] = {"local": LocalEngine()}
    fitroom = FitRoomEngine.from_settings(settings) if settings.fitroom_api_key else None
    if fitroom is not None:
        engines["fitroom"] = fitroom
    product_channel = open_channel(settings.product_service_addr)
    auth_channel = open_channel(settings.auth_service_addr)
    verifier = auth_service_verifier(auth_channel)
    async with connect_redis(settings.redis_url) as redis:
        tasks = TaskStore(
            redis, ttl_seconds=settings.task_ttl_seconds, prefix=settings.redis_key_prefix
        )
        tryons = TryOns(
            settings=settings,
            redis=redis,
            tasks=tasks,
            objects=objects,
            products=ProductClient(
                stub=product_pb2_grpc.ProductServiceStub(product_channel),
                fetcher=fetcher,
                timeout_seconds=settings.product_timeout_seconds,
            ),
            reader=reader,
            engines=engines,
        )
        workers = Workers(
            redis=redis,
            store=tasks,
            run=tryons.run,
            count=settings.workers,
            task_timeout_seconds=settings.task_timeout_seconds,
        )
        # The person models load before health says SERVING, so no one waits on the first task.
        await reader.warm_up()
        await workers.start()
        server = GrpcServer(
            host=settings.host,
            port=settings.port,
            grace_seconds=settings.shutdown_grace_seconds,
            verifier=verifier,
            # An oversized photo is refused as it arrives, not after it is buffered: a photo at
            # its limit and the rest of its message fit.
            max_message_bytes=settings.max_photo_bytes + 64 * 1024,
        )
        server.add(
            fitting_pb2_grpc.add_FittingServiceServicer_to_server,
            FittingServicer(tryons=tryons, fetcher=fetcher, tasks=tasks, verifier=verifier),
            SERVICE_NAME,
        )
        log.info("try-on engine: %s", settings.engine_name)
        try:
            await server.run()
        finally:
            await workers.stop()
            reader.close()
            await product_channel.close()
            await auth_channel.close()
            if fitroom is not None:
                await fitroom.aclose()
