"""chat-service against a real PostgreSQL and Redis, and an expert panel served over real gRPC
by a small scripted ExpertService written here."""

import asyncio
import functools
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import grpc
import pytest

from chat_service.server import MIGRATIONS, SERVICE_NAME
from chat_service.servicer import ChatServicer
from chat_service.settings import ChatSettings
from chat_service.turn_events import TurnEventLog
from chat_service.turn_listeners import TurnListeners
from chat_service.turn_queue import TurnQueue, consumer_name
from chat_service.turns import TurnRunner, turn_is_running
from tftkit.grpc_client import open_channel
from tftkit.object_store import LocalObjectStore
from tftkit.postgres import apply_migrations, connect_pool
from tftkit.redis import connect_redis
from tftkit.testing import TEST_REDIS_URL, TestIdentities, scratch_database, serving
from thefirsttake.chat.v1 import chat_pb2_grpc
from thefirsttake.common.v1 import common_pb2
from thefirsttake.expert.v1 import expert_pb2, expert_pb2_grpc

EXPERTS = {
    "style_analyst": ("스타일 분석가", "체형분석과 핏감을 중심으로 추천해드려요!"),
    "trend_expert": ("트렌드 전문가", "최신 트렌드를 반영해 추천해드려요!"),
    "color_expert": ("컬러 전문가", "피부톤에 어울리는 색상 조합을 바탕으로 추천해드려요!"),
    "fitting_coordinator": ("핏팅 코디네이터", "종합적으로 딱 하나의 추천을 해드려요!"),
}


@dataclass
class ScriptedPanel(expert_pb2_grpc.ExpertServiceServicer):
    """Answers every Consult with two deltas and a completion per expert.

    `fail` names experts that report a failure; `hang_after` makes the stream stop sending
    (but stay open) after that many completions, to test cancellation and timeouts.
    """

    fail: set[str] = field(default_factory=set)
    hang_after: int | None = None
    # End the stream with `drop_code` after this many completions, once (a restart, a stream
    # cut short on the way).
    drop_after: int | None = None
    drop_code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE
    requests: list[expert_pb2.ConsultRequest] = field(default_factory=list)
    adoptions: list[tuple[list[str], tuple]] = field(default_factory=list)

    async def ListExperts(self, request, context):
        return expert_pb2.ListExpertsResponse(
            experts=[
                expert_pb2.Expert(agent_id=agent_id, agent_name=name, agent_role=role)
                for agent_id, (name, role) in EXPERTS.items()
            ]
        )

    async def AdoptGuestMemory(self, request, context):
        self.adoptions.append((list(request.room_ids), tuple(context.invocation_metadata())))
        return expert_pb2.AdoptGuestMemoryResponse(adopted_rooms=len(request.room_ids))

    async def Consult(self, request, context):
        self.requests.append(request)
        chosen = list(request.expert_ids) or list(EXPERTS)
        for done, agent_id in enumerate(chosen):
            if self.hang_after is not None and done >= self.hang_after:
                await asyncio.sleep(3600)
            if self.drop_after is not None and done >= self.drop_after:
                self.drop_after = None
                await context.abort(self.drop_code, "restarting")
            name, role = EXPERTS[agent_id]
            expert = expert_pb2.Expert(agent_id=agent_id, agent_name=name, agent_role=role)
            if agent_id in self.fail:
                yield expert_pb2.ConsultEvent(
                    failed=expert_pb2.ExpertFailed(expert=expert, message="답변 실패")
                )
                continue
            text = f"{agent_id}: {request.user_input}에 맞춘 추천"
            for part in (text[:5], text[5:]):
                yield expert_pb2.ConsultEvent(
                    delta=expert_pb2.ExpertDelta(expert=expert, text=part)
                )
            yield expert_pb2.ConsultEvent(
                completed=expert_pb2.ExpertCompleted(
                    expert=expert,
                    message=text,
                    products=[
                        common_pb2.ProductRef(
                            product_id=f"{done + 1}00", product_url=f"http://img/{done + 1}00.png"
                        )
                    ],
                )
            )


@dataclass
class ChatHarness:
    stub: chat_pb2_grpc.ChatServiceStub
    pool: object
    redis: object
    panel: ScriptedPanel
    runner: TurnRunner
    events: TurnEventLog
    listeners: TurnListeners
    servicer_settings: ChatSettings
    identities: TestIdentities
    # Another replica's runner on the same queue (to take over from a dead one).
    new_runner: Callable[[], TurnRunner]

    def as_user(self, user_id: str):
        """Metadata of a call made for `user_id` (a token signed by the tests' own key)."""
        return self.identities.metadata(user_id)


@pytest.fixture
async def database() -> AsyncIterator[str]:
    async with scratch_database("chat_test") as dsn:
        yield dsn


@pytest.fixture
def panel() -> ScriptedPanel:
    return ScriptedPanel()


@pytest.fixture
async def chat(database, panel, tmp_path) -> AsyncIterator[ChatHarness]:
    settings = ChatSettings(postgres_dsn=database, redis_url=TEST_REDIS_URL, turn_timeout_seconds=5)
    expert_registration = (expert_pb2_grpc.add_ExpertServiceServicer_to_server, panel, "x")
    async with (
        serving(expert_registration) as expert_address,
        connect_pool(database) as pool,
        connect_redis(TEST_REDIS_URL) as redis,
        open_channel(expert_address) as expert_channel,
    ):
        await apply_migrations(pool, MIGRATIONS)
        events = TurnEventLog(redis=redis, ttl_seconds=60)
        listeners = TurnListeners(
            redis=redis,
            events=events,
            turn_is_live=functools.partial(turn_is_running, pool),
            heartbeat_seconds=settings.stream_heartbeat_seconds,
            idle_limit_seconds=10,
        )
        await listeners.start()
        queue_key = f"chat-test-queue-{uuid.uuid4().hex[:8]}"

        def new_runner() -> TurnRunner:
            """A process's runner: its own consumer on the test's queue."""
            queue = TurnQueue(
                redis=redis,
                key=queue_key,
                group="turn-workers",
                consumer=consumer_name(),
                lease_seconds=1.0,
            )
            return TurnRunner(
                pool=pool,
                redis=redis,
                events=events,
                queue=queue,
                experts=expert_pb2_grpc.ExpertServiceStub(expert_channel),
                timeout_seconds=settings.turn_timeout_seconds,
                workers=4,
                max_queued=50,
                max_input_chars=settings.max_input_chars,
            )

        runner = new_runner()
        await runner.queue.ensure_group()
        runner.run_workers()
        identities = TestIdentities()
        servicer = ChatServicer(
            pool=pool,
            redis=redis,
            runner=runner,
            events=events,
            listeners=listeners,
            store=LocalObjectStore(tmp_path, "http://media.test/media"),
            settings=settings,
            verifier=identities.verifier,
            experts=expert_pb2_grpc.ExpertServiceStub(expert_channel),
        )
        registration = (chat_pb2_grpc.add_ChatServiceServicer_to_server, servicer, SERVICE_NAME)
        async with (
            serving(
                registration,
                verifier=identities.verifier,
                max_message_bytes=settings.max_message_bytes,
            ) as address,
            open_channel(address) as channel,
        ):
            yield ChatHarness(
                identities=identities,
                stub=chat_pb2_grpc.ChatServiceStub(channel),
                pool=pool,
                redis=redis,
                panel=panel,
                runner=runner,
                events=events,
                listeners=listeners,
                servicer_settings=settings,
                new_runner=new_runner,
            )
        await runner.shutdown()
        await listeners.stop()
        await redis.delete(queue_key)


@pytest.fixture
def alice() -> str:
    return f"user-{uuid.uuid4()}"


@pytest.fixture
def bob() -> str:
    return f"user-{uuid.uuid4()}"
