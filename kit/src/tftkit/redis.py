"""Redis clients with timeouts and a bounded pool."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import BlockingConnectionPool, Redis


@asynccontextmanager
async def connect_redis(
    url: str,
    *,
    timeout_seconds: float = 5.0,
    read_timeout_seconds: float = 10.0,
    max_connections: int = 64,
) -> AsyncIterator[Redis]:
    """A client that fails fast when Redis is unreachable and is closed on exit.

    At most `max_connections` commands run at once; a burst beyond that waits up to
    `timeout_seconds` for a connection instead of failing at once (redis-py's default pool
    refuses past its size), and Redis never sees one connection per waiting caller.
    Blocking reads (XREAD BLOCK) must block for less than `read_timeout_seconds`.
    """
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=timeout_seconds,
        decode_responses=True,
        socket_connect_timeout=timeout_seconds,
        socket_timeout=read_timeout_seconds,
        health_check_interval=30,
    )
    client = Redis.from_pool(pool)
    try:
        await client.ping()
        yield client
    finally:
        await client.aclose()
