"""Sliding-window rate limits in Redis, and how a refusal travels to the gateway.

A sorted set per key holds the moments of the calls in the last window: a limit means the same
at every moment (a fixed window lets 2 × limit through across its boundary, and makes "the next
call is refused" depend on the clock). Hand-written: it is one transaction of five Redis commands,
and the `limits` package would bring another Redis client (coredis) for its async storage.
"""

import math
import time
import uuid

import grpc
from redis.asyncio import Redis

# Trailing metadata of a RESOURCE_EXHAUSTED answer: seconds until a retry can succeed. The
# gateway turns it into the HTTP `Retry-After` header.
RETRY_AFTER_METADATA_KEY = "retry-after"


class RateLimited(Exception):
    """Too many calls in the current window."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"rate limited; retry after {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


async def take_slot(*, redis: Redis, key: str, limit: int, window_seconds: int) -> None:
    """Counts one call under `key`; raises RateLimited when `limit` calls were already made in
    the last `window_seconds` (`limit` <= 0 means no limit). A refused call is not counted."""
    if limit <= 0:
        return
    now = time.time()
    calls, call = f"ratelimit:{key}", f"{now}:{uuid.uuid4().hex[:8]}"
    # Counted and checked in one transaction, so concurrent callers never both slip through.
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zremrangebyscore(calls, 0, now - window_seconds)
        pipe.zadd(calls, {call: now})
        pipe.zcard(calls)
        pipe.zrange(calls, 0, 0, withscores=True)
        pipe.expire(calls, window_seconds + 1)
        _, _, count, oldest, _ = await pipe.execute()
    if count > limit:
        await redis.zrem(calls, call)  # a refused call does not count
        first = oldest[0][1] if oldest else now
        raise RateLimited(max(1, math.ceil(first + window_seconds - now)))


async def abort_rate_limited(
    context: grpc.aio.ServicerContext, error: RateLimited, message: str
) -> None:
    """Ends the call with RESOURCE_EXHAUSTED and the seconds to wait."""
    context.set_trailing_metadata(((RETRY_AFTER_METADATA_KEY, str(error.retry_after_seconds)),))
    await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, message)
