"""The turn event log's grouped appends, against a real Redis."""

import asyncio
import uuid

import pytest
from redis.exceptions import ResponseError

from chat_service.turn_events import TurnEventLog
from tftkit.redis import connect_redis
from tftkit.testing import TEST_REDIS_URL
from thefirsttake.chat.v1 import chat_pb2


def _delta(text: str) -> chat_pb2.TurnEvent:
    return chat_pb2.TurnEvent(content=chat_pb2.ContentDelta(agent_id="color_expert", message=text))


@pytest.fixture
async def redis():
    async with connect_redis(TEST_REDIS_URL) as client:
        yield client


class CountedRoundTrips:
    """Counts the pipelines the log sends (one round trip each)."""

    def __init__(self, redis) -> None:
        self.sent = 0
        self._pipeline = redis.pipeline

    def __call__(self, *args, **kwargs):
        self.sent += 1
        return self._pipeline(*args, **kwargs)


async def test_concurrent_turns_share_round_trips_and_each_keeps_its_order(redis, monkeypatch):
    log = TurnEventLog(redis=redis, ttl_seconds=60)
    trips = CountedRoundTrips(redis)
    monkeypatch.setattr(redis, "pipeline", trips)
    turns = [uuid.uuid4() for _ in range(40)]

    async def run(turn_id: uuid.UUID) -> None:
        for n in range(10):
            await log.append(turn_id, _delta(f"{turn_id}:{n}"))

    await asyncio.gather(*(run(turn_id) for turn_id in turns))

    for turn_id in turns:
        logged = await log.read_all(turn_id)
        assert [e.content.message for e in logged] == [f"{turn_id}:{n}" for n in range(10)]
    # 400 appends; each round trip carried those made while the one before was under way.
    assert trips.sent < 400 / 4


async def test_one_failed_append_fails_alone(redis):
    log = TurnEventLog(redis=redis, ttl_seconds=60)
    broken, fine = uuid.uuid4(), uuid.uuid4()
    await redis.set(f"turn:{broken}:events", "not a stream")
    outcomes = await asyncio.gather(
        log.append(broken, _delta("x")),
        log.append(fine, _delta("y")),
        return_exceptions=True,
    )
    assert isinstance(outcomes[0], ResponseError) and outcomes[1] is None
    assert [e.content.message for e in await log.read_all(fine)] == ["y"]
    await redis.delete(f"turn:{broken}:events")


async def test_appends_go_on_after_the_server_lost_its_scripts(redis):
    log = TurnEventLog(redis=redis, ttl_seconds=60)
    turn_id = uuid.uuid4()
    await log.append(turn_id, _delta("before"))
    await redis.script_flush()
    await log.append(turn_id, _delta("after"))
    assert [e.content.message for e in await log.read_all(turn_id)] == ["before", "after"]
