"""Polling mode: every polled turn's answers handed out one per `receive`, in order, each once.

A room's polled turns are served oldest first. A turn's answers come from its event log while
it runs and from the stored messages once it ended (so an expired log loses nothing); how many
went out is a counter on the turn row, advanced with a compare-and-set so two pollers never
receive the same answer.
"""

import uuid
from dataclasses import dataclass
from enum import Enum

import asyncpg

from chat_service.messages import Answer, stored_answers
from chat_service.turn_events import TurnEventLog, logged_answers


class ReceiveState(Enum):
    READY = "READY"  # here is the next answer
    PENDING = "PENDING"  # a turn is still running: ask again shortly
    DONE = "DONE"  # every answer of every polled turn was handed out


@dataclass(frozen=True)
class Received:
    state: ReceiveState
    order: int = 0
    answer: Answer | None = None


_NEXT_TURN = """
SELECT t.id, t.status, t.delivered
FROM turns t
WHERE t.room_id = $1 AND t.delivered IS NOT NULL
  AND (t.status = 'RUNNING'
       OR t.delivered < (SELECT count(*) FROM messages m
                         WHERE m.turn_id = t.id AND m.message_type = 'AI'))
ORDER BY t.created_at, t.id
LIMIT 1
"""
_ATTEMPTS = 8  # compare-and-set retries when pollers race


async def receive_next(*, pool: asyncpg.Pool, events: TurnEventLog, room_id: int) -> Received:
    """The room's next undelivered answer, or whether more may still come."""
    for _ in range(_ATTEMPTS):
        turn = await pool.fetchrow(_NEXT_TURN, room_id)
        if turn is None:
            return Received(ReceiveState.DONE)
        answers = await _answers(pool, events, turn["id"], running=turn["status"] == "RUNNING")
        delivered = turn["delivered"]
        if delivered >= len(answers):
            return Received(ReceiveState.PENDING)
        taken = await pool.fetchval(
            "UPDATE turns SET delivered = delivered + 1 WHERE id = $1 AND delivered = $2"
            " RETURNING delivered",
            turn["id"],
            delivered,
        )
        if taken is not None:
            return Received(ReceiveState.READY, taken, answers[taken - 1])
    return Received(ReceiveState.PENDING)


async def _answers(
    pool: asyncpg.Pool, events: TurnEventLog, turn_id: uuid.UUID, *, running: bool
) -> list[Answer]:
    if running:
        return logged_answers(await events.read_all(turn_id))
    return await stored_answers(pool=pool, turn_id=turn_id)
