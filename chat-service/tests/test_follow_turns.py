"""FollowTurns: many turns' listeners over one call, each ending as its own call would."""

import asyncio
from contextlib import asynccontextmanager

import grpc
import pytest

from tftkit.grpc_mux import Multiplexer
from thefirsttake.chat.v1 import chat_pb2


@asynccontextmanager
async def multiplexer(chat, *, timeout_seconds: float = 30.0):
    calls = []

    def follow(requests):
        calls.append(call := chat.stub.FollowTurns(requests))
        return call

    turns = Multiplexer(
        [follow], request_type=chat_pb2.FollowTurnsRequest, timeout_seconds=timeout_seconds
    )
    try:
        yield turns, calls
    finally:
        await turns.aclose()


def metadata(chat, user: str) -> dict[str, str]:
    return dict(chat.as_user(user))


async def collect(listener) -> list[chat_pb2.TurnEvent]:
    return [event async for event in listener]


async def test_two_users_turns_share_one_call_and_each_gets_only_its_own(chat, alice, bob):
    async with multiplexer(chat) as (turns, calls):
        listeners = [
            turns.call(
                "stream_turn",
                chat_pb2.StreamTurnRequest(user_input=question),
                metadata(chat, user),
            )
            for user, question in ((alice, "소개팅 룩"), (bob, "면접 복장"))
        ]
        streams = await asyncio.gather(*(collect(listener) for listener in listeners))

    assert len(calls) == 1
    for events, question in zip(streams, ("소개팅 룩", "면접 복장"), strict=True):
        assert events[-1].WhichOneof("event") == "final_complete"
        turn_id = events[1].connect.turn_id
        # Exactly the turn's log, in order, and nothing of the other turn.
        logged = await chat.events.read_all(turn_id)
        assert [e.WhichOneof("event") for e in events] == [e.WhichOneof("event") for e in logged]
        assert all(e.event_id.startswith(f"{turn_id}:") for e in events)
        texts = [e.complete.message for e in events if e.WhichOneof("event") == "complete"]
        assert len(texts) == 4 and all(question in text for text in texts)


async def test_a_refused_listener_ends_with_its_status_and_the_others_go_on(chat, alice, bob):
    async with multiplexer(chat) as (turns, calls):
        first = await collect(
            turns.call(
                "stream_turn",
                chat_pb2.StreamTurnRequest(user_input="출근룩"),
                metadata(chat, alice),
            )
        )
        resume = chat_pb2.ResumeTurnRequest(last_event_id=first[2].event_id)
        running = turns.call(
            "stream_turn", chat_pb2.StreamTurnRequest(user_input="주말룩"), metadata(chat, alice)
        )
        refusals = {
            # Another user's turn is not found, as with ResumeTurn itself.
            "bob resumes alice's turn": turns.call("resume_turn", resume, metadata(chat, bob)),
            "a forged token": turns.call(
                "resume_turn", resume, {"authorization": "Bearer not-a-token"}
            ),
            "no token": turns.call("resume_turn", resume, {}),
            "a room that is not there": turns.call(
                "stream_turn",
                chat_pb2.StreamTurnRequest(room_id="999999999", user_input="룩"),
                metadata(chat, alice),
            ),
        }
        codes = {}
        for name, listener in refusals.items():
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await collect(listener)
            codes[name] = caught.value.code()
        resumed = await collect(turns.call("resume_turn", resume, metadata(chat, alice)))
        finished = await collect(running)

    assert codes == {
        "bob resumes alice's turn": grpc.StatusCode.NOT_FOUND,
        "a forged token": grpc.StatusCode.UNAUTHENTICATED,
        "no token": grpc.StatusCode.UNAUTHENTICATED,
        "a room that is not there": grpc.StatusCode.NOT_FOUND,
    }
    assert [e.event_id for e in resumed] == [e.event_id for e in first[3:]]
    assert finished[-1].WhichOneof("event") == "final_complete"
    assert len(calls) == 1


async def test_a_cancelled_listener_leaves_chat_service_and_its_turn_runs_on(chat, alice):
    chat.panel.hang_after = 1  # the turn stays open after its first expert
    async with multiplexer(chat) as (turns, _):
        listener = turns.call(
            "stream_turn", chat_pb2.StreamTurnRequest(user_input="데이트룩"), metadata(chat, alice)
        )
        room = (await anext(listener)).room.room_id
        await _until(lambda: chat.listeners.count == 1)
        assert listener.cancel()
        with pytest.raises(asyncio.CancelledError):
            await anext(listener)
        # chat-service stopped following the turn for it; the turn itself is still running.
        await _until(lambda: chat.listeners.count == 0)
        status = await chat.pool.fetchval("SELECT status FROM turns WHERE room_id = $1", int(room))
        assert status == "RUNNING"


async def test_a_listener_past_its_deadline_ends_deadline_exceeded(chat, alice):
    chat.panel.hang_after = 1
    async with multiplexer(chat, timeout_seconds=0.5) as (turns, _):
        listener = turns.call(
            "stream_turn", chat_pb2.StreamTurnRequest(user_input="데이트룩"), metadata(chat, alice)
        )
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await collect(listener)
        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        await _until(lambda: chat.listeners.count == 0)


async def _until(condition, within: float = 5.0) -> None:
    for _ in range(int(within / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("never happened")
