"""Try-on tasks in Redis, where every replica sees them: one hash per task (owner, status,
progress, result) and one stream that queues them for the workers of any replica.

A task moves QUEUED → PROCESSING → COMPLETED | FAILED. Taking a task is one atomic step
(a script that only moves a QUEUED task), so a task never runs twice, even when its queue
entry is handed out again after a worker died.
"""

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from opentelemetry import propagate
from redis.asyncio import Redis

GROUP = "fitting-workers"


class Status(StrEnum):
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class ErrorKind(StrEnum):
    NONE = ""
    PHOTO_REJECTED = "PHOTO_REJECTED"
    ENGINE_FAILED = "ENGINE_FAILED"
    TIMED_OUT = "TIMED_OUT"
    INTERRUPTED = "INTERRUPTED"


FINISHED = frozenset({Status.COMPLETED, Status.FAILED})


@dataclass(frozen=True)
class Task:
    task_id: str
    owner_id: str
    status: Status
    progress: int
    engine: str
    hd: bool
    upper_product_id: str
    lower_product_id: str
    photo_key: str
    result_key: str
    error: str
    error_kind: ErrorKind
    created_at: str

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


def photo_key(task_id: str) -> str:
    # Under private/: never served by URL, never listed.
    return f"private/tryon/{task_id}/photo.jpg"


def result_key(task_id: str) -> str:
    return f"private/tryon/{task_id}/result.jpg"


def new_task_id() -> str:
    return secrets.token_urlsafe(16)


# Moves a QUEUED task to PROCESSING and answers 1; answers 0 for any other state.
_TAKE = """
if redis.call('HGET', KEYS[1], 'status') ~= 'QUEUED' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'PROCESSING', 'progress', '0', 'worker', ARGV[1],
           'started_at', ARGV[2])
return 1
"""
# Updates progress of a PROCESSING task only (a late update cannot undo a finished task).
_PROGRESS = """
if redis.call('HGET', KEYS[1], 'status') ~= 'PROCESSING' then return 0 end
local current = tonumber(redis.call('HGET', KEYS[1], 'progress') or '0')
if tonumber(ARGV[1]) > current then redis.call('HSET', KEYS[1], 'progress', ARGV[1]) end
return 1
"""
# Gives a task of one owner to another (checked inside Redis, so a task of anyone else is
# never touched).
_GIVE = """
if redis.call('HGET', KEYS[1], 'owner_id') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'owner_id', ARGV[2])
return 1
"""
# Ends a task that is not finished yet; answers 0 when it already was.
_FINISH = """
local status = redis.call('HGET', KEYS[1], 'status')
if status == false or status == 'COMPLETED' or status == 'FAILED' then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
"""


class TaskStore:
    def __init__(self, redis: Redis, *, ttl_seconds: int, prefix: str = "fitting") -> None:
        """`prefix` starts every key, so several deployments can share one Redis database."""
        self._redis = redis
        self._ttl = ttl_seconds
        self._prefix = prefix
        self.queue = f"{prefix}:queue"
        self._take = redis.register_script(_TAKE)
        self._progress = redis.register_script(_PROGRESS)
        self._finish = redis.register_script(_FINISH)
        self._give = redis.register_script(_GIVE)

    def _key(self, task_id: str) -> str:
        return f"{self._prefix}:task:{task_id}"

    def _owner_key(self, owner_id: str) -> str:
        return f"{self._prefix}:owner:{owner_id}"

    def daily_key(self, day: str) -> str:
        """The counter of paid tasks started on `day`."""
        return f"{self._prefix}:fitroom:daily:{day}"

    async def ensure_queue(self) -> None:
        """Creates the stream's consumer group once (every replica calls this at start)."""
        groups = (
            await self._redis.xinfo_groups(self.queue)
            if await self._redis.exists(self.queue)
            else []
        )
        if not any(group["name"] == GROUP for group in groups):
            try:
                await self._redis.xgroup_create(self.queue, GROUP, id="0", mkstream=True)
            except Exception as error:  # another replica created it first
                if "BUSYGROUP" not in str(error):
                    raise

    async def create(
        self,
        *,
        task_id: str,
        owner_id: str,
        engine: str,
        hd: bool,
        upper_product_id: str,
        lower_product_id: str,
    ) -> Task:
        """Stores a QUEUED task and queues it, in one transaction."""
        fields = {
            "owner_id": owner_id,
            "status": Status.QUEUED.value,
            "progress": "0",
            "engine": engine,
            "hd": "1" if hd else "0",
            "upper_product_id": upper_product_id,
            "lower_product_id": lower_product_id,
            "photo_key": photo_key(task_id),
            "result_key": "",
            "error": "",
            "error_kind": "",
            "created_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._key(task_id), mapping=fields)
            pipe.expire(self._key(task_id), self._ttl)
            pipe.sadd(self._owner_key(owner_id), task_id)
            pipe.expire(self._owner_key(owner_id), self._ttl)
            # The request's trace context rides along: the try-on stays one trace.
            pipe.xadd(self.queue, {"task_id": task_id, **_trace_context()})
            await pipe.execute()
        return _task(task_id, fields)

    async def get(self, task_id: str) -> Task | None:
        if not task_id or len(task_id) > 64:
            return None
        fields = await self._redis.hgetall(self._key(task_id))
        return _task(task_id, fields) if fields else None

    async def give_tasks(self, *, from_owner: str, to_owner: str) -> int:
        """Moves every task of `from_owner` to `to_owner`; how many moved (0 when run again)."""
        moved = 0
        for task_id in await self._redis.smembers(self._owner_key(from_owner)):
            if await self._give(keys=[self._key(task_id)], args=[from_owner, to_owner]):
                moved += 1
                await self._redis.sadd(self._owner_key(to_owner), task_id)
                await self._redis.expire(self._owner_key(to_owner), self._ttl)
        await self._redis.delete(self._owner_key(from_owner))
        return moved

    async def take(self, task_id: str, *, worker: str) -> bool:
        """Claims a QUEUED task for this worker; False when it is not (or no longer) queued."""
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        return bool(await self._take(keys=[self._key(task_id)], args=[worker, now]))

    async def report_progress(self, task_id: str, progress: int) -> None:
        await self._progress(keys=[self._key(task_id)], args=[str(max(0, min(99, progress)))])

    async def complete(self, task_id: str, *, result: str) -> bool:
        return await self._end(task_id, status=Status.COMPLETED, progress="100", result_key=result)

    async def fail(self, task_id: str, *, kind: ErrorKind, message: str) -> bool:
        return await self._end(task_id, status=Status.FAILED, error=message, error_kind=kind.value)

    async def _end(self, task_id: str, *, status: Status, **fields: str) -> bool:
        values = {
            "status": status.value,
            "finished_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            **fields,
        }
        args = [part for pair in values.items() for part in pair]
        return bool(await self._finish(keys=[self._key(task_id)], args=args))


def _task(task_id: str, fields: dict[str, str]) -> Task:
    return Task(
        task_id=task_id,
        owner_id=fields.get("owner_id", ""),
        status=Status(fields.get("status", Status.QUEUED.value)),
        progress=int(fields.get("progress") or 0),
        engine=fields.get("engine", ""),
        hd=fields.get("hd") == "1",
        upper_product_id=fields.get("upper_product_id", ""),
        lower_product_id=fields.get("lower_product_id", ""),
        photo_key=fields.get("photo_key", ""),
        result_key=fields.get("result_key", ""),
        error=fields.get("error", ""),
        error_kind=ErrorKind(fields.get("error_kind", "")),
        created_at=fields.get("created_at", ""),
    )


def _trace_context() -> dict[str, str]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier
