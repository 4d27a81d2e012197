"""Sliding-window limits against the real Redis."""

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from tftkit.rate_limit import RateLimited, take_slot
from tftkit.testing import TEST_REDIS_URL


@pytest.fixture
async def redis():
    client = Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    yield client
    await client.aclose()


async def test_the_limit_holds_over_any_window_and_frees_as_calls_age(redis):
    key = f"test:{uuid.uuid4().hex}"
    for _ in range(3):
        await take_slot(redis=redis, key=key, limit=3, window_seconds=2)
    with pytest.raises(RateLimited) as refused:
        await take_slot(redis=redis, key=key, limit=3, window_seconds=2)
    assert 1 <= refused.value.retry_after_seconds <= 2
    # The refusal did not count: once the first calls are older than the window, calls pass.
    for _ in range(40):
        try:
            await take_slot(redis=redis, key=key, limit=3, window_seconds=2)
            break
        except RateLimited:
            await asyncio.sleep(0.1)
    else:
        raise AssertionError("the window never slid")


async def test_concurrent_callers_never_exceed_the_limit(redis):
    key = f"test:{uuid.uuid4().hex}"

    async def one() -> bool:
        try:
            await take_slot(redis=redis, key=key, limit=5, window_seconds=60)
            return True
        except RateLimited:
            return False

    passed = await asyncio.gather(*(one() for _ in range(30)))
    assert sum(passed) == 5


async def test_no_limit_takes_nothing(redis):
    key = f"test:{uuid.uuid4().hex}"
    await take_slot(redis=redis, key=key, limit=0, window_seconds=60)
    assert not await redis.exists(f"ratelimit:{key}")
