"""Polling mode: a turn's completed answers handed out one per `receive`, in order.

The answers come from the same per-turn event log the streams read; a per-turn counter
in Redis says how many were delivered, advanced with an optimistic transaction so two
pollers never receive the same answer.
"""

import uuid
from dataclasses import dataclass
from enum import Enum

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import WatchError

from chat_service.turn_events import TurnEventLog, is_terminal
from thefirsttake.chat.v1 import chat_pb2


class ReceiveState(Enum):
    READY = "READY"
    PENDING = "PENDING"
    DONE = "DONE"


@dataclass(frozen=True)
class Received:
    state: ReceiveState
    order: int = 0
    answer: chat_pb2.ExpertComplete | None = None


async def latest_turn(*, pool: asyncpg.Pool, room_id: int) -> uuid.UUID | None:
    """The room's newest turn, or None when nothing was ever sent."""
    return await pool.fetchval(
        "SELECT id FROM turns WHERE room_id = $1 ORDER BY created_at DESC LIMIT 1", room_id
    )


async def receive_next(
    *, redis: Redis, events: TurnEventLog, turn_id: uuid.UUID, ttl_seconds: int
) -> Received:
    """The next undelivered answer of the turn, or whether more may still come."""
    logged = await events.read_all(turn_id)
    answers = [e.complete for e in logged if e.WhichOneof("event") == "complete"]
    finished = any(is_terminal(e) for e in logged)
    key = f"turn:{turn_id}:delivered"
    async with redis.pipeline(transaction=True) as pipe:
        while True:
            try:
                await pipe.watch(key)
                delivered = int(await pipe.get(key) or 0)
                if delivered >= len(answers):
                    await pipe.unwatch()
                    return Received(ReceiveState.DONE if finished else ReceiveState.PENDING)
                pipe.multi()
                pipe.set(key, delivered + 1, ex=ttl_seconds)
                await pipe.execute()
                return Received(ReceiveState.READY, delivered + 1, answers[delivered])
            except WatchError:
                continue
