"""Everyone in this process who follows a turn's events, served by one Redis connection.

A turn's runner appends each event to the turn's log and publishes it on the turn's channel
(turn_events.py). Listeners here do not each hold a blocking read: the process subscribes once
per followed turn on one pub/sub connection, and a single reader task hands each published event
to the turn's listeners. A listener reads the log first (what it missed, or everything when it
resumes), then takes published events whose position is past what it has.

One timer for all listeners does the periodic work: a Heartbeat to a listener whose turn was
quiet for `heartbeat_seconds` (the gateway turns it into an SSE comment, and finds out on that
write whether its client is still there), and, for a turn quiet for `idle_limit_seconds`, one
look at the turn's row: a turn still queued or running keeps its listeners (thousands of turns
may wait for a worker), any other ends them.

Pub/sub delivers at most once; when the connection drops, every listener reads the log again
from its last position after the reconnect, so nothing is missed and nothing is doubled.
"""

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from chat_service.turn_events import (
    LoggedEvent,
    TurnEventLog,
    TurnEventsGone,
    is_terminal,
    position_of,
)
from thefirsttake.chat.v1 import chat_pb2

log = logging.getLogger(__name__)

_SUBSCRIBE_SECONDS = 10.0
_HEARTBEAT = chat_pb2.TurnEvent(heartbeat=chat_pb2.Heartbeat())
# Ends a listener's wait: the turn went quiet and is no longer running.
_ENDED = object()
# The listener must read the log again (the pub/sub connection was lost).
_REREAD = object()

TurnIsLive = Callable[[uuid.UUID], Awaitable[bool]]


@dataclass(eq=False)
class _Listener:
    turn_id: uuid.UUID
    position: tuple[int, int]
    inbox: asyncio.Queue = field(default_factory=asyncio.Queue)
    last_sent: float = field(default_factory=time.monotonic)
    last_event: float = field(default_factory=time.monotonic)
    checking: bool = False


class TurnListeners:
    def __init__(
        self,
        *,
        redis: Redis,
        events: TurnEventLog,
        turn_is_live: TurnIsLive,
        heartbeat_seconds: float,
        idle_limit_seconds: float,
    ) -> None:
        self._redis = redis
        self._events = events
        self._turn_is_live = turn_is_live
        self._heartbeat = heartbeat_seconds
        self._idle_limit = idle_limit_seconds
        self._pubsub: PubSub | None = None
        self._listeners: dict[str, set[_Listener]] = {}
        # SUBSCRIBEs sent but not yet confirmed, and who waits for their confirmation.
        self._unconfirmed: dict[str, int] = {}
        self._confirmed: dict[str, asyncio.Future[None]] = {}
        # Channels subscribed again after a reconnect: their listeners reread the log once the
        # new subscription is confirmed.
        self._rereading: set[str] = set()
        self._watching_reconnects = False
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def count(self) -> int:
        return sum(len(listeners) for listeners in self._listeners.values())

    async def start(self) -> None:
        self._pubsub = self._redis.pubsub()
        self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._tick())]

    async def stop(self) -> None:
        # A flag as well as the cancel: redis-py may turn a cancelled read into a connection
        # error, which must not keep the reader looping.
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._pubsub is not None:
            await self._pubsub.aclose()

    async def follow(
        self, turn_id: uuid.UUID, *, after: str = "0-0"
    ) -> AsyncIterator[chat_pb2.TurnEvent]:
        """The turn's events after `after` as they come, with heartbeats while it is quiet,
        until its last event (or until it is quiet and no longer running)."""
        channel = self._events.channel(turn_id)
        listener = _Listener(turn_id, position_of(after))
        try:
            await self._join(channel, listener)
            # Subscribed before reading the log: an event is either in what the read returns
            # or published afterwards, and the position check drops it if it is in both.
            missed = await self._events.read_after(turn_id, after)
            if not missed and not await self._events.exists(turn_id):
                raise TurnEventsGone(str(turn_id))
            for logged in missed:
                if (event := self._accept(listener, logged)) is not None:
                    yield event
                    if is_terminal(event):
                        return
            while True:
                item = await listener.inbox.get()
                if item is _ENDED:
                    return
                if item is _HEARTBEAT:
                    yield _HEARTBEAT
                    continue
                found = (
                    await self._events.read_after(turn_id, _entry_id(listener.position))
                    if item is _REREAD
                    else [item]
                )
                for logged in found:
                    if (event := self._accept(listener, logged)) is not None:
                        yield event
                        if is_terminal(event):
                            return
        finally:
            self._leave(channel, listener)

    def _accept(self, listener: _Listener, logged: LoggedEvent) -> chat_pb2.TurnEvent | None:
        """The event when it is past the listener's position (else None, already had)."""
        if logged.position <= listener.position:
            return None
        listener.position = logged.position
        listener.last_event = listener.last_sent = time.monotonic()
        return logged.event

    async def _join(self, channel: str, listener: _Listener) -> None:
        assert self._pubsub is not None, "start() first"
        listeners = self._listeners.get(channel)
        if listeners is None:
            self._listeners[channel] = listeners = set()
            self._confirmed[channel] = asyncio.get_running_loop().create_future()
            self._unconfirmed[channel] = self._unconfirmed.get(channel, 0) + 1
            try:
                await self._pubsub.subscribe(channel)
            except BaseException:
                self._unconfirmed[channel] -= 1
                self._listeners.pop(channel, None)
                self._confirmed.pop(channel, None)
                raise
            if not self._watching_reconnects and self._pubsub.connection is not None:
                self._pubsub.connection.register_connect_callback(self._reconnected)
                self._watching_reconnects = True
        listeners.add(listener)
        async with asyncio.timeout(_SUBSCRIBE_SECONDS):
            await asyncio.shield(self._confirmed[channel])

    def _leave(self, channel: str, listener: _Listener) -> None:
        listeners = self._listeners.get(channel)
        if listeners is None:
            return
        listeners.discard(listener)
        if not listeners:
            del self._listeners[channel]
            self._confirmed.pop(channel, None)
            task = asyncio.create_task(self._unsubscribe(channel))
            self._tasks.append(task)
            task.add_done_callback(self._tasks.remove)

    async def _unsubscribe(self, channel: str) -> None:
        if channel in self._listeners or self._pubsub is None:
            return  # someone followed the turn again meanwhile
        with contextlib.suppress(OSError, ConnectionError):
            await self._pubsub.unsubscribe(channel)

    async def _read(self) -> None:
        assert self._pubsub is not None
        while not self._stopping:
            try:
                if not self._pubsub.subscribed:
                    await asyncio.sleep(0.05)
                    continue
                message = await self._pubsub.get_message(timeout=1.0)
            except (RedisError, OSError) as error:
                # The next read reconnects (and _reconnected marks who must reread).
                log.warning("turn event channel lost: %s", error)
                await asyncio.sleep(0.5)
                continue
            if message is not None:
                self._dispatch(message)

    def _dispatch(self, message: dict) -> None:
        kind, channel = message["type"], message["channel"]
        if kind == "subscribe":
            left = self._unconfirmed.get(channel, 1) - 1
            if left > 0:
                self._unconfirmed[channel] = left
                return
            self._unconfirmed.pop(channel, None)
            confirmed = self._confirmed.get(channel)
            if confirmed is not None and not confirmed.done():
                confirmed.set_result(None)
            if channel in self._rereading:
                self._rereading.discard(channel)
                for listener in self._listeners.get(channel, ()):
                    listener.inbox.put_nowait(_REREAD)
        elif kind == "message" and (listeners := self._listeners.get(channel)):
            turn_id = next(iter(listeners)).turn_id
            logged = self._events.decode_published(turn_id, message["data"])
            for listener in listeners:
                listener.inbox.put_nowait(logged)

    def _reconnected(self, connection: object) -> None:
        # Called by redis-py on every new connection of the pub/sub, right after it has sent
        # SUBSCRIBE again for every channel: what was published meanwhile was lost.
        self._rereading.update(self._listeners)

    async def _tick(self) -> None:
        every = min(1.0, self._heartbeat / 2)
        while True:
            await asyncio.sleep(every)
            now = time.monotonic()
            for listeners in list(self._listeners.values()):
                for listener in listeners:
                    if now - listener.last_sent >= self._heartbeat:
                        listener.last_sent = now
                        listener.inbox.put_nowait(_HEARTBEAT)
                    if now - listener.last_event >= self._idle_limit and not listener.checking:
                        listener.checking = True
                        task = asyncio.create_task(self._check(listener))
                        self._tasks.append(task)
                        task.add_done_callback(self._tasks.remove)

    async def _check(self, listener: _Listener) -> None:
        """A quiet turn: keep waiting while it is queued or running, else end the listener."""
        try:
            live = await self._turn_is_live(listener.turn_id)
        except Exception:
            log.exception("could not read the state of turn %s", listener.turn_id)
            live = True
        listener.checking = False
        if live:
            listener.last_event = time.monotonic()
        else:
            listener.inbox.put_nowait(_ENDED)


def _entry_id(position: tuple[int, int]) -> str:
    return f"{position[0]}-{position[1]}"
