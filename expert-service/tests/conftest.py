"""Fixtures: a real grpc.aio catalog server, real Redis, and a running ExpertService."""

import sys
import uuid
from pathlib import Path

import grpc
import pytest
from redis.asyncio import Redis

from tftkit.testing import TEST_REDIS_URL

sys.path.insert(0, str(Path(__file__).parent))

from expert_test_catalog import start_catalog_server


@pytest.fixture
async def catalog():
    """(address, servicer) of a ProductService over the fixture catalog."""
    server, address, servicer = await start_catalog_server()
    try:
        yield address, servicer
    finally:
        await server.stop(None)


@pytest.fixture
async def redis():
    """A client of the shared test Redis; the test's keys are deleted afterwards."""
    client = Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    prefix = f"experttest-{uuid.uuid4().hex[:8]}"
    client.test_prefix = prefix  # type: ignore[attr-defined]
    try:
        yield client
    finally:
        keys = [key async for key in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture
def room_id() -> str:
    return f"room-{uuid.uuid4().hex[:10]}"


async def collect(stream) -> list:
    """Every message of a server stream."""
    return [event async for event in stream]


@pytest.fixture
def grpc_error():
    return grpc.aio.AioRpcError


@pytest.fixture
def settings_for(redis):
    """Settings of an offline expert service against a catalog address."""
    from expert_service.settings import ExpertSettings

    def build(address: str, **overrides):
        values = dict(
            redis_url=TEST_REDIS_URL,
            product_service_addr=address,
            port=0,
            metrics_port=0,
            redis_key_prefix=redis.test_prefix,
            offline_delta_delay_seconds=0.0,
            llm_provider="offline",
            semantic_retrieval=False,
        )
        values.update(overrides)
        return ExpertSettings(**values)

    return build


@pytest.fixture
def media(tmp_path, monkeypatch):
    """A local object store for uploads; returns put(name, rgb) -> the photo's URL and bytes."""
    import io

    from PIL import Image

    monkeypatch.setenv("OBJECT_STORE_DIR", str(tmp_path))
    monkeypatch.setenv("MEDIA_BASE_URL", "http://127.0.0.1:8000/media")
    # Where chat-service keeps uploads (expert_service.images.UPLOADS_PREFIX).
    (tmp_path / "private" / "uploads").mkdir(parents=True)

    def put(name: str, rgb: tuple[int, int, int]) -> tuple[str, bytes]:
        image = Image.new("RGB", (120, 160), (236, 234, 230))
        image.paste(Image.new("RGB", (80, 110), rgb), (20, 25))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG")
        (tmp_path / "private" / "uploads" / f"{name}.jpg").write_bytes(buffer.getvalue())
        return f"http://127.0.0.1:8000/media/private/uploads/{name}.jpg", buffer.getvalue()

    return put


@pytest.fixture
async def expert_stub(catalog, settings_for, media):
    """A running ExpertService (offline engine) and a client stub."""
    from contextlib import AsyncExitStack

    from expert_service.server import open_panel
    from expert_service.servicer import ExpertServicer
    from tftkit.grpc_server import GrpcServer
    from tftkit.testing import ActingStub, TestIdentities
    from thefirsttake.expert.v1 import expert_pb2_grpc

    address, _ = catalog
    async with AsyncExitStack() as stack:
        panel = await stack.enter_async_context(open_panel(settings_for(address)))
        identities = TestIdentities()
        server = GrpcServer(
            host="127.0.0.1", port=0, grace_seconds=0.5, verifier=identities.verifier
        )
        server.add(
            expert_pb2_grpc.add_ExpertServiceServicer_to_server,
            ExpertServicer(panel, verifier=identities.verifier),
            "thefirsttake.expert.v1.ExpertService",
        )
        await server.start()
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
        try:
            # Every call acts for one test user, as chat-service's calls act for the room's owner.
            stub = expert_pb2_grpc.ExpertServiceStub(channel)
            yield ActingStub(stub, identities.metadata("expert-test-user"))
        finally:
            await channel.close()
            await server.stop()
