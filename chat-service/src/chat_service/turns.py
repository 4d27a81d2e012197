"""Turns: store the person's message, run the experts, log their events, store the answers.

A turn takes at most two transactions: one for the room/turn/user message before any
expert runs, one batch for every completed answer at the end. The run is a background
task, so it finishes and stores its answers whether or not anyone is still listening.
"""

import asyncio
import logging
import uuid
from dataclasses import dataclass

import asyncpg
import grpc

from chat_service import rooms
from chat_service.expert_client import consult
from chat_service.messages import Answer, ProductRef, store_answers, store_user_message
from chat_service.turn_events import TurnEventLog
from thefirsttake.chat.v1 import chat_pb2
from thefirsttake.expert.v1 import expert_pb2, expert_pb2_grpc

log = logging.getLogger(__name__)

CONNECTED_MESSAGE = "SSE 연결 성공"
FINAL_MESSAGE = "모든 전문가의 답변이 완료되었습니다."
TURN_FAILED_MESSAGE = "전문가 답변을 가져오지 못했습니다. 잠시 후 다시 시도해 주세요."
TURN_TIMEOUT_MESSAGE = "전문가 답변 시간이 초과되었습니다. 잠시 후 다시 시도해 주세요."


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
        events: TurnEventLog,
        experts: expert_pb2_grpc.ExpertServiceStub,
        timeout_seconds: float,
        max_concurrent: int,
        max_input_chars: int,
    ) -> None:
        self._pool = pool
        self._events = events
        self._experts = experts
        self._timeout = timeout_seconds
        self._max_concurrent = max_concurrent
        self._max_input_chars = max_input_chars
        self._running: set[asyncio.Task[None]] = set()

    async def start(self, request: TurnRequest) -> StartedTurn:
        """Stores the person's message and starts the experts in the background."""
        text = request.user_input.strip()
        if not text:
            raise InvalidTurn("user_input is required")
        if len(text) > self._max_input_chars:
            raise InvalidTurn(f"user_input is longer than {self._max_input_chars} characters")
        if len(self._running) >= self._max_concurrent:
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
        task = asyncio.create_task(self._run(started, request, text))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
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
            )
        return StartedTurn(
            turn_id=turn_id,
            room_id=room.id,
            room_created=not request.room_id,
            user_message_id=message_id,
        )

    async def _run(self, turn: StartedTurn, request: TurnRequest, text: str) -> None:
        answers: list[Answer] = []
        failure = ""
        try:
            async with asyncio.timeout(self._timeout):
                async for event in consult(
                    stub=self._experts,
                    token=request.owner_token,
                    room_id=turn.room_id,
                    user_input=text,
                    image_url=request.experts_image_url or request.image_url,
                    expert_ids=request.expert_ids,
                    timeout_seconds=self._timeout,
                ):
                    await self._relay(turn.turn_id, event, answers)
        except TimeoutError:
            failure = TURN_TIMEOUT_MESSAGE
        except grpc.aio.AioRpcError as error:
            log.warning("consult failed: %s", error.code().name)
            failure = _client_message(error) or TURN_FAILED_MESSAGE
        except asyncio.CancelledError:
            failure = TURN_FAILED_MESSAGE
            raise
        except Exception:
            log.exception("turn failed")
            failure = TURN_FAILED_MESSAGE
        finally:
            # Shielded: a shutdown that cancels the run must not lose completed answers.
            await asyncio.shield(self._finish(turn, answers, failure))

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
            done = event.completed
            answer = Answer(
                agent_id=done.expert.agent_id,
                agent_name=done.expert.agent_name,
                agent_role=done.expert.agent_role,
                message=done.message,
                products=[ProductRef.from_proto(p) for p in done.products],
            )
            answers.append(answer)
            await self._emit(turn_id, complete=_complete_event(answer))
        elif kind == "failed":
            await self._emit(
                turn_id,
                error=chat_pb2.TurnError(
                    agent_id=event.failed.expert.agent_id, message=event.failed.message
                ),
            )

    async def _finish(self, turn: StartedTurn, answers: list[Answer], failure: str) -> None:
        try:
            await store_answers(
                pool=self._pool,
                room_id=turn.room_id,
                turn_id=turn.turn_id,
                answers=answers,
                status="FAILED" if failure else "COMPLETED",
            )
        except Exception:
            log.exception("storing the answers of turn %s failed", turn.turn_id)
            failure = failure or TURN_FAILED_MESSAGE
        if failure:
            await self._emit(turn.turn_id, error=chat_pb2.TurnError(message=failure))
        else:
            await self._emit(
                turn.turn_id,
                final_complete=chat_pb2.TurnComplete(
                    message=FINAL_MESSAGE, total_experts=len(answers)
                ),
            )

    async def _emit(self, turn_id: uuid.UUID, **event: object) -> None:
        await self._events.append(turn_id, chat_pb2.TurnEvent(**event))

    async def shutdown(self) -> None:
        """Cancels running turns; each still stores what completed before it ends."""
        tasks = list(self._running)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _complete_event(answer: Answer) -> chat_pb2.ExpertComplete:
    return chat_pb2.ExpertComplete(
        agent_id=answer.agent_id,
        agent_name=answer.agent_name,
        agent_role=answer.agent_role,
        message=answer.message,
        products=[p.to_proto() for p in answer.products],
    )


def _client_message(error: grpc.aio.AioRpcError) -> str:
    # Only the expert service's own validation messages are meant for the person.
    if error.code() == grpc.StatusCode.INVALID_ARGUMENT:
        return error.details() or ""
    return ""
