"""Turns: store the person's message, queue the turn, run the experts, log their events, store
the answers.

A turn takes at most two transactions: one for the room/turn/user message before any expert
runs, one batch for every completed answer at the end. `start` stores and queues; a worker of
any replica runs the turn (see turn_queue.py), so it finishes and stores its answers whether or
not anyone is still listening, and whether or not the process that took it survives: a turn
taken over from a dead worker keeps the answers its event log already holds and asks only the
experts still missing.
"""

import asyncio
import logging
import uuid
from dataclasses import dataclass

import asyncpg
import grpc
from opentelemetry import propagate, trace
from redis.asyncio import Redis
from redis.exceptions import RedisError

from chat_service import rooms
from chat_service.expert_client import consult
from chat_service.messages import Answer, store_answers, store_user_message
from chat_service.turn_events import TurnEventLog, is_terminal, logged_answers
from chat_service.turn_queue import TurnJob, TurnQueue
from thefirsttake.chat.v1 import chat_pb2
from thefirsttake.expert.v1 import expert_pb2, expert_pb2_grpc

log = logging.getLogger(__name__)
_tracer = trace.get_tracer(__name__)

CONNECTED_MESSAGE = "SSE 연결 성공"
FINAL_MESSAGE = "모든 전문가의 답변이 완료되었습니다."
TURN_FAILED_MESSAGE = "전문가 답변을 가져오지 못했습니다. 잠시 후 다시 시도해 주세요."
TURN_TIMEOUT_MESSAGE = "전문가 답변 시간이 초과되었습니다. 잠시 후 다시 시도해 주세요."
# A turn whose workers keep dying is given up after this many attempts.
MAX_ATTEMPTS = 3
# expert-service away for a moment (restarting, a replica gone), or a consultation cut short
# on the way (CANCELLED as an answer, not as our own cancel, which arrives as CancelledError):
# worth asking again for the experts still missing.
_TRANSIENT = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNKNOWN, grpc.StatusCode.CANCELLED}
)


class InvalidTurn(ValueError):
    """The request cannot start a turn (empty or too long input)."""


class TooBusy(Exception):
    """This process already runs its limit of turns."""


@dataclass(frozen=True)
class TurnRequest:
    owner_id: str
    # The caller's signed token: expert-service verifies who the turn is for by it.
    owner_token: str
    room_id: str
    user_input: str
    image_url: str
    expert_ids: list[str]
    # Where the experts read the picture (the caller's upload in the store); the stored message
    # keeps `image_url`, the address its owner sees.
    experts_image_url: str = ""
    # Sent in polling mode: its answers are handed out by ReceiveAnswer.
    polled: bool = False


@dataclass(frozen=True)
class StartedTurn:
    turn_id: uuid.UUID
    room_id: int
    room_created: bool
    user_message_id: int


class TurnRunner:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        redis: Redis,
        events: TurnEventLog,
        queue: TurnQueue,
        experts: expert_pb2_grpc.ExpertServiceStub,
        timeout_seconds: float,
        workers: int,
        max_queued: int,
        max_input_chars: int,
    ) -> None:
        self._pool = pool
        self._redis = redis
        self._events = events
        self._queue = queue
        self._experts = experts
        self._timeout = timeout_seconds
        self._workers = workers
        self._max_queued = max_queued
        self._max_input_chars = max_input_chars
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    async def start(self, request: TurnRequest) -> StartedTurn:
        """Stores the person's message and queues the turn."""
        text = request.user_input.strip()
        if not text:
            raise InvalidTurn("user_input is required")
        if len(text) > self._max_input_chars:
            raise InvalidTurn(f"user_input is longer than {self._max_input_chars} characters")
        if await self._queue.backlog() >= self._max_queued:
            raise TooBusy()
        started = await self._store_opening(request, text)
        if started.room_created:
            await self._emit(
                started.turn_id, room=chat_pb2.RoomCreated(room_id=str(started.room_id))
            )
        await self._emit(
            started.turn_id,
            connect=chat_pb2.Connected(room_id=str(started.room_id), turn_id=str(started.turn_id)),
        )
        await self._queue.put(
            TurnJob(
                turn_id=str(started.turn_id),
                room_id=started.room_id,
                owner_id=request.owner_id,
                owner_token=request.owner_token,
                user_input=text,
                image_url=request.experts_image_url or request.image_url,
                expert_ids=list(request.expert_ids),
                trace=_trace_context(),
            )
        )
        return started

    async def _store_opening(self, request: TurnRequest, text: str) -> StartedTurn:
        turn_id = uuid.uuid4()
        async with self._pool.acquire() as conn, conn.transaction():
            if request.room_id:
                room_id = rooms.parse_room_id(request.room_id)
                room = await rooms.owned_room(db=conn, owner_id=request.owner_id, room_id=room_id)
            else:
                room = await rooms.create_room(
                    db=conn, owner_id=request.owner_id, title=rooms.title_from(text)
                )
            message_id = await store_user_message(
                conn=conn,
                room_id=room.id,
                turn_id=turn_id,
                content=text,
                image_url=request.image_url,
                polled=request.polled,
            )
        return StartedTurn(
            turn_id=turn_id,
            room_id=room.id,
            room_created=not request.room_id,
            user_message_id=message_id,
        )

    @property
    def queue(self) -> TurnQueue:
        return self._queue

    def run_workers(self) -> None:
        """Starts taking turns from the queue (call once the pools are up)."""
        self._tasks = [asyncio.create_task(self._take_turns())]

    async def _take_turns(self) -> None:
        """Takes up to the free number of turns at a time and runs each in its own task.

        One blocking read per process, not one per worker: waiting workers would each hold a
        Redis connection of the bounded pool, and a process may run hundreds of turns that
        mostly wait on their experts.
        """
        running: set[asyncio.Task[None]] = set()
        slot_freed = asyncio.Event()

        def finished(task: asyncio.Task[None]) -> None:
            running.discard(task)
            slot_freed.set()

        # A flag as well as the cancel: redis-py may turn a cancelled blocking read into a
        # connection error, which must not keep a stopping process looping.
        try:
            while not self._stopping:
                free = self._workers - len(running)
                if free <= 0:
                    slot_freed.clear()
                    await slot_freed.wait()
                    continue
                try:
                    taken = [(e, j, True) for e, j in await self._queue.reclaim(count=free)] or [
                        (e, j, False) for e, j in await self._queue.take(count=free, block_ms=2000)
                    ]
                except (RedisError, OSError) as error:  # Redis away: try again shortly
                    if self._stopping:
                        return
                    log.warning("turn queue unavailable: %s", error)
                    await asyncio.sleep(1)
                    continue
                for entry_id, job, taken_over in taken:
                    task = asyncio.create_task(self._process(entry_id, job, taken_over=taken_over))
                    running.add(task)
                    task.add_done_callback(finished)
        finally:
            # Stopping: the turns still running stay pending in the queue, and another worker
            # (of any replica, or this one after a restart) finishes them.
            for task in list(running):
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    async def _process(self, entry_id: str, job: TurnJob, *, taken_over: bool) -> None:
        lease = asyncio.create_task(self._hold(entry_id))
        # Continues the trace of the request that queued the turn, whichever replica runs it.
        span = _tracer.start_as_current_span(
            "turn", context=propagate.extract(job.trace), kind=trace.SpanKind.CONSUMER
        )
        try:
            with span:
                await (self.take_over(job) if taken_over else self.run(job))
            await self._queue.done(entry_id)
        except asyncio.CancelledError:
            raise  # shutting down: the entry stays pending and another worker finishes it
        except Exception:
            log.exception("turn %s could not be run", job.turn_id)
        finally:
            lease.cancel()

    async def _hold(self, entry_id: str) -> None:
        while True:
            await asyncio.sleep(self._queue.lease_seconds / 3)
            try:
                await self._queue.touch(entry_id)
            except (OSError, ConnectionError) as error:
                log.warning("could not renew the lease of %s: %s", entry_id, error)

    async def run(self, job: TurnJob) -> None:
        """Runs a newly queued turn to its end (no database read: `start` just stored it)."""
        turn_id = uuid.UUID(job.turn_id)
        answers: list[Answer] = []
        failure = await self._answer_all(turn_id, job, answers)
        await self._finish(turn_id, job.room_id, answers, failure)

    async def take_over(self, job: TurnJob) -> None:
        """Finishes a turn whose worker died, keeping what its attempts already logged."""
        turn_id = uuid.UUID(job.turn_id)
        status = await self._pool.fetchval("SELECT status FROM turns WHERE id = $1", turn_id)
        if status != "RUNNING":
            return  # finished already (or its room was deleted)
        logged = await self._events.read_all(turn_id)
        answers = logged_answers(logged)
        attempts = await self._redis.incr(f"turn:{turn_id}:attempts")
        await self._redis.expire(f"turn:{turn_id}:attempts", 86_400)
        ended = next((e for e in logged if is_terminal(e)), None)
        if ended is not None or attempts > MAX_ATTEMPTS:
            # It ended (or keeps killing its workers): store what it holds, once.
            failed = ended is None or ended.WhichOneof("event") == "error"
            await self._finish(turn_id, job.room_id, answers, TURN_FAILED_MESSAGE if failed else "",
                               announce=ended is None)  # fmt: skip
            return
        failure = await self._answer_all(turn_id, job, answers)
        await self._finish(turn_id, job.room_id, answers, failure)

    async def _answer_all(self, turn_id: uuid.UUID, job: TurnJob, answers: list[Answer]) -> str:
        """Asks the experts still missing until each answered, the turn's deadline passes, or
        expert-service refuses outright; returns the turn's failure message ("" when none).
        expert-service being away (a restart) is waited out, asking only who is missing."""
        loop = asyncio.get_running_loop()
        deadline, pause = loop.time() + self._timeout, 0.5
        while True:
            try:
                remaining = job.expert_ids
                if answers:
                    wanted = job.expert_ids or await self._every_expert(job)
                    done = {a.agent_id for a in answers}
                    remaining = [e for e in wanted if e not in done]
                    if not remaining:
                        return ""
                async with asyncio.timeout_at(deadline):
                    await self._consult(turn_id, job, remaining, answers)
                return ""
            except TimeoutError:
                log.warning("turn %s passed its deadline (%g s)", turn_id, self._timeout)
                return TURN_TIMEOUT_MESSAGE
            except grpc.aio.AioRpcError as error:
                if error.code() not in _TRANSIENT or loop.time() + pause > deadline:
                    log.warning("consult failed: %s (%s)", error.code().name, error.details())
                    return _client_message(error) or TURN_FAILED_MESSAGE
                log.warning("expert-service unavailable (%s): retrying", error.code().name)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)

    async def _every_expert(self, job: TurnJob) -> list[str]:
        """The panel's experts, as expert-service lists them (it owns the list)."""
        reply = await self._experts.ListExperts(
            expert_pb2.ListExpertsRequest(),
            metadata=(("authorization", f"Bearer {job.owner_token}"),),
            timeout=10,
        )
        return [e.agent_id for e in reply.experts]

    async def _consult(
        self, turn_id: uuid.UUID, job: TurnJob, expert_ids: list[str], answers: list[Answer]
    ) -> None:
        """Relays one consultation of `expert_ids` into the turn's log and `answers`."""
        async for event in consult(
            stub=self._experts,
            token=job.owner_token,
            room_id=job.room_id,
            user_input=job.user_input,
            image_url=job.image_url,
            expert_ids=expert_ids,
            timeout_seconds=self._timeout,
        ):
            await self._relay(turn_id, event, answers)

    async def _relay(
        self, turn_id: uuid.UUID, event: expert_pb2.ConsultEvent, answers: list[Answer]
    ) -> None:
        kind = event.WhichOneof("event")
        if kind == "delta":
            expert = event.delta.expert
            await self._emit(
                turn_id,
                content=chat_pb2.ContentDelta(
                    agent_id=expert.agent_id, agent_name=expert.agent_name, message=event.delta.text
                ),
            )
        elif kind == "completed":
            answer = Answer.from_expert(event.completed)
            answers.append(answer)
            await self._emit(turn_id, complete=answer.to_event())
        elif kind == "failed":
            await self._emit(
                turn_id,
                error=chat_pb2.TurnError(
                    agent_id=event.failed.expert.agent_id, message=event.failed.message
                ),
            )

    async def _finish(
        self,
        turn_id: uuid.UUID,
        room_id: int,
        answers: list[Answer],
        failure: str,
        *,
        announce: bool = True,
    ) -> None:
        # Shielded: a shutdown that cancels the worker must not cut the one final write.
        await asyncio.shield(self._store_and_announce(turn_id, room_id, answers, failure, announce))

    async def _store_and_announce(
        self, turn_id: uuid.UUID, room_id: int, answers: list[Answer], failure: str, announce: bool
    ) -> None:
        try:
            await store_answers(
                pool=self._pool,
                room_id=room_id,
                turn_id=turn_id,
                answers=answers,
                status="FAILED" if failure else "COMPLETED",
            )
        except Exception:
            log.exception("storing the answers of turn %s failed", turn_id)
            failure = failure or TURN_FAILED_MESSAGE
        if not announce:
            return
        if failure:
            await self._emit(turn_id, error=chat_pb2.TurnError(message=failure))
        else:
            await self._emit(
                turn_id,
                final_complete=chat_pb2.TurnComplete(
                    message=FINAL_MESSAGE, total_experts=len(answers)
                ),
            )

    async def _emit(self, turn_id: uuid.UUID, **event: object) -> None:
        await self._events.append(turn_id, chat_pb2.TurnEvent(**event))

    async def shutdown(self) -> None:
        """Stops this process's workers; a turn they were running stays queued and another
        worker (of any replica, or this one after a restart) finishes it."""
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def turn_is_running(pool: asyncpg.Pool, turn_id: uuid.UUID) -> bool:
    """Whether the turn is still queued or running (its answers not yet stored)."""
    return await pool.fetchval("SELECT status FROM turns WHERE id = $1", turn_id) == "RUNNING"


def _trace_context() -> dict[str, str]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def _client_message(error: grpc.aio.AioRpcError) -> str:
    # Only the expert service's own validation messages are meant for the person.
    if error.code() == grpc.StatusCode.INVALID_ARGUMENT:
        return error.details() or ""
    return ""
