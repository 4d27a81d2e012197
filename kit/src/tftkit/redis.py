"""Redis clients with timeouts."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis


@asynccontextmanager
async def connect_redis(
    url: str, *, timeout_seconds: float = 5.0, read_timeout_seconds: float = 10.0
) -> AsyncIterator[Redis]:
    """A client that fails fast when Redis is unreachable and is closed on exit.

    Blocking reads (XREAD BLOCK) must block for less than `read_timeout_seconds`.
    """
    client = Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=timeout_seconds,
        socket_timeout=read_timeout_seconds,
        health_check_interval=30,
    )
    try:
        await client.ping()
        yield client
    finally:
        await client.aclose()
