"""Per-user turn rate limit (fixed one-minute windows in Redis).

Hand-written: it is two Redis commands, and the `limits` package would bring another Redis
client (coredis) for its async storage.
"""

import time

from redis.asyncio import Redis


class RateLimited(Exception):
    """The user started too many turns this minute."""


async def take_turn_slot(*, redis: Redis, user_id: str, per_minute: int) -> None:
    """Counts one turn for the user; raises RateLimited past `per_minute` in this minute."""
    if per_minute <= 0:
        return
    window = int(time.time() // 60)
    key = f"ratelimit:turns:{user_id}:{window}"
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, 120)
        count, _ = await pipe.execute()
    if count > per_minute:
        raise RateLimited(user_id)
