"""Builds the panel's dependencies and serves ExpertService until stopped."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from expert_service.images import ImageLoader
from expert_service.knowledge import Retriever, load_embedder, load_knowledge
from expert_service.llm_slots import TurnOrderedSlots
from expert_service.memory import RoomMemory
from expert_service.panel import Panel
from expert_service.products import Catalog
from expert_service.profiles import ProfileStore
from expert_service.providers.base import Provider
from expert_service.servicer import ExpertServicer
from expert_service.settings import ExpertSettings
from expert_service.understanding import Understanding
from tftkit.grpc_client import open_channel
from tftkit.grpc_server import GrpcServer
from tftkit.identity import auth_service_verifier
from tftkit.object_store import ObjectStoreSettings, build_object_store
from tftkit.redis import connect_redis
from thefirsttake.expert.v1 import expert_pb2_grpc

log = logging.getLogger(__name__)


def build_provider(settings: ExpertSettings) -> Provider:
    """The engine the settings choose."""
    if settings.llm_provider == "anthropic":
        from expert_service.providers.anthropic import AnthropicProvider

        return AnthropicProvider.from_settings(settings)
    if settings.llm_provider == "openai":
        from expert_service.providers.openai_compat import OpenAICompatProvider

        return OpenAICompatProvider.from_settings(settings)
    from expert_service.providers.offline import OfflineProvider

    return OfflineProvider(delta_delay_seconds=settings.offline_delta_delay_seconds)


async def _enable_semantic(retriever: Retriever) -> None:
    embedder = await asyncio.to_thread(load_embedder)
    if embedder is not None:
        await asyncio.to_thread(retriever.enable_semantic, embedder)


@asynccontextmanager
async def open_panel(settings: ExpertSettings) -> AsyncIterator[Panel]:
    """A panel with its Redis, catalog channel, knowledge base and provider; closed on exit."""
    kb = load_knowledge(settings.knowledge_dir or None)
    retriever = Retriever(kb)
    # Embedding the passages takes seconds: serve lexically meanwhile.
    semantic = (
        asyncio.create_task(_enable_semantic(retriever)) if settings.semantic_retrieval else None
    )
    store_settings = ObjectStoreSettings()
    images = ImageLoader(
        store=build_object_store(store_settings),
        media_base_url=store_settings.public_base_url,
        allowed_hosts=[h.strip() for h in settings.image_allowed_hosts.split(",")],
        timeout_seconds=settings.image_timeout_seconds,
        max_bytes=settings.image_max_bytes,
    )
    channel = open_channel(settings.product_service_addr)
    catalog = Catalog(channel, timeout_seconds=settings.product_timeout_seconds)
    try:
        async with connect_redis(settings.redis_url) as redis:
            yield Panel(
                kb=kb,
                understanding=Understanding(catalog=catalog, kb=kb),
                retriever=retriever,
                catalog=catalog,
                memory=RoomMemory(
                    redis,
                    prefix=settings.redis_key_prefix,
                    max_turns=settings.history_max_turns,
                    ttl_seconds=settings.history_ttl_seconds,
                ),
                profiles=ProfileStore(redis, prefix=settings.redis_key_prefix),
                provider=build_provider(settings),
                images=images,
                llm_slots=TurnOrderedSlots(settings.max_concurrent_llm_calls),
                llm_timeout_seconds=settings.llm_timeout_seconds,
                delta_interval_seconds=settings.delta_interval_seconds,
            )
    finally:
        if semantic is not None:
            semantic.cancel()
        await channel.close()


async def serve(settings: ExpertSettings) -> None:
    """Serves until SIGINT/SIGTERM."""
    async with (
        open_panel(settings) as panel,
        open_channel(settings.auth_service_addr) as auth_channel,
    ):
        verifier = auth_service_verifier(auth_channel)
        server = GrpcServer(
            host=settings.host,
            port=settings.port,
            grace_seconds=settings.shutdown_grace_seconds,
            verifier=verifier,
        )
        server.add(
            expert_pb2_grpc.add_ExpertServiceServicer_to_server,
            ExpertServicer(panel, verifier=verifier),
            "thefirsttake.expert.v1.ExpertService",
        )
        log.info("expert panel ready", extra={"fields": {"provider": settings.llm_provider}})
        await server.run()
