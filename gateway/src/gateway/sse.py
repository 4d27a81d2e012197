"""Turn events from chat-service as Server-Sent Events (names and fields of SPEC.md §3)."""

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import grpc
from prometheus_client import Counter, Gauge, Histogram

from gateway.errors import api_error_from_rpc, envelope
from gateway.schemas import product_refs
from thefirsttake.chat.v1 import chat_pb2

SSE_CONNECTIONS = Counter("sse_connections_total", "SSE streams opened")
SSE_ACTIVE = Gauge("sse_connections_active", "SSE streams open now")
SSE_LIFETIME = Histogram(
    "sse_connection_lifetime",
    "Seconds an SSE stream stayed open",
    buckets=(1, 5, 10, 30, 60, 120, 300, 600),
)


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
    first: chat_pb2.TurnEvent, rest: AsyncIterator[chat_pb2.TurnEvent], call
) -> AsyncIterator[dict[str, str]]:
    """SSE messages for sse-starlette; leaving early cancels only the listening call."""
    SSE_CONNECTIONS.inc()
    SSE_ACTIVE.inc()
    opened = time.monotonic()
    try:
        yield _sse(first)
        async for event in rest:
            yield _sse(event)
    except grpc.aio.AioRpcError as error:
        yield error_event(api_error_from_rpc(error).message)
    finally:
        call.cancel()
        SSE_ACTIVE.dec()
        SSE_LIFETIME.observe(time.monotonic() - opened)


def _sse(event: chat_pb2.TurnEvent) -> dict[str, str]:
    name, payload = event_payload(event)
    return {"event": name, "id": event.event_id, "data": json.dumps(payload, ensure_ascii=False)}
