"""Turn events from chat-service as Server-Sent Events (names and fields of SPEC.md §3), and
the seed's SSE metrics, recorded where the stream is served.

How a stream ends decides its counters: `completed` (final_complete sent), `disconnected`
(the client went away first; a gateway shutting down mid-stream looks the same), `timeout`
(the turn's deadline passed, the turn went idle so chat-service stopped following it, or the
client stopped reading for `send_timeout`) or `error` (a failure of the whole turn: its error
event, or a failed call).
"""

import json
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import grpc
from prometheus_client import Counter, Gauge, Histogram
from sse_starlette.sse import EventSourceResponse, SendTimeoutError
from starlette.types import Receive, Scope, Send

from gateway.errors import api_error_from_rpc, envelope
from gateway.metrics import MEMORY_LIMIT_BYTES, MEMORY_PEAK_SHARE, resident_memory_bytes
from gateway.schemas import product_refs
from thefirsttake.chat.v1 import chat_pb2

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


class MeteredEventSourceResponse(EventSourceResponse):
    """sse-starlette's response, opening and closing the stream's meter around it.

    A send that times out closes the event generator like a disconnect does; only here, where
    sse-starlette raises it, is it told apart.
    """

    def __init__(
        self, content: AsyncIterator[dict[str, str]], *, meter: StreamMeter, **kwargs: Any
    ) -> None:
        super().__init__(content, **kwargs)
        self.meter = meter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method", "GET").upper() == "HEAD":  # answered without a stream
            await super().__call__(scope, receive, send)
            return
        self.meter.open()
        try:
            await super().__call__(scope, receive, send)
        except SendTimeoutError:
            self.meter.outcome = "timeout"
            raise
        finally:
            self.meter.close()


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


def error_event(message: str) -> dict[str, str]:
    payload = envelope(
        {"message": message, "type": "error", "timestamp": int(time.time() * 1000)}, message, "fail"
    )
    return {"event": "error", "data": json.dumps(payload, ensure_ascii=False)}


async def first_event(call) -> tuple[chat_pb2.TurnEvent, AsyncIterator[chat_pb2.TurnEvent]]:
    """Waits for the stream's first event so refusals (404, 400, 429) become HTTP errors."""
    iterator = call.__aiter__()
    try:
        return await anext(iterator), iterator
    except grpc.aio.AioRpcError as error:
        raise api_error_from_rpc(error) from error


async def sse_events(
    first: chat_pb2.TurnEvent,
    rest: AsyncIterator[chat_pb2.TurnEvent],
    call,
    meter: StreamMeter,
) -> AsyncIterator[dict[str, str]]:
    """SSE messages for sse-starlette; leaving early cancels only the listening call."""
    try:
        yield _sse(first)
        # sse-starlette asks for the next event only once this one was sent.
        meter.first_event_sent()
        last = first
        async for event in rest:
            yield _sse(event)
            last = event
        meter.outcome = _ending(last)
    except grpc.aio.AioRpcError as error:
        timed_out = error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        meter.outcome = "timeout" if timed_out else "error"
        yield error_event(api_error_from_rpc(error).message)
    except Exception:
        meter.outcome = "error"
        raise
    finally:
        call.cancel()


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
    call,
    *,
    received_at: float,
    resumed: bool,
    ping_seconds: float,
    headers: Mapping[str, str],
) -> MeteredEventSourceResponse:
    """The SSE response of a turn whose first event arrived; `resumed` for Last-Event-ID."""
    meter = StreamMeter(received_at=received_at, resumed=resumed)
    return MeteredEventSourceResponse(
        sse_events(first, rest, call, meter),
        meter=meter,
        ping=int(ping_seconds),
        send_timeout=30,
        headers=dict(headers),
    )


def _sse(event: chat_pb2.TurnEvent) -> dict[str, str]:
    name, payload = event_payload(event)
    return {"event": name, "id": event.event_id, "data": json.dumps(payload, ensure_ascii=False)}
