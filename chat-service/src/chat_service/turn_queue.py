"""The durable queue of turns: one Redis stream, read by a consumer group whose workers live in
every chat-service replica.

A turn is stored, then queued; whichever worker takes it runs it. A worker holds its entry by
touching it while it works; an entry left idle past the lease (its worker was killed) is
claimed by another worker, which finishes the turn. The entry is acknowledged only once the
turn's answers are stored.

Hand-written over redis-py: the stream commands are the whole protocol, and a task-queue
library would add a second store and its own retry rules where the turn already has its own.
"""

import json
import logging
import os
import socket
import uuid
from dataclasses import asdict, dataclass, field

from redis.asyncio import Redis
from redis.exceptions import ResponseError

log = logging.getLogger(__name__)

_FIELD = "job"
_MAX_LENGTH = 100_000  # entries kept; acknowledged ones are deleted at once


@dataclass(frozen=True)
class TurnJob:
    """What a worker needs to run a stored turn."""

    turn_id: str
    room_id: int
    owner_id: str
    # The caller's signed token: expert-service checks who the turn is for by it.
    owner_token: str
    user_input: str
    image_url: str
    expert_ids: list[str] = field(default_factory=list)
    # The W3C trace context of the request that queued it: the turn stays one trace.
    trace: dict[str, str] = field(default_factory=dict)

    def encode(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def decode(cls, raw: str) -> "TurnJob":
        return cls(**json.loads(raw))


def consumer_name() -> str:
    """This process's name in the group (host and pid: unique among live replicas)."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class TurnQueue:
    def __init__(
        self, *, redis: Redis, key: str, group: str, consumer: str, lease_seconds: float
    ) -> None:
        self._redis = redis
        self._key = key
        self._group = group
        self._consumer = consumer
        self._lease_ms = int(lease_seconds * 1000)

    @property
    def lease_seconds(self) -> float:
        return self._lease_ms / 1000

    async def ensure_group(self) -> None:
        """Creates the stream and its group once (every replica calls this at start)."""
        try:
            await self._redis.xgroup_create(self._key, self._group, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    async def put(self, job: TurnJob) -> str:
        return await self._redis.xadd(
            self._key, {_FIELD: job.encode()}, maxlen=_MAX_LENGTH, approximate=True
        )

    async def take(self, *, count: int, block_ms: int) -> list[tuple[str, TurnJob]]:
        """Up to `count` new entries for this process, waiting up to `block_ms` for one."""
        found = await self._redis.xreadgroup(
            self._group, self._consumer, {self._key: ">"}, count=count, block=block_ms
        )
        return [(entry, TurnJob.decode(f[_FIELD])) for _, entries in found for entry, f in entries]

    async def reclaim(self, *, count: int) -> list[tuple[str, TurnJob]]:
        """Up to `count` entries whose worker stopped touching them for a whole lease (it
        died)."""
        _, entries, _ = await self._redis.xautoclaim(
            self._key, self._group, self._consumer, self._lease_ms, "0-0", count=count
        )
        return [(entry, TurnJob.decode(f[_FIELD])) for entry, f in entries if f]

    async def touch(self, entry_id: str) -> None:
        """Renews this worker's hold on an entry (resets its idle time)."""
        await self._redis.xclaim(self._key, self._group, self._consumer, 0, [entry_id], justid=True)

    async def done(self, entry_id: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xack(self._key, self._group, entry_id)
            pipe.xdel(self._key, entry_id)
            await pipe.execute()

    async def backlog(self) -> int:
        """Turns queued or running across every replica."""
        for group in await self._redis.xinfo_groups(self._key):
            if group["name"] == self._group:
                return int(group.get("pending") or 0) + int(group.get("lag") or 0)
        return 0
