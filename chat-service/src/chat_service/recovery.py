"""Turns whose runner died (a crash, a kill) are closed from their event log.

A runner stores its answers when it ends, even when cancelled; only a process that dies
outright leaves a turn RUNNING. Past the turn deadline no runner can still own it, so a
sweep stores the answers the log holds (idempotently) and closes the turn as FAILED.
"""

import asyncio
import logging
from datetime import UTC, datetime

import asyncpg

from chat_service.messages import Answer, ProductRef, store_answers
from chat_service.turn_events import TurnEventLog, is_terminal
from chat_service.turns import TURN_FAILED_MESSAGE
from thefirsttake.chat.v1 import chat_pb2

log = logging.getLogger(__name__)


def _answer(event: chat_pb2.TurnEvent) -> Answer:
    done = event.complete
    return Answer(
        agent_id=done.agent_id,
        agent_name=done.agent_name,
        agent_role=done.agent_role,
        message=done.message,
        products=[ProductRef.from_proto(p) for p in done.products],
        completed_at=datetime.fromtimestamp(event.timestamp_ms / 1000, UTC),
    )


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
        answers = [_answer(e) for e in logged if e.WhichOneof("event") == "complete"]
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
