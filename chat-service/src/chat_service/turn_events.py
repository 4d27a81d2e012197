"""The event log of each turn, a Redis stream, so a turn outlives its listeners.

The runner appends every event and publishes it on the turn's channel; listeners (the streaming
RPC and a resumed stream, see turn_listeners.py; the polling queue) read from any position.
Event ids are `<turn_id>:<stream entry id>`.
"""

import asyncio
import base64
import time
import uuid
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from chat_service.messages import Answer
from thefirsttake.chat.v1 import chat_pb2

_FIELD = "e"


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


@dataclass(frozen=True)
class LoggedEvent:
    """An event and its position in the turn's log (the stream entry id, as numbers)."""

    position: tuple[int, int]
    event: chat_pb2.TurnEvent


def position_of(entry_id: str) -> tuple[int, int]:
    milliseconds, _, sequence = entry_id.partition("-")
    return int(milliseconds), int(sequence or 0)


# Appends an event to the log, renews the log's expiry and publishes the event with its entry
# id to the turn's listeners: one round trip, and listeners never see an event the log lacks.
APPEND_AND_PUBLISH = """
local id = redis.call('XADD', KEYS[1], '*', 'e', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('PUBLISH', KEYS[2], id .. ' ' .. ARGV[1])
return id
"""


class TurnEventLog:
    """Appends are grouped: those made while a round trip is under way go together in the next
    one, a pipeline of the append script (one command each, one write and one read for all).
    Each turn's runner awaits its append before the next, so a turn's events keep their order;
    an idle log sends an append at once."""

    def __init__(self, *, redis: Redis, ttl_seconds: int) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._script = redis.register_script(APPEND_AND_PUBLISH)
        self._waiting: list[tuple[str, str, str, asyncio.Future[None]]] = []
        self._sending: asyncio.Task[None] | None = None

    @staticmethod
    def _key(turn_id: uuid.UUID) -> str:
        return f"turn:{turn_id}:events"

    @staticmethod
    def channel(turn_id: uuid.UUID) -> str:
        """Where the turn's events are published as they are logged."""
        return f"turn:{turn_id}:live"

    async def append(self, turn_id: uuid.UUID, event: chat_pb2.TurnEvent) -> None:
        """Adds an event and publishes it; the log expires `ttl_seconds` after its last write."""
        event.timestamp_ms = int(time.time() * 1000)
        payload = base64.b64encode(event.SerializeToString()).decode()
        written = asyncio.get_running_loop().create_future()
        self._waiting.append((self._key(turn_id), self.channel(turn_id), payload, written))
        if self._sending is None:
            self._sending = asyncio.create_task(self._send())
        await written

    async def _send(self) -> None:
        group: list[tuple[str, str, str, asyncio.Future[None]]] = []
        try:
            while self._waiting:
                group, self._waiting = self._waiting, []
                try:
                    await self._write(group)
                except Exception as error:  # the connection failed: none of the group is known
                    for *_, written in group:
                        _settle(written, error)
        finally:
            self._sending = None
            # Stopped (shutdown) with appends under way or still waiting: none hangs.
            for *_, written in group + self._waiting:
                _settle(written, ConnectionError("turn event log stopped"))
            self._waiting = []

    async def _write(self, group: list[tuple[str, str, str, asyncio.Future[None]]]) -> None:
        """Sends the group; each append's own outcome settles its future."""
        for attempt in (1, 2):
            pipe = self._redis.pipeline(transaction=False)
            for key, channel, payload, _ in group:
                pipe.evalsha(self._script.sha, 2, key, channel, payload, self._ttl)
            results = await pipe.execute(raise_on_error=False)
            unknown_script = []
            for item, result in zip(group, results, strict=True):
                if isinstance(result, NoScriptError) and attempt == 1:
                    unknown_script.append(item)
                else:
                    _settle(item[3], result if isinstance(result, Exception) else None)
            if not unknown_script:
                return
            # The server lost its scripts (a restart, SCRIPT FLUSH): those appends did not
            # run, so they are sent again once the script is loaded.
            await self._redis.script_load(APPEND_AND_PUBLISH)
            group = unknown_script

    async def exists(self, turn_id: uuid.UUID) -> bool:
        return bool(await self._redis.exists(self._key(turn_id)))

    async def read_all(self, turn_id: uuid.UUID) -> list[chat_pb2.TurnEvent]:
        """Every event logged so far (empty when the log expired)."""
        entries = await self._redis.xrange(self._key(turn_id))
        return [chat_pb2.TurnEvent.FromString(base64.b64decode(f[_FIELD])) for _, f in entries]

    async def read_after(self, turn_id: uuid.UUID, after: str) -> list[LoggedEvent]:
        """The events logged after entry `after`, with their ids."""
        entries = await self._redis.xrange(self._key(turn_id), min=f"({after}")
        return [_logged(turn_id, entry_id, fields[_FIELD]) for entry_id, fields in entries]

    @staticmethod
    def decode_published(turn_id: uuid.UUID, data: str) -> LoggedEvent:
        """An event as `append` published it on the turn's channel."""
        entry_id, _, payload = data.partition(" ")
        return _logged(turn_id, entry_id, payload)


def _logged(turn_id: uuid.UUID, entry_id: str, payload: str) -> LoggedEvent:
    event = chat_pb2.TurnEvent.FromString(base64.b64decode(payload))
    event.event_id = f"{turn_id}:{entry_id}"
    return LoggedEvent(position_of(entry_id), event)


def _settle(written: asyncio.Future[None], error: BaseException | None) -> None:
    if written.done():  # its appender was cancelled meanwhile
        return
    if error is None:
        written.set_result(None)
    else:
        written.set_exception(error)
