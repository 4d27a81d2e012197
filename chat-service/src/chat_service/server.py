"""chat-service process: pools, migrations, the turn runner, gRPC server."""

import asyncio
import functools
from pathlib import Path

from chat_service.recovery import sweep_forever
from chat_service.servicer import ChatServicer
from chat_service.settings import ChatSettings
from chat_service.turn_events import TurnEventLog
from chat_service.turn_listeners import TurnListeners
from chat_service.turn_queue import TurnQueue, consumer_name
from chat_service.turns import MAX_ATTEMPTS, TurnRunner, turn_is_running
from tftkit.grpc_client import open_channel
from tftkit.grpc_server import GrpcServer
from tftkit.identity import auth_service_verifier
from tftkit.object_store import ObjectStoreSettings, build_object_store
from tftkit.postgres import apply_migrations, connect_pool
from tftkit.redis import connect_redis
from thefirsttake.chat.v1 import chat_pb2, chat_pb2_grpc
from thefirsttake.expert.v1 import expert_pb2_grpc

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = chat_pb2.DESCRIPTOR.services_by_name["ChatService"].full_name


async def serve(settings: ChatSettings) -> None:
    async with (
        connect_pool(settings.postgres_dsn) as pool,
        connect_redis(settings.redis_url) as redis,
        open_channel(settings.expert_service_addr) as expert_channel,
        open_channel(settings.auth_service_addr) as auth_channel,
    ):
        await apply_migrations(pool, MIGRATIONS)
        events = TurnEventLog(redis=redis, ttl_seconds=settings.turn_events_ttl_seconds)
        listeners = TurnListeners(
            redis=redis,
            events=events,
            turn_is_live=functools.partial(turn_is_running, pool),
            heartbeat_seconds=settings.stream_heartbeat_seconds,
            # A quiet turn past its own deadline is looked up: ended ones end their listeners.
            idle_limit_seconds=settings.turn_timeout_seconds + 30,
        )
        queue = TurnQueue(
            redis=redis,
            key=settings.turn_queue_key,
            group="turn-workers",
            consumer=consumer_name(),
            lease_seconds=settings.turn_lease_seconds,
        )
        await queue.ensure_group()
        runner = TurnRunner(
            pool=pool,
            redis=redis,
            events=events,
            queue=queue,
            experts=expert_pb2_grpc.ExpertServiceStub(expert_channel),
            timeout_seconds=settings.turn_timeout_seconds,
            workers=settings.max_concurrent_turns,
            max_queued=settings.max_queued_turns,
            max_input_chars=settings.max_input_chars,
        )
        verifier = auth_service_verifier(auth_channel)
        servicer = ChatServicer(
            pool=pool,
            redis=redis,
            runner=runner,
            events=events,
            listeners=listeners,
            store=build_object_store(ObjectStoreSettings()),
            settings=settings,
            verifier=verifier,
            experts=expert_pb2_grpc.ExpertServiceStub(expert_channel),
        )
        server = GrpcServer(
            host=settings.host,
            port=settings.port,
            grace_seconds=settings.shutdown_grace_seconds,
            verifier=verifier,
            # An oversized upload is refused as it arrives, not after it is buffered.
            max_message_bytes=settings.max_message_bytes,
        )
        server.add(chat_pb2_grpc.add_ChatServiceServicer_to_server, servicer, SERVICE_NAME)
        sweeper = asyncio.create_task(
            sweep_forever(
                pool=pool,
                events=events,
                # Past every attempt a queued turn may get (MAX_ATTEMPTS deadlines and leases).
                older_than_seconds=MAX_ATTEMPTS
                * (settings.turn_timeout_seconds + settings.turn_lease_seconds)
                + 60,
                every_seconds=60,
            )
        )
        await listeners.start()
        runner.run_workers()
        try:
            await server.run()
        finally:
            sweeper.cancel()
            await runner.shutdown()
            await listeners.stop()
