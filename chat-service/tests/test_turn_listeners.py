"""Listeners of turns, served by one pub/sub connection per process (real Redis)."""

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator

import pytest
from redis import Redis as SyncRedis

from chat_service.turn_events import APPEND_AND_PUBLISH, TurnEventLog, TurnEventsGone
from chat_service.turn_listeners import TurnListeners
from tftkit.redis import connect_redis
from tftkit.testing import TEST_REDIS_URL
from thefirsttake.chat.v1 import chat_pb2


def _delta(text: str) -> chat_pb2.TurnEvent:
    return chat_pb2.TurnEvent(content=chat_pb2.ContentDelta(agent_id="color_expert", message=text))


_FINAL = chat_pb2.TurnEvent(final_complete=chat_pb2.TurnComplete(message="끝", total_experts=0))


class Turns:
    """Which turns count as still running, for the listeners' idle check."""

    def __init__(self) -> None:
        self.running: set[uuid.UUID] = set()
        self.looked_up: list[uuid.UUID] = []

    async def is_live(self, turn_id: uuid.UUID) -> bool:
        self.looked_up.append(turn_id)
        return turn_id in self.running


@pytest.fixture
async def redis():
    async with connect_redis(TEST_REDIS_URL) as client:
        yield client


@pytest.fixture
def turns() -> Turns:
    return Turns()


@pytest.fixture
async def hub(redis, turns) -> AsyncIterator[tuple[TurnEventLog, TurnListeners]]:
    events = TurnEventLog(redis=redis, ttl_seconds=60)
    listeners = TurnListeners(
        redis=redis,
        events=events,
        turn_is_live=turns.is_live,
        heartbeat_seconds=0.3,
        idle_limit_seconds=1.0,
    )
    await listeners.start()
    yield events, listeners
    await listeners.stop()


async def _collect(listeners: TurnListeners, turn_id: uuid.UUID, after: str = "0-0") -> list:
    return [e async for e in listeners.follow(turn_id, after=after)]


def _texts(events: list[chat_pb2.TurnEvent]) -> list[str]:
    return [e.content.message for e in events if e.WhichOneof("event") == "content"]


async def _until(condition, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def test_many_listeners_get_every_event_once_in_order(hub):
    events, listeners = hub
    turn_id = uuid.uuid4()
    await events.append(turn_id, _delta("0"))
    followers = [asyncio.create_task(_collect(listeners, turn_id)) for _ in range(50)]
    await _until(lambda: listeners.count == 50)
    for i in range(1, 30):
        await events.append(turn_id, _delta(str(i)))
    await events.append(turn_id, _FINAL)
    results = await asyncio.wait_for(asyncio.gather(*followers), 10)
    expected = [str(i) for i in range(30)]
    for got in results:
        assert _texts(got) == expected
        assert got[-1].WhichOneof("event") == "final_complete"
        ids = [e.event_id for e in got if e.WhichOneof("event") != "heartbeat"]
        assert len(ids) == len(set(ids)) == 31 and all(i.startswith(f"{turn_id}:") for i in ids)
    # Everyone left: the channel has no subscriber any more.
    await _until(lambda: listeners.count == 0)
    channel = events.channel(turn_id)
    for _ in range(50):
        if (await events._redis.pubsub_numsub(channel))[0][1] == 0:
            break
        await asyncio.sleep(0.05)
    assert (await events._redis.pubsub_numsub(channel))[0][1] == 0


async def test_a_resumed_listener_gets_only_what_follows_its_event(hub):
    events, listeners = hub
    turn_id = uuid.uuid4()
    for i in range(5):
        await events.append(turn_id, _delta(str(i)))
    first = await _collect_until(listeners, turn_id, count=3)
    follower = asyncio.create_task(
        _collect(listeners, turn_id, after=first[2].event_id.split(":", 1)[1])
    )
    await events.append(turn_id, _delta("5"))
    await events.append(turn_id, _FINAL)
    assert _texts(await asyncio.wait_for(follower, 10)) == ["3", "4", "5"]


async def _collect_until(listeners, turn_id, *, count: int) -> list:
    got = []
    async for event in listeners.follow(turn_id):
        got.append(event)
        if len(got) == count:
            break
    return got


async def test_a_turn_without_a_log_is_gone(hub):
    _, listeners = hub
    with pytest.raises(TurnEventsGone):
        await _collect(listeners, uuid.uuid4())
    assert listeners.count == 0


async def test_a_quiet_turn_sends_heartbeats_and_keeps_listeners_while_it_runs(hub, turns):
    events, listeners = hub
    turn_id = uuid.uuid4()
    turns.running.add(turn_id)
    await events.append(turn_id, _delta("대기 중"))
    follower = asyncio.create_task(_collect(listeners, turn_id))
    # Past the idle limit (1 s) while still running: looked up, kept.
    await _until(lambda: turn_id in turns.looked_up, seconds=5)
    await asyncio.sleep(0.5)
    assert not follower.done()
    await events.append(turn_id, _FINAL)
    got = await asyncio.wait_for(follower, 10)
    kinds = [e.WhichOneof("event") for e in got]
    assert kinds.count("heartbeat") >= 3
    assert kinds[0] == "content" and kinds[-1] == "final_complete"
    assert all(not e.event_id for e in got if e.WhichOneof("event") == "heartbeat")


async def test_a_quiet_turn_that_no_longer_runs_ends_its_listeners(hub, turns):
    events, listeners = hub
    turn_id = uuid.uuid4()  # not running: its worker gave up without a last event
    await events.append(turn_id, _delta("중단"))
    got = await asyncio.wait_for(_collect(listeners, turn_id), 10)
    assert _texts(got) == ["중단"]
    assert turn_id in turns.looked_up


async def test_a_small_pool_serves_many_waiting_listeners(redis, turns):
    """Listeners hold no connection while they wait: 100 of them on a pool of 4 (and the one
    pub/sub connection) all get their turn's events."""
    before = {c["id"] for c in await redis.client_list()}
    async with connect_redis(TEST_REDIS_URL, max_connections=4) as small:
        events = TurnEventLog(redis=small, ttl_seconds=60)
        listeners = TurnListeners(
            redis=small,
            events=events,
            turn_is_live=turns.is_live,
            heartbeat_seconds=5,
            idle_limit_seconds=30,
        )
        await listeners.start()
        try:
            turn_ids = [uuid.uuid4() for _ in range(100)]
            for turn_id in turn_ids:
                await events.append(turn_id, _delta("시작"))
            followers = [asyncio.create_task(_collect(listeners, t)) for t in turn_ids]
            await _until(lambda: listeners.count == 100)
            opened = [c for c in await redis.client_list() if c["id"] not in before]
            assert len(opened) <= 4 + 1
            for turn_id in turn_ids:
                await events.append(turn_id, _FINAL)
            results = await asyncio.wait_for(asyncio.gather(*followers), 10)
            assert all([e.WhichOneof("event") for e in got] == ["content", "final_complete"]
                       for got in results)  # fmt: skip
        finally:
            await listeners.stop()


async def test_events_published_while_the_connection_was_lost_are_read_from_the_log(hub):
    events, listeners = hub
    turn_id = uuid.uuid4()
    await events.append(turn_id, _delta("0"))
    got: list[chat_pb2.TurnEvent] = []

    async def follow() -> None:
        async for event in listeners.follow(turn_id):
            got.append(event)

    follower = asyncio.create_task(follow())
    await _until(lambda: _texts(got) == ["0"])
    await events.append(turn_id, _delta("1"))
    await _until(lambda: _texts(got) == ["0", "1"])  # live, through the channel
    # Redis drops every pub/sub connection, and the turn goes on before this process (whose
    # loop this blocking client holds) can reconnect: those events are never published to it.
    with SyncRedis.from_url(TEST_REDIS_URL) as blocking:
        assert blocking.execute_command("CLIENT", "KILL", "TYPE", "pubsub") >= 1
        for event in [*(_delta(str(i)) for i in range(2, 6)), _FINAL]:
            payload = base64.b64encode(event.SerializeToString()).decode()
            key, channel = f"turn:{turn_id}:events", events.channel(turn_id)
            blocking.eval(APPEND_AND_PUBLISH, 2, key, channel, payload, 60)
    await asyncio.wait_for(follower, 15)
    assert _texts(got) == [str(i) for i in range(6)]
    assert got[-1].WhichOneof("event") == "final_complete"
