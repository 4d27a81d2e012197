"""Turns no worker can finish any more are closed from their event log.

A turn's queue entry outlives the worker that runs it, so a dead worker's turn is taken over
(see turn_queue.py). Only a turn whose entry is gone too (Redis lost its data) stays RUNNING
for good: past every attempt's deadline, a sweep stores the answers its log holds
(idempotently) and closes it as FAILED.
"""

import asyncio
import logging

import asyncpg

from chat_service.messages import store_answers
from chat_service.turn_events import TurnEventLog, is_terminal, logged_answers
from chat_service.turns import TURN_FAILED_MESSAGE
from thefirsttake.chat.v1 import chat_pb2

log = logging.getLogger(__name__)


async def recover_abandoned_turns(
    *, pool: asyncpg.Pool, events: TurnEventLog, older_than_seconds: float
) -> int:
    """Closes RUNNING turns older than `older_than_seconds`; returns how many."""
    abandoned = await pool.fetch(
        "SELECT id, room_id FROM turns WHERE status = 'RUNNING'"
        " AND created_at < now() - make_interval(secs => $1)",
        older_than_seconds,
    )
    for turn in abandoned:
        logged = await events.read_all(turn["id"])
        answers = logged_answers(logged)
        await store_answers(
            pool=pool, room_id=turn["room_id"], turn_id=turn["id"], answers=answers, status="FAILED"
        )
        if logged and not any(is_terminal(e) for e in logged):
            await events.append(
                turn["id"],
                chat_pb2.TurnEvent(error=chat_pb2.TurnError(message=TURN_FAILED_MESSAGE)),
            )
        log.warning(
            "closed an abandoned turn",
            extra={"fields": {"turn_id": str(turn["id"]), "answers": len(answers)}},
        )
    return len(abandoned)


async def sweep_forever(
    *, pool: asyncpg.Pool, events: TurnEventLog, older_than_seconds: float, every_seconds: float
) -> None:
    """Runs the recovery now and then every `every_seconds` (a background task)."""
    while True:
        try:
            await recover_abandoned_turns(
                pool=pool, events=events, older_than_seconds=older_than_seconds
            )
        except (OSError, asyncpg.PostgresError) as error:
            log.warning("turn recovery sweep failed: %s", error)
        await asyncio.sleep(every_seconds)
