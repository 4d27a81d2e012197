"""The seed's SSE metrics and the HTTP request metric, seen moving on the gateway's registry.

The gateway runs for real (uvicorn on a free port) in front of a real gRPC server that plays
chat-service with scripted turns; an httpx client streams, reads and hangs up. Every test reads
the samples before and after what it does.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import httpx
import pytest
import pytest_asyncio
from prometheus_client import REGISTRY

import gateway.sse as sse
from gateway.app import create_app
from gateway.clients import Clients
from gateway.cookies import GUEST_COOKIE
from gateway.settings import GatewaySettings
from tftkit.testing import AsgiTestServer, TestIdentities, serving
from thefirsttake.chat.v1 import chat_pb2, chat_pb2_grpc

STREAM = "/api/chat/rooms/messages/stream"
FIRST_EVENT_DELAY = 0.2


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _event(n: int, **event: object) -> chat_pb2.TurnEvent:
    return chat_pb2.TurnEvent(event_id=f"turn-1:{n}-0", timestamp_ms=1, **event)


def _content(n: int) -> chat_pb2.TurnEvent:
    return _event(
        n,
        content=chat_pb2.ContentDelta(agent_id="color_expert", agent_name="컬러", message="네"),
    )


class ScriptedChat(chat_pb2_grpc.ChatServiceServicer):
    """chat-service's two streaming RPCs, each turn ending as its user_input says."""

    async def StreamTurn(self, request, context):
        # A turn takes a moment to start: the creation duration must include it.
        await asyncio.sleep(FIRST_EVENT_DELAY)
        yield _event(1, connect=chat_pb2.Connected(room_id="1", turn_id="turn-1"))
        script = request.user_input
        if script == "complete":
            yield _content(2)
            yield _event(3, final_complete=chat_pb2.TurnComplete(message="끝", total_experts=1))
        elif script == "endless":
            for n in range(2, 100_000):
                yield _content(n)
                await asyncio.sleep(0.02)
        elif script == "turn-error":
            yield _event(2, error=chat_pb2.TurnError(message="답변을 저장하지 못했어요"))
        elif script == "service-error":
            await context.abort(grpc.StatusCode.INTERNAL, "boom")
        elif script == "idle":
            return  # chat-service stopped following an idle turn: no last event
        elif script == "hang":
            await asyncio.sleep(60)  # outlives the gateway's stream deadline

    async def ResumeTurn(self, request, context):
        yield _content(5)
        yield _event(6, final_complete=chat_pb2.TurnComplete(message="끝", total_experts=1))


@dataclass
class Gateway:
    client: httpx.AsyncClient

    async def stream(self, script: str, **kwargs) -> list[str]:
        """The event names of a whole stream."""
        names = []
        params = {"user_input": script}
        async with self.client.stream("GET", STREAM, params=params, **kwargs) as response:
            assert response.status_code == 200
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    names.append(line.split(":", 1)[1].strip())
        return names


@pytest_asyncio.fixture
async def gateway() -> AsyncIterator[Gateway]:
    identities = TestIdentities()
    registration = (
        chat_pb2_grpc.add_ChatServiceServicer_to_server,
        ScriptedChat(),
        "thefirsttake.chat.v1.ChatService",
    )
    async with serving(registration) as address:
        settings = GatewaySettings(CHAT_SERVICE_ADDR=address, stream_timeout_seconds=1.0)
        app = create_app(settings)
        clients = Clients.connect(settings)
        # The test's own signing key stands in for auth-service's published ones.
        clients.verifier = identities.verifier
        app.state.clients = clients
        server = AsgiTestServer(app, name="gateway")
        base_url = await server.start()
        cookies = {GUEST_COOKIE: identities.token("guest-1")}
        try:
            async with httpx.AsyncClient(base_url=base_url, cookies=cookies, timeout=10) as client:
                yield Gateway(client)
        finally:
            await server.stop()
            await clients.close()


async def eventually(condition, within: float = 5.0) -> None:
    for _ in range(int(within / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the metric never moved")


async def test_a_completed_stream_is_opened_timed_and_closed(gateway):
    opened = sample("sse_connections_total")
    created = sample("sse_connection_creation_duration_count")
    created_sum = sample("sse_connection_creation_duration_sum")
    total = sample("sse_api_total_response_duration_count")
    lifetime = sample("sse_connection_lifetime_count")
    completed = sample("sse_connection_duration_count", outcome="completed")
    misses = sample("sse_connection_pool_misses_total")
    ended_badly = [
        sample(name)
        for name in (
            "sse_disconnections_total",
            "sse_connection_timeouts_total",
            "sse_connection_errors_total",
        )
    ]
    requests = sample("http_server_requests_seconds_count", method="GET", uri=STREAM, status="200")

    assert await gateway.stream("complete") == ["connect", "content", "final_complete"]

    await eventually(lambda: sample("sse_api_total_response_duration_count") == total + 1)
    assert sample("sse_connections_total") == opened + 1
    assert sample("sse_connections_active") == 0
    assert sample("sse_connection_creation_duration_count") == created + 1
    # From the request's arrival: the turn's slow start is inside.
    assert sample("sse_connection_creation_duration_sum") - created_sum >= FIRST_EVENT_DELAY
    assert sample("sse_connection_lifetime_count") == lifetime + 1
    assert sample("sse_connection_duration_count", outcome="completed") == completed + 1
    assert sample("sse_connection_pool_misses_total") == misses + 1
    assert [
        sample(name)
        for name in (
            "sse_disconnections_total",
            "sse_connection_timeouts_total",
            "sse_connection_errors_total",
        )
    ] == ended_badly
    await eventually(
        lambda: (
            sample("http_server_requests_seconds_count", method="GET", uri=STREAM, status="200")
            == requests + 1
        )
    )


async def test_a_client_that_hangs_up_is_a_disconnection(gateway):
    disconnections = sample("sse_disconnections_total")
    gone = sample("sse_connection_duration_count", outcome="disconnected")
    total = sample("sse_api_total_response_duration_count")
    async with gateway.client.stream("GET", STREAM, params={"user_input": "endless"}) as response:
        seen = 0
        async for line in response.aiter_lines():
            seen += line.startswith("event:")
            if seen == 3:
                assert sample("sse_connections_active") == 1
                break  # leaving the block closes the connection mid-stream
    await eventually(lambda: sample("sse_disconnections_total") == disconnections + 1)
    assert sample("sse_connection_duration_count", outcome="disconnected") == gone + 1
    assert sample("sse_api_total_response_duration_count") == total + 1
    assert sample("sse_connections_active") == 0


@pytest.mark.parametrize(
    ("script", "counter", "outcome", "events"),
    [
        ("turn-error", "sse_connection_errors_total", "error", ["connect", "error"]),
        ("service-error", "sse_connection_errors_total", "error", ["connect", "error"]),
        ("idle", "sse_connection_timeouts_total", "timeout", ["connect"]),
        ("hang", "sse_connection_timeouts_total", "timeout", ["connect", "error"]),
    ],
)
async def test_streams_ended_by_an_error_or_a_timeout_are_counted_so(
    gateway, script, counter, outcome, events
):
    before = sample(counter)
    by_outcome = sample("sse_connection_duration_count", outcome=outcome)
    disconnections = sample("sse_disconnections_total")
    assert await gateway.stream(script) == events
    await eventually(lambda: sample(counter) == before + 1)
    assert sample("sse_connection_duration_count", outcome=outcome) == by_outcome + 1
    assert sample("sse_disconnections_total") == disconnections


async def test_a_resumed_stream_is_a_pool_hit(gateway):
    hits = sample("sse_connection_pool_hits_total")
    misses = sample("sse_connection_pool_misses_total")
    events = await gateway.stream("complete", headers={"Last-Event-ID": "turn-1:1-0"})
    assert events == ["content", "final_complete"]
    await eventually(lambda: sample("sse_connection_pool_hits_total") == hits + 1)
    assert sample("sse_connection_pool_misses_total") == misses


async def test_memory_is_sampled_on_scrape_and_as_each_stream_ends(gateway, monkeypatch):
    resident = sample("sse_connection_memory_usage_bytes")
    assert resident > 0
    ballast = b"x" * (64 * 1024 * 1024)  # written, so resident
    assert sample("sse_connection_memory_usage_bytes") - resident >= 48 * 1024 * 1024
    del ballast

    sampled = sample("sse_api_memory_usage_bytes_count")
    peaks = sample("sse_api_memory_peak_total")
    await gateway.stream("complete")
    await eventually(lambda: sample("sse_api_memory_usage_bytes_count") == sampled + 1)
    assert sample("sse_api_memory_peak_total") == peaks  # far below this machine's memory

    # A limit this process is over: the stream's end counts a peak.
    monkeypatch.setattr(sse, "MEMORY_LIMIT_BYTES", 1024.0)
    await gateway.stream("complete")
    await eventually(lambda: sample("sse_api_memory_peak_total") == peaks + 1)


async def test_unrouted_requests_are_timed_without_their_path(gateway):
    before = sample("http_server_requests_seconds_count", method="GET", uri="UNKNOWN", status="404")
    assert (await gateway.client.get("/no/such/page/12345")).status_code == 404
    assert (
        sample("http_server_requests_seconds_count", method="GET", uri="UNKNOWN", status="404")
        == before + 1
    )


async def test_a_client_that_stops_reading_is_a_timeout():
    """sse-starlette's send timeout, driven over raw ASGI: the transport never takes a byte."""

    async def never_sent(message) -> None:
        if message["type"] == "http.response.body":
            await asyncio.sleep(60)

    async def connected() -> dict:
        await asyncio.sleep(60)
        return {"type": "http.disconnect"}

    async def rest() -> AsyncIterator[chat_pb2.TurnEvent]:
        yield _content(2)

    class _Call:
        def cancel(self) -> bool:
            return True

    timeouts = sample("sse_connection_timeouts_total")
    disconnections = sample("sse_disconnections_total")
    meter = sse.StreamMeter(received_at=time.perf_counter(), resumed=False)
    first = _event(1, connect=chat_pb2.Connected(room_id="1", turn_id="turn-1"))
    response = sse.MeteredEventSourceResponse(
        sse.sse_events(first, rest(), _Call(), meter), meter=meter, send_timeout=0.1
    )
    scope = {"type": "http", "method": "GET", "headers": []}
    with pytest.raises(sse.SendTimeoutError):
        await response(scope, connected, never_sent)
    assert sample("sse_connection_timeouts_total") == timeouts + 1
    assert sample("sse_disconnections_total") == disconnections
