"""The workers of one replica: they take tasks from the shared queue, at most `count` at once,
run them to an end under a deadline, and finish what a dead replica left behind."""

import asyncio
import contextlib
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable

from opentelemetry import propagate, trace
from redis.asyncio import Redis

from fitting_service.metrics import QUEUE_DEPTH, TASK_DURATION, TASKS, TASKS_RUNNING
from fitting_service.tasks import GROUP, ErrorKind, Status, Task, TaskStore

log = logging.getLogger(__name__)
_tracer = trace.get_tracer(__name__)

_INTERRUPTED = "가상 피팅 작업이 중단되었어요. 다시 시도해 주세요."
_TIMED_OUT = "가상 피팅이 너무 오래 걸려 멈췄어요. 잠시 후 다시 시도해 주세요."

# Runs one task that this worker has taken; returns normally or raises (see TaskRunner).
RunTask = Callable[[Task], Awaitable[None]]


class Workers:
    def __init__(
        self,
        *,
        redis: Redis,
        store: TaskStore,
        run: RunTask,
        count: int,
        task_timeout_seconds: float,
        reclaim_idle_seconds: float | None = None,
    ) -> None:
        self._redis = redis
        self._store = store
        self._run = run
        self._count = max(1, count)
        self._timeout = task_timeout_seconds
        # How long a delivered entry may stay unacknowledged before recovery takes it; by
        # default well past the task deadline, so a live worker always acknowledges first.
        self._reclaim_idle = (
            task_timeout_seconds + 30 if reclaim_idle_seconds is None else reclaim_idle_seconds
        )
        # A consumer name unique to this process, so the queue knows whose entries are whose.
        self._name = f"{os.uname().nodename}-{os.getpid()}-{secrets.token_hex(3)}"
        self._loops: list[asyncio.Task] = []
        self._stopping = False

    async def start(self) -> None:
        await self._store.ensure_queue()
        for index in range(self._count):
            self._loops.append(asyncio.create_task(self._consume(index)))
        self._loops.append(asyncio.create_task(self._recover()))

    async def stop(self) -> None:
        # A flag as well as the cancel: redis-py may turn a cancelled read into a connection
        # error, which the loops below would otherwise log and retry forever.
        self._stopping = True
        for loop in self._loops:
            loop.cancel()
        for loop in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        self._loops.clear()

    async def _consume(self, index: int) -> None:
        consumer = f"{self._name}-{index}"
        while not self._stopping:
            try:
                answer = await self._redis.xreadgroup(
                    GROUP, consumer, {self._store.queue: ">"}, count=1, block=2000
                )
                for _, entries in answer or ():
                    for entry_id, fields in entries:
                        # Continues the trace of the request that queued the task.
                        with _tracer.start_as_current_span(
                            "try-on task",
                            context=propagate.extract(fields),
                            kind=trace.SpanKind.CONSUMER,
                        ):
                            await self._handle(entry_id, fields.get("task_id", ""), worker=consumer)
            except asyncio.CancelledError:
                raise
            # A Redis error on one entry must not end this worker for good.
            except Exception:
                if self._stopping:
                    return
                log.exception("reading or running the try-on queue failed")
                await asyncio.sleep(1)

    async def _handle(self, entry_id: str, task_id: str, *, worker: str) -> None:
        if task_id and await self._store.take(task_id, worker=worker):
            await self._run_taken(task_id)
        # Acknowledged once the task has ended (a failed run ends FAILED, never to rerun). After
        # a Redis error or a stop the entry stays pending, and recovery ends it: it runs a task
        # still QUEUED and fails one left PROCESSING, instead of both hanging until they expire.
        await self._redis.xack(self._store.queue, GROUP, entry_id)

    async def _run_taken(self, task_id: str) -> None:
        task = await self._store.get(task_id)
        if task is None:
            return
        started = time.perf_counter()
        TASKS_RUNNING.inc()
        try:
            async with asyncio.timeout(self._timeout):
                await self._run(task)
        except TimeoutError:
            if await self._store.fail(task_id, kind=ErrorKind.TIMED_OUT, message=_TIMED_OUT):
                TASKS.labels(task.engine, "timed_out").inc()
        except asyncio.CancelledError:
            # This replica is stopping: the task ends now rather than hang in PROCESSING.
            await asyncio.shield(
                self._store.fail(task_id, kind=ErrorKind.INTERRUPTED, message=_INTERRUPTED)
            )
            TASKS.labels(task.engine, "interrupted").inc()
            raise
        finally:
            TASKS_RUNNING.dec()
            TASK_DURATION.labels(task.engine).observe(time.perf_counter() - started)

    async def _recover(self) -> None:
        """Every few seconds: the queue depth, and entries a dead worker held too long."""
        idle_ms = int(self._reclaim_idle * 1000)
        while not self._stopping:
            try:
                await self._reclaim(idle_ms)
                groups = await self._redis.xinfo_groups(self._store.queue)
                lag = next((g.get("lag") for g in groups if g["name"] == GROUP), None)
                QUEUE_DEPTH.set(lag or 0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("try-on queue upkeep failed")
            await asyncio.sleep(5)

    async def _reclaim(self, idle_ms: int) -> None:
        start = "0-0"
        while True:
            start, entries, *_ = await self._redis.xautoclaim(
                self._store.queue,
                GROUP,
                f"{self._name}-recovery",
                min_idle_time=idle_ms,
                start_id=start,
                count=20,
            )
            for entry_id, fields in entries:
                task_id = (fields or {}).get("task_id", "")
                task = await self._store.get(task_id) if task_id else None
                if task is not None and task.status == Status.QUEUED:
                    # Its worker died before taking it: run it here.
                    await self._handle(entry_id, task_id, worker=f"{self._name}-recovery")
                    continue
                # Its worker died while running it: a paid task is never started again.
                if (
                    task is not None
                    and task.status == Status.PROCESSING
                    and await self._store.fail(
                        task_id, kind=ErrorKind.INTERRUPTED, message=_INTERRUPTED
                    )
                ):
                    TASKS.labels(task.engine, "interrupted").inc()
                await self._redis.xack(self._store.queue, GROUP, entry_id)
            if start in ("0-0", b"0-0"):
                return
