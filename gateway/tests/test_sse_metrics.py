"""The SSE stream (wire format, heartbeats, a departed or stalled client, load shedding,
shutdown) and its metrics, seen on the wire and moving on the gateway's registry.

The gateway runs for real (uvicorn on a free port) in front of a real gRPC server that plays
chat-service with scripted turns; an httpx client streams, reads and hangs up. Every test reads
the samples before and after what it does. What a socket cannot arrange (a transport that never
takes a byte) is driven over raw ASGI.
"""

import asyncio
import gc
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import grpc
import httpx
import pytest
import pytest_asyncio
import uvicorn
from prometheus_client import REGISTRY

import gateway.sse as sse
from gateway.__main__ import GatewayServer
from gateway.app import create_app
from gateway.clients import Clients
from gateway.cookies import GUEST_COOKIE
from gateway.settings import GatewaySettings
from tftkit.grpc_mux import ListenerCall, Method, serve_listeners
from tftkit.testing import AsgiTestServer, TestIdentities, serving
from thefirsttake.chat.v1 import chat_pb2, chat_pb2_grpc

STREAM = "/api/chat/rooms/messages/stream"
FIRST_EVENT_DELAY = 0.2
STREAM_TIMEOUT = 2.5


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _event(n: int, **event: object) -> chat_pb2.TurnEvent:
    return chat_pb2.TurnEvent(event_id=f"turn-1:{n}-0", timestamp_ms=1, **event)


def _content(n: int) -> chat_pb2.TurnEvent:
    return _event(
        n,
        content=chat_pb2.ContentDelta(agent_id="color_expert", agent_name="컬러", message="네"),
    )


def _heartbeat() -> chat_pb2.TurnEvent:
    return chat_pb2.TurnEvent(heartbeat=chat_pb2.Heartbeat())


class ScriptedChat(chat_pb2_grpc.ChatServiceServicer):
    """chat-service's two streaming RPCs, each turn ending as its user_input says; counts the
    calls and notes a listening call the gateway cancelled."""

    def __init__(self) -> None:
        self.calls = 0
        self.follow_calls = 0
        self.cancelled = asyncio.Event()

    async def StreamTurn(self, request, context):
        self.calls += 1
        script = request.user_input
        if script == "busy":  # chat-service's queue is full: no retry time of its own
            await context.abort(
                grpc.StatusCode.RESOURCE_EXHAUSTED, "too many turns running; retry soon"
            )
        # A turn takes a moment to start: the creation duration must include it.
        await asyncio.sleep(FIRST_EVENT_DELAY)
        yield _event(1, connect=chat_pb2.Connected(room_id="1", turn_id="turn-1"))
        try:
            async for event in self._script(script, context):
                yield event
        except asyncio.CancelledError:
            self.cancelled.set()
            raise

    async def _script(self, script: str, context) -> AsyncIterator[chat_pb2.TurnEvent]:
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
        elif script == "pinged":
            yield _heartbeat()
            yield _content(2)
            yield _event(3, final_complete=chat_pb2.TurnComplete(message="끝", total_experts=1))
        elif script == "quiet":  # a turn thinking for long: only chat-service's heartbeats
            while True:
                await asyncio.sleep(0.05)
                yield _heartbeat()

    async def ResumeTurn(self, request, context):
        yield _content(5)
        yield _event(6, final_complete=chat_pb2.TurnComplete(message="끝", total_experts=1))

    async def FollowTurns(self, request_iterator, context):
        self.follow_calls += 1
        methods = {
            "stream_turn": Method("StreamTurn", self.StreamTurn),
            "resume_turn": Method("ResumeTurn", self.ResumeTurn),
        }
        async for response in serve_listeners(
            request_iterator,
            methods=methods,
            response_type=chat_pb2.FollowTurnsResponse,
            verifier=None,
        ):
            yield response


@dataclass
class Gateway:
    client: httpx.AsyncClient
    chat: ScriptedChat
    app: object

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


@asynccontextmanager
async def running_gateway(**settings: object) -> AsyncIterator[Gateway]:
    identities = TestIdentities()
    chat = ScriptedChat()
    registration = (
        chat_pb2_grpc.add_ChatServiceServicer_to_server,
        chat,
        "thefirsttake.chat.v1.ChatService",
    )
    async with serving(registration) as address:
        config = GatewaySettings(
            CHAT_SERVICE_ADDR=address, stream_timeout_seconds=STREAM_TIMEOUT, **settings
        )
        app = create_app(config)
        clients = Clients.connect(config)
        # The test's own signing key stands in for auth-service's published ones.
        clients.verifier = identities.verifier
        app.state.clients = clients
        server = AsgiTestServer(app, name="gateway")
        base_url = await server.start()
        cookies = {GUEST_COOKIE: identities.token("guest-1")}
        try:
            async with httpx.AsyncClient(base_url=base_url, cookies=cookies, timeout=10) as client:
                yield Gateway(client, chat, app)
        finally:
            await server.stop()
            await clients.close()


@pytest_asyncio.fixture
async def gateway() -> AsyncIterator[Gateway]:
    async with running_gateway() as running:
        yield running


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


async def test_the_wire_format_and_a_heartbeat_as_a_comment(gateway):
    async with gateway.client.stream("GET", STREAM, params={"user_input": "pinged"}) as response:
        assert response.status_code == 200
        headers = response.headers
        body = (await response.aread()).decode()
    assert headers["content-type"] == "text/event-stream; charset=utf-8"
    assert headers["cache-control"] == "no-cache"
    assert headers["x-accel-buffering"] == "no"
    messages = body.split("\r\n\r\n")
    assert messages[-1] == ""  # every message ends with a blank line
    connect, ping, content, final = messages[:-1]
    lines = connect.split("\r\n")
    assert lines[:2] == ["id: turn-1:1-0", "event: connect"]
    assert lines[2].startswith("data: ") and len(lines) == 3
    assert json.loads(lines[2].removeprefix("data: "))["data"]["type"] == "connect"
    # chat-service's heartbeat: a comment, no id (a resume never points at it), no event.
    assert ping == ": ping"
    assert content.startswith("id: turn-1:2-0\r\nevent: content\r\ndata: {")
    assert json.loads(content.split("data: ", 1)[1])["data"]["message"] == "네"
    assert final.startswith("id: turn-1:3-0\r\nevent: final_complete\r\n")


async def test_a_client_gone_is_noticed_at_once_and_its_call_cancelled(gateway):
    """No write is needed: the turn sends nothing at all, and the stream ends as soon as the
    client's connection is gone (not at the deadline, not at a heartbeat)."""
    disconnections = sample("sse_disconnections_total")
    async with gateway.client.stream("GET", STREAM, params={"user_input": "hang"}) as response:
        async for line in response.aiter_lines():
            if line.startswith("event: connect"):
                break  # the turn writes nothing from here, not even a heartbeat
    left = time.perf_counter()
    await eventually(lambda: sample("sse_disconnections_total") == disconnections + 1)
    assert time.perf_counter() - left < STREAM_TIMEOUT / 2
    # The gateway stopped listening: chat-service saw its call cancelled.
    await asyncio.wait_for(gateway.chat.cancelled.wait(), 5)
    assert sample("sse_connections_active") == 0
    assert len(gateway.app.state.streams) == 0


def _alive(kind: type) -> int:
    """Objects of `kind` in the process: in use, or unreachable and waiting for the collector."""
    return sum(isinstance(o, kind) for o in gc.get_objects())


@pytest.mark.parametrize("script", ["quiet", "endless", "hang"])
async def test_a_stream_the_client_left_is_freed_without_the_cycle_collector(gateway, script):
    """What a stream held is freed by reference counting as it ends: objects left in reference
    cycles wait for a full collection, which comes rarely in a process this size, so under
    connect/leave churn they would pile up."""
    gc.collect()
    before = _alive(ListenerCall), _alive(sse.EventStream)
    disconnections = sample("sse_disconnections_total")
    gc.disable()
    try:
        async with gateway.client.stream("GET", STREAM, params={"user_input": script}) as response:
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    break  # the turn runs on: heartbeats, deltas or nothing at all
        await eventually(lambda: sample("sse_disconnections_total") == disconnections + 1)
        await eventually(lambda: (_alive(ListenerCall), _alive(sse.EventStream)) == before)
    finally:
        gc.enable()


async def test_a_stream_past_the_open_stream_limit_is_refused_before_chat_service():
    async with running_gateway(max_open_streams=1) as gateway:
        async with gateway.client.stream("GET", STREAM, params={"user_input": "quiet"}) as held:
            assert held.status_code == 200
            refused = await gateway.client.get(STREAM, params={"user_input": "complete"})
            assert refused.status_code == 503
            assert refused.headers["retry-after"].isdigit()
            assert refused.json() == {
                "status": "fail",
                "message": "the server is busy; retry soon",
                "data": None,
            }
            assert gateway.chat.calls == 1  # only the held stream's
        # Its place is free again once it closed.
        await eventually(lambda: len(gateway.app.state.streams) == 0)
        assert await gateway.stream("complete") == ["connect", "content", "final_complete"]


async def test_streams_are_refused_while_memory_is_above_its_share():
    # Any process is above a millionth of this machine's memory.
    async with running_gateway(max_memory_share=1e-6) as gateway:
        refused = await gateway.client.get(STREAM, params={"user_input": "complete"})
        assert refused.status_code == 503 and refused.headers["retry-after"].isdigit()
        assert gateway.chat.calls == 0


async def test_a_full_chat_service_is_429_with_retry_after_never_5xx(gateway):
    refused = await gateway.client.get(STREAM, params={"user_input": "busy"})
    assert refused.status_code == 429
    assert refused.headers["retry-after"].isdigit()
    assert refused.json()["message"] == "too many turns running; retry soon"


async def test_a_shutdown_ends_open_streams_cleanly():
    """GatewayServer drains the streams: uvicorn would otherwise wait for every turn to end."""
    async with running_gateway() as gateway:
        server = GatewayServer(
            uvicorn.Config(gateway.app, log_config=None, lifespan="off"), gateway.app.state.streams
        )
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        serving_task = asyncio.create_task(server.serve(sockets=[sock]))
        await eventually(lambda: server.started)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}{STREAM}"
        disconnections = sample("sse_disconnections_total")
        names = []
        async with gateway.client.stream("GET", url, params={"user_input": "quiet"}) as response:
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    names.append(line)
                    server.should_exit = True
        # The body ended as a stream ends (no broken chunk), the server stopped at once.
        assert names == ["event: connect"]
        await asyncio.wait_for(serving_task, 5)
        await asyncio.wait_for(gateway.chat.cancelled.wait(), 5)
        assert sample("sse_disconnections_total") == disconnections + 1


class _Call:
    """The listening gRPC call, as far as the response uses it."""

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> bool:
        self.cancelled = True
        return True


def _response(*events: chat_pb2.TurnEvent, send_timeout: float = 30.0):
    async def rest() -> AsyncIterator[chat_pb2.TurnEvent]:
        for event in events:
            yield event

    call = _Call()
    meter = sse.StreamMeter(received_at=time.perf_counter(), resumed=False)
    streams = sse.OpenStreams(max_open=10, memory_share=1.0)
    first = _event(1, connect=chat_pb2.Connected(room_id="1", turn_id="turn-1"))
    response = sse.EventStream(
        first, rest(), call, meter=meter, streams=streams, headers={}, send_timeout=send_timeout
    )
    return response, call, streams


async def _connected() -> dict:
    await asyncio.sleep(60)
    return {"type": "http.disconnect"}


async def test_a_client_that_stops_reading_is_a_timeout():
    """The transport never takes a byte of the body: the send times out, the stream ends."""

    async def never_sent(message) -> None:
        if message["type"] == "http.response.body":
            await asyncio.sleep(60)

    timeouts = sample("sse_connection_timeouts_total")
    disconnections = sample("sse_disconnections_total")
    response, call, streams = _response(_content(2), send_timeout=0.1)
    scope = {"type": "http", "method": "GET", "headers": []}
    started = time.perf_counter()
    await asyncio.wait_for(response(scope, _connected, never_sent), 5)
    assert time.perf_counter() - started < 1
    assert sample("sse_connection_timeouts_total") == timeouts + 1
    assert sample("sse_disconnections_total") == disconnections
    assert call.cancelled and len(streams) == 0


async def test_head_is_answered_without_a_stream():
    sent: list[dict] = []

    async def send(message) -> None:
        sent.append(message)

    opened = sample("sse_connections_total")
    response, call, _ = _response(_content(2))
    await response({"type": "http", "method": "HEAD", "headers": []}, _connected, send)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert dict(sent[0]["headers"])[b"content-type"] == b"text/event-stream; charset=utf-8"
    assert sent[1]["body"] == b"" and not sent[1].get("more_body", False)
    assert call.cancelled
    assert sample("sse_connections_total") == opened


async def test_the_event_loop_task_count_is_on_the_scrape(gateway):
    text = (await gateway.client.get("/actuator/prometheus")).text
    line = next(line for line in text.splitlines() if line.startswith("asyncio_tasks "))
    assert float(line.split()[1]) >= 1  # at least the scrape's own request
