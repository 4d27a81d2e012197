"""Fixed-window rate limits in Redis, and how a refusal travels to the gateway.

Hand-written: it is two Redis commands, and the `limits` package would bring another Redis
client (coredis) for its async storage.
"""

import math
import time

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
    """Counts one call under `key`; raises RateLimited past `limit` in the current window
    (`limit` <= 0 means no limit)."""
    if limit <= 0:
        return
    now = time.time()
    window = int(now // window_seconds)
    counter = f"ratelimit:{key}:{window}"
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(counter)
        pipe.expire(counter, 2 * window_seconds)
        count, _ = await pipe.execute()
    if count > limit:
        raise RateLimited(max(1, math.ceil((window + 1) * window_seconds - now)))


async def abort_rate_limited(
    context: grpc.aio.ServicerContext, error: RateLimited, message: str
) -> None:
    """Ends the call with RESOURCE_EXHAUSTED and the seconds to wait."""
    context.set_trailing_metadata(((RETRY_AFTER_METADATA_KEY, str(error.retry_after_seconds)),))
    await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, message)
