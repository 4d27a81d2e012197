"""The event log of each turn, a Redis stream, so a turn outlives its listeners.

The runner appends every event; listeners (the streaming RPC, a resumed stream, the
polling queue) read from any position. Event ids are `<turn_id>:<stream entry id>`.
"""

import base64
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from redis.asyncio import Redis

from chat_service.messages import Answer
from thefirsttake.chat.v1 import chat_pb2

_FIELD = "e"
_START = "0-0"


class TurnEventsGone(Exception):
    """The turn's events expired or never existed."""


@dataclass(frozen=True)
class EventPosition:
    turn_id: uuid.UUID
    after: str


def parse_event_id(value: str) -> EventPosition:
    """The turn and stream position an event id names; ValueError when malformed."""
    turn, _, entry = value.partition(":")
    if not entry or not all(part.isdigit() for part in entry.split("-", 1)):
        raise ValueError("malformed event id")
    return EventPosition(turn_id=uuid.UUID(turn), after=entry)


def is_terminal(event: chat_pb2.TurnEvent) -> bool:
    """True for the last event of a turn: final_complete, or an error of the whole turn."""
    kind = event.WhichOneof("event")
    return kind == "final_complete" or (kind == "error" and not event.error.agent_id)


def logged_answers(logged: list[chat_pb2.TurnEvent]) -> list[Answer]:
    """The completed answers an event log holds, one per expert, in order."""
    answers: dict[str, Answer] = {}
    for event in logged:
        if event.WhichOneof("event") == "complete" and event.complete.agent_id not in answers:
            answers[event.complete.agent_id] = Answer.from_event(event)
    return list(answers.values())


class TurnEventLog:
    def __init__(self, *, redis: Redis, ttl_seconds: int, idle_limit_seconds: float) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        # A listener gives up when a turn writes nothing for this long (its runner died).
        self._idle_limit = idle_limit_seconds

    @staticmethod
    def _key(turn_id: uuid.UUID) -> str:
        return f"turn:{turn_id}:events"

    async def append(self, turn_id: uuid.UUID, event: chat_pb2.TurnEvent) -> None:
        """Adds an event; the log expires `ttl_seconds` after its last write."""
        event.timestamp_ms = int(time.time() * 1000)
        key = self._key(turn_id)
        payload = base64.b64encode(event.SerializeToString()).decode()
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xadd(key, {_FIELD: payload})
            pipe.expire(key, self._ttl)
            await pipe.execute()

    async def read_all(self, turn_id: uuid.UUID) -> list[chat_pb2.TurnEvent]:
        """Every event logged so far (empty when the log expired)."""
        entries = await self._redis.xrange(self._key(turn_id))
        return [chat_pb2.TurnEvent.FromString(base64.b64decode(f[_FIELD])) for _, f in entries]

    async def follow(
        self, turn_id: uuid.UUID, *, after: str = _START, block_ms: int = 2000
    ) -> AsyncIterator[chat_pb2.TurnEvent]:
        """Yields the events after `after` as they come, until the turn's last event."""
        key = self._key(turn_id)
        if not await self._redis.exists(key):
            raise TurnEventsGone(str(turn_id))
        idle_since = time.monotonic()
        while True:
            batches = await self._redis.xread({key: after}, count=200, block=block_ms)
            if not batches:
                if time.monotonic() - idle_since > self._idle_limit:
                    return
                continue
            idle_since = time.monotonic()
            for entry_id, fields in batches[0][1]:
                after = entry_id
                event = chat_pb2.TurnEvent.FromString(base64.b64decode(fields[_FIELD]))
                event.event_id = f"{turn_id}:{entry_id}"
                yield event
                if is_terminal(event):
                    return
