"""What the gateway adds per event: one turn seen through the gateway (SSE) and directly from
chat-service (gRPC `ResumeTurn`) at once, in one client process.

The SSE stream is opened as the load client does (a new guest). Its response sets the guest's
signed token (cookie `tft_guest`); once the first event (with its id) arrived, a `ResumeTurn`
call with that token follows the same turn from that event on. Every event id's arrival time
(`time.perf_counter()`) is kept on both paths: `t_sse - t_grpc` is what the gateway adds
(its gRPC client, the SSE framing, the HTTP write, the loopback hop).

An event the SSE stream had before the direct call delivered its first message is left out:
the call replays what was logged before it subscribed, so that event's direct arrival says
nothing about the relay.
"""

import asyncio
import time
from dataclasses import dataclass, field

import grpc
from sse_load import Load, StreamResult, percentile

from thefirsttake.chat.v1 import chat_pb2, chat_pb2_grpc

GUEST_COOKIE = "tft_guest"


@dataclass
class Pair:
    """One turn on both paths."""

    sse: StreamResult | None = None
    first_id: str | None = None
    sse_at: dict[str, float] = field(default_factory=dict)  # event id: arrival
    kinds: dict[str, str] = field(default_factory=dict)  # event id: SSE event name
    grpc_at: dict[str, float] = field(default_factory=dict)
    grpc_first: float | None = None  # the direct call's first message (any)
    grpc_error: str | None = None


class Relay:
    """Opens turns on both paths; `pairs` holds what each saw."""

    def __init__(self, load: Load, chat_addr: str) -> None:
        self.load = load
        self.channel = grpc.aio.insecure_channel(chat_addr)
        self.stub = chat_pb2_grpc.ChatServiceStub(self.channel)
        self.pairs: list[Pair] = []

    async def close(self) -> None:
        await self.channel.close()

    async def turn(self, text: str, *, limit_seconds: float, direct_grace: float = 30.0) -> Pair:
        pair = Pair()
        self.pairs.append(pair)
        direct: asyncio.Task | None = None

        def on_event(result: StreamResult, event_id: str, kind: str, at: float) -> None:
            nonlocal direct
            if pair.first_id is None:
                pair.first_id = event_id
                token = result.cookies.get(GUEST_COOKIE)
                if token is None:
                    pair.grpc_error = f"no {GUEST_COOKIE} cookie"
                    return
                direct = asyncio.create_task(self._follow(pair, token, event_id, limit_seconds))
                return
            pair.sse_at[event_id] = at
            pair.kinds[event_id] = kind

        try:
            pair.sse = await self.load.stream(text, limit_seconds=limit_seconds, on_event=on_event)
        finally:
            if direct is not None:
                # The direct call ends with the turn's last event too; a little later at most.
                await asyncio.wait({direct}, timeout=direct_grace)
                if not direct.done():
                    direct.cancel()
                    pair.grpc_error = pair.grpc_error or "still open after the SSE stream ended"
                await asyncio.gather(direct, return_exceptions=True)
        return pair

    async def _follow(self, pair: Pair, token: str, last_event_id: str, limit: float) -> None:
        call = self.stub.ResumeTurn(
            chat_pb2.ResumeTurnRequest(last_event_id=last_event_id),
            metadata=(("authorization", f"Bearer {token}"),),
            timeout=limit,
        )
        try:
            async for event in call:
                now = time.perf_counter()
                if pair.grpc_first is None:
                    pair.grpc_first = now
                if event.event_id:  # heartbeats have none
                    pair.grpc_at[event.event_id] = now
        except grpc.aio.AioRpcError as error:
            pair.grpc_error = f"{error.code().name}: {error.details()}"


def compare(pairs: list[Pair]) -> dict:
    """The gateway's addition per event (ms) over the events both paths saw live, and how the
    two paths' ids differ."""
    content: list[float] = []
    others: list[float] = []
    replayed = only_sse = only_grpc = mismatched = 0
    errors: dict[str, int] = {}
    for pair in pairs:
        if pair.grpc_error:
            errors[pair.grpc_error] = errors.get(pair.grpc_error, 0) + 1
        if pair.first_id is None or pair.grpc_first is None:
            continue
        sse_ids, grpc_ids = set(pair.sse_at), set(pair.grpc_at)
        only_sse += len(sse_ids - grpc_ids)
        only_grpc += len(grpc_ids - sse_ids)
        mismatched += sse_ids != grpc_ids
        for event_id in sse_ids & grpc_ids:
            t_sse = pair.sse_at[event_id]
            if t_sse < pair.grpc_first:
                replayed += 1
                continue
            added = (t_sse - pair.grpc_at[event_id]) * 1000
            (content if pair.kinds[event_id] == "content" else others).append(added)
    every = content + others
    return {
        "turns": len(pairs),
        "paired": sum(p.grpc_first is not None for p in pairs),
        "content": content,
        "others": others,
        "replayed": replayed,
        "only_sse": only_sse,
        "only_grpc": only_grpc,
        "mismatched_turns": mismatched,
        "errors": errors,
        "content_ms": tuple(percentile(content, q) for q in (0.5, 0.9, 0.99)),
        "all_ms": tuple(percentile(every, q) for q in (0.5, 0.9, 0.99)),
        "range_ms": (min(every), max(every)) if every else (None, None),
        "negative": sum(v < 0 for v in every),
    }
