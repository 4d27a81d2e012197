"""Turn events from chat-service as Server-Sent Events (names and fields of SPEC.md §3), and
the seed's SSE metrics, recorded where the stream is served.

How a stream ends decides its counters: `completed` (final_complete sent), `disconnected`
(the client went away first; a gateway shutting down mid-stream looks the same), `timeout`
(the turn's deadline passed, the turn went idle so chat-service stopped following it, or the
client stopped reading for `send_timeout`) or `error` (a failure of the whole turn: its error
event, or a failed call).

Each stream costs the request's own coroutine, one parked task waiting for the client to go
away, and what they hold: keep-alive comments come from chat-service's Heartbeat events rather
than from a timer per stream here.
"""

import asyncio
import json
import math
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import grpc
from prometheus_client import Counter, Gauge, Histogram
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from gateway.errors import ApiError, api_error_from_rpc, envelope
from gateway.metrics import MEMORY_LIMIT_BYTES, MEMORY_PEAK_SHARE, resident_memory_bytes
from gateway.schemas import product_refs
from thefirsttake.chat.v1 import chat_pb2

# A send the client takes nothing of for this long ends the stream (outcome `timeout`).
SEND_TIMEOUT_SECONDS = 30.0
# A GET has one request message (its empty body) before a disconnect; a few more are read
# and dropped, never an endless supply.
_PENDING_MESSAGES = 4
PING = b": ping\r\n\r\n"
_STREAM_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    # nginx and its kin would otherwise buffer the stream.
    "X-Accel-Buffering": "no",
}
BUSY_MESSAGE = "the server is busy; retry soon"
BUSY_RETRY_AFTER_SECONDS = 5

_STREAM_SECONDS = (1, 5, 10, 30, 60, 120, 300, 600)

SSE_CONNECTIONS = Counter("sse_connections_total", "SSE streams opened")
SSE_ACTIVE = Gauge("sse_connections_active", "SSE streams open now")
SSE_LIFETIME = Histogram(
    "sse_connection_lifetime",
    "Seconds an SSE stream stayed open",
    buckets=_STREAM_SECONDS,
)
SSE_DURATION = Histogram(
    "sse_connection_duration",
    "Seconds an SSE stream stayed open, by how it ended (completed, disconnected, timeout, error)",
    ["outcome"],
    buckets=_STREAM_SECONDS,
)
SSE_CREATION = Histogram(
    "sse_connection_creation_duration",
    "Seconds from the request's arrival to the stream's first event sent",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SSE_TOTAL_RESPONSE = Histogram(
    "sse_api_total_response_duration",
    "Seconds from the request's arrival to the stream's end",
    buckets=_STREAM_SECONDS,
)
SSE_DISCONNECTIONS = Counter(
    "sse_disconnections_total", "SSE streams the client left before their end"
)
SSE_TIMEOUTS = Counter(
    "sse_connection_timeouts_total",
    "SSE streams ended by a timeout (turn deadline, idle turn, client not reading)",
)
SSE_ERRORS = Counter(
    "sse_connection_errors_total", "SSE streams ended by an error event or a failed call"
)
SSE_POOL_HITS = Counter(
    "sse_connection_pool_hits_total",
    "SSE streams that re-attached to a running turn's kept event log (Last-Event-ID)",
)
SSE_POOL_MISSES = Counter(
    "sse_connection_pool_misses_total", "SSE streams that started a new turn's event log"
)
# Resident memory of the process holding the streams, read on scrape rather than per event; a
# stream's own share is not separable from the process's (divide by sse_connections_active
# for the seed's per-connection view).
SSE_MEMORY = Gauge(
    "sse_connection_memory_usage_bytes",
    "Resident memory of the gateway process that holds the SSE streams (read on scrape)",
)
SSE_MEMORY.set_function(resident_memory_bytes)
SSE_API_MEMORY = Histogram(
    "sse_api_memory_usage_bytes",
    "Resident memory of the gateway process sampled as each SSE stream ends",
    buckets=tuple(float(2**power) for power in range(25, 34)),  # 32 MiB … 8 GiB
)
SSE_MEMORY_PEAKS = Counter(
    "sse_api_memory_peak_total",
    "SSE streams that ended with the gateway above 80 % of its memory limit",
)

_OUTCOME_COUNTERS = {
    "disconnected": SSE_DISCONNECTIONS,
    "timeout": SSE_TIMEOUTS,
    "error": SSE_ERRORS,
}
# Every ending's series exists from the start, at zero.
for _outcome in ("completed", *_OUTCOME_COUNTERS):
    SSE_DURATION.labels(_outcome)


class StreamMeter:
    """The metrics of one SSE stream, from the request's arrival to the stream's close."""

    def __init__(self, *, received_at: float, resumed: bool) -> None:
        self.received_at = received_at
        self.resumed = resumed
        self.opened_at: float | None = None
        # Until the stream says otherwise: leaving early is the client going away.
        self.outcome = "disconnected"

    def open(self) -> None:
        self.opened_at = time.perf_counter()
        SSE_CONNECTIONS.inc()
        SSE_ACTIVE.inc()
        (SSE_POOL_HITS if self.resumed else SSE_POOL_MISSES).inc()

    def first_event_sent(self) -> None:
        SSE_CREATION.observe(time.perf_counter() - self.received_at)

    def close(self) -> None:
        if self.opened_at is None:
            return
        now = time.perf_counter()
        SSE_ACTIVE.dec()
        SSE_LIFETIME.observe(now - self.opened_at)
        SSE_DURATION.labels(self.outcome).observe(now - self.opened_at)
        SSE_TOTAL_RESPONSE.observe(now - self.received_at)
        counter = _OUTCOME_COUNTERS.get(self.outcome)
        if counter is not None:
            counter.inc()
        # Once per stream, not per event: one small read of /proc.
        memory = resident_memory_bytes()
        SSE_API_MEMORY.observe(memory)
        if memory > MEMORY_PEAK_SHARE * MEMORY_LIMIT_BYTES:
            SSE_MEMORY_PEAKS.inc()
        self.opened_at = None


class _SendTimedOut(Exception):
    """The client took no bytes for `send_timeout`: it stopped reading."""


class OpenStreams:
    """The SSE streams this process holds open, and whether it may take another.

    A new stream is refused (503 with Retry-After) before chat-service is asked when the
    process already holds `max_open` streams (counting those still waiting for their first
    event) or its resident memory is above `memory_share` of its limit: past either, every
    open stream would suffer rather than the one refused. Memory is read at most once a
    second, not per request.
    """

    def __init__(
        self, *, max_open: int, memory_share: float, memory_limit_bytes: float = MEMORY_LIMIT_BYTES
    ) -> None:
        self.max_open = max_open
        self.memory_share = memory_share
        self.memory_limit_bytes = memory_limit_bytes
        self._open: set[EventStream] = set()
        self._starting = 0
        self._draining = False
        self._memory = 0.0
        self._memory_read_at = -math.inf

    def __len__(self) -> int:
        return len(self._open) + self._starting

    @contextmanager
    def admitting(self) -> Iterator[None]:
        """Holds a place for a stream while its first event is awaited; refuses one past the
        limits."""
        if self._draining or len(self) >= self.max_open or self._memory_high():
            raise ApiError(503, BUSY_MESSAGE, {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)})
        self._starting += 1
        try:
            yield
        finally:
            self._starting -= 1

    def _memory_high(self) -> bool:
        now = time.monotonic()
        if now - self._memory_read_at >= 1.0:
            self._memory = resident_memory_bytes()
            self._memory_read_at = now
        return self._memory > self.memory_share * self.memory_limit_bytes

    def add(self, stream: "EventStream") -> None:
        self._open.add(stream)
        if self._draining:
            stream.stop()

    def discard(self, stream: "EventStream") -> None:
        self._open.discard(stream)

    def drain(self) -> None:
        """Ends every open stream now and refuses new ones (the server is shutting down): each
        client sees its stream end and resumes it with Last-Event-ID on another replica."""
        self._draining = True
        for stream in list(self._open):
            stream.stop()


class EventStream(Response):
    """The ASGI response of one turn: its listener's events as SSE, written by the
    coroutine the server runs the request in.

    Heartbeats come from chat-service (one shared timer there) and become `: ping` comments.
    The server's `send` returns silently once the client is gone, so one parked task waits on
    `receive` for the disconnect instead: a client that closed, reset or (through the listening
    socket's keepalive and TCP_USER_TIMEOUT) vanished is noticed the moment the server's
    connection is lost, and its listener cancelled, with no polling per event. Each send is
    bounded by `send_timeout`, so a client that stopped reading ends its stream too.

    A Starlette Response so FastAPI passes it through as the route's answer; none of
    Response's body machinery is used.
    """

    def __init__(
        self,
        first: chat_pb2.TurnEvent,
        rest: AsyncIterator[chat_pb2.TurnEvent],
        call: Any,
        *,
        meter: StreamMeter,
        streams: OpenStreams,
        headers: Mapping[str, str],
        send_timeout: float = SEND_TIMEOUT_SECONDS,
    ) -> None:
        self.meter = meter
        self._first = first
        self._rest = rest
        self._call = call
        self._streams = streams
        self._send_timeout = send_timeout
        # Set by the watcher: the client left (else a cancelled call is a shutdown's stop()).
        self._gone = False
        self.status_code = 200
        self.background = None
        merged = {**_STREAM_HEADERS, **headers}
        self.raw_headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in merged.items()
        ]

    def stop(self) -> None:
        """Ends the stream at once (shutdown): its upstream call is cancelled, and the stream
        closes its body cleanly instead of failing."""
        self._call.cancel()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._respond(scope, receive, send)
        if self.background is not None:  # FastAPI's background tasks, none of ours
            await self.background()

    async def _respond(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        if scope.get("method", "GET").upper() == "HEAD":
            # Headers as GET would have them, no stream: the turn's listening call is dropped.
            self._call.cancel()
            await send({"type": "http.response.body", "body": b""})
            return
        self.meter.open()
        self._streams.add(self)
        watcher = asyncio.create_task(self._watch(receive))
        try:
            if await self._relay(send):
                await self._write(send, b"", more_body=False)
        except _SendTimedOut:
            # The connection cannot take even the body's end: returning without it makes the
            # server close the connection.
            self.meter.outcome = "timeout"
        except Exception:
            self.meter.outcome = "error"
            raise
        finally:
            watcher.cancel()
            # However the stream ended, chat-service stops sending to it (the turn runs on).
            self._call.cancel()
            self._streams.discard(self)
            self.meter.close()

    async def _watch(self, receive: Receive) -> None:
        """Waits for the client to go away, then cancels the listener (which ends the relay)."""
        for _ in range(_PENDING_MESSAGES):
            if (await receive())["type"] == "http.disconnect":
                self._gone = True
                self._call.cancel()
                return

    async def _relay(self, send: Send) -> bool:
        """Writes the turn's events; False when the client went away."""
        task = asyncio.current_task()
        await self._write(send, _frame(self._first))
        self.meter.first_event_sent()
        last = self._first
        try:
            while True:
                try:
                    event = await anext(self._rest)
                except StopAsyncIteration:
                    break
                except asyncio.CancelledError:
                    if task is not None and task.cancelling():
                        raise  # this task itself is cancelled
                    # The call was cancelled: the client left (the watcher), or stop() ends
                    # the body cleanly (the outcome stays "disconnected": a shutdown looks
                    # like one).
                    return not self._gone
                if event.WhichOneof("event") == "heartbeat":
                    await self._write(send, PING)
                else:
                    await self._write(send, _frame(event))
                    last = event
        except grpc.aio.AioRpcError as error:
            timed_out = error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            self.meter.outcome = "timeout" if timed_out else "error"
            await self._write(send, error_frame(api_error_from_rpc(error).message))
            return True
        self.meter.outcome = _ending(last)
        return True

    async def _write(self, send: Send, body: bytes, *, more_body: bool = True) -> None:
        try:
            async with asyncio.timeout(self._send_timeout):
                await send({"type": "http.response.body", "body": body, "more_body": more_body})
        except TimeoutError as error:
            raise _SendTimedOut from error


def event_payload(event: chat_pb2.TurnEvent) -> tuple[str, dict[str, Any]]:
    """The SSE event name and its JSON envelope."""
    kind = event.WhichOneof("event")
    status, message, data = "success", kind, {}
    if kind == "room":
        data = {"room_id": event.room.room_id}
    elif kind == "connect":
        message = "SSE 연결 성공"
        data = {"message": message}
    elif kind == "content":
        data = {
            "agent_id": event.content.agent_id,
            "agent_name": event.content.agent_name,
            "message": event.content.message,
        }
    elif kind == "complete":
        done = event.complete
        data = {
            "agent_id": done.agent_id,
            "agent_name": done.agent_name,
            "agent_role": done.agent_role,
            "message": done.message,
            "products": product_refs(done.products),
        }
    elif kind == "final_complete":
        message = event.final_complete.message
        data = {"message": message, "total_experts": event.final_complete.total_experts}
    elif kind == "error":
        status, message = "fail", event.error.message
        data = {"agent_id": event.error.agent_id, "message": message}
    data |= {"type": kind, "timestamp": event.timestamp_ms}
    return kind, envelope(data, message, status)


def _one_line(value: str) -> str:
    return value.replace("\r", "").replace("\n", "")


def encode(name: str, data: str, event_id: str | None = None) -> bytes:
    """One SSE message; the JSON data has no line breaks of its own (they are escaped)."""
    head = f"id: {_one_line(event_id)}\r\n" if event_id is not None else ""
    return f"{head}event: {name}\r\ndata: {data}\r\n\r\n".encode()


def _frame(event: chat_pb2.TurnEvent) -> bytes:
    name, payload = event_payload(event)
    return encode(name, json.dumps(payload, ensure_ascii=False), event.event_id)


def error_event(message: str) -> dict[str, str]:
    """The `error` event of a stream whose call failed (it has no event id to resume from)."""
    payload = envelope(
        {"message": message, "type": "error", "timestamp": int(time.time() * 1000)}, message, "fail"
    )
    return {"event": "error", "data": json.dumps(payload, ensure_ascii=False)}


def error_frame(message: str) -> bytes:
    event = error_event(message)
    return encode(event["event"], event["data"])


async def first_event(call) -> tuple[chat_pb2.TurnEvent, AsyncIterator[chat_pb2.TurnEvent]]:
    """Waits for the stream's first event so refusals (404, 400, 429) become HTTP errors."""
    iterator = call.__aiter__()
    try:
        return await anext(iterator), iterator
    except grpc.aio.AioRpcError as error:
        raise api_error_from_rpc(error) from error


def _ending(last: chat_pb2.TurnEvent) -> str:
    """How a stream that chat-service ended on its own ended, by its last event."""
    kind = last.WhichOneof("event")
    if kind == "final_complete":
        return "completed"
    if kind == "error":
        return "error"
    # chat-service stops following a turn that wrote nothing for its idle limit and ends the
    # stream without a last event: the turn timed out.
    return "timeout"


def event_stream(
    first: chat_pb2.TurnEvent,
    rest: AsyncIterator[chat_pb2.TurnEvent],
    call: Any,
    *,
    received_at: float,
    resumed: bool,
    streams: OpenStreams,
    headers: Mapping[str, str] | None = None,
) -> EventStream:
    """The SSE response of a turn whose first event arrived; `resumed` for Last-Event-ID."""
    meter = StreamMeter(received_at=received_at, resumed=resumed)
    return EventStream(first, rest, call, meter=meter, streams=streams, headers=headers or {})
