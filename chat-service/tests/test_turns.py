"""A turn over real gRPC: events in order, rows stored once, ownership, resume, failures."""

import asyncio

import grpc
import pytest

from thefirsttake.chat.v1 import chat_pb2


async def run_turn(chat, user: str, **fields) -> list[chat_pb2.TurnEvent]:
    call = chat.stub.StreamTurn(chat_pb2.StreamTurnRequest(**fields), metadata=chat.as_user(user))
    return [event async for event in call]


def kinds(events) -> list[str]:
    return [event.WhichOneof("event") for event in events]


async def test_new_room_turn_streams_events_in_order_and_stores_them(chat, alice):
    events = await run_turn(chat, alice, user_input="내일 소개팅 가는데 입을 옷 추천해줘")

    sequence = kinds(events)
    assert sequence[:2] == ["room", "connect"]
    assert sequence[-1] == "final_complete"
    assert sequence.count("complete") == 4
    # Each expert's deltas come before its completion and add up to its full message.
    for complete in (e.complete for e in events if e.WhichOneof("event") == "complete"):
        deltas = [e.content.message for e in events if e.content.agent_id == complete.agent_id]
        assert "".join(deltas) == complete.message
        assert complete.products[0].product_id
    assert events[-1].final_complete.total_experts == 4
    assert all(e.event_id and e.timestamp_ms > 0 for e in events)

    room_id = int(events[0].room.room_id)
    rows = await chat.pool.fetch(
        "SELECT message_type, agent_type, products FROM messages WHERE room_id = $1 ORDER BY id",
        room_id,
    )
    assert [r["message_type"] for r in rows] == ["USER"] + ["AI"] * 4
    assert {r["agent_type"] for r in rows[1:]} == {
        "style_analyst",
        "trend_expert",
        "color_expert",
        "fitting_coordinator",
    }
    status = await chat.pool.fetchval("SELECT status FROM turns WHERE room_id = $1", room_id)
    assert status == "COMPLETED"


async def test_turn_in_existing_room_has_no_room_event_and_passes_experts(chat, alice):
    room = await chat.stub.CreateRoom(chat_pb2.CreateRoomRequest(), metadata=chat.as_user(alice))
    events = await run_turn(
        chat, alice, room_id=room.id, user_input="면접 복장", expert_ids=["color_expert"]
    )
    assert kinds(events)[0] == "connect"
    assert kinds(events).count("complete") == 1
    assert list(chat.panel.requests[-1].expert_ids) == ["color_expert"]
    assert chat.panel.requests[-1].room_id == room.id


async def test_someone_elses_room_is_not_found_and_nothing_is_stored(chat, alice, bob):
    room = await chat.stub.CreateRoom(chat_pb2.CreateRoomRequest(), metadata=chat.as_user(alice))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await run_turn(chat, bob, room_id=room.id, user_input="안녕")
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await chat.stub.ListMessages(
            chat_pb2.ListMessagesRequest(room_id=room.id), metadata=chat.as_user(bob)
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert await chat.pool.fetchval("SELECT count(*) FROM messages") == 0
    rooms = await chat.stub.ListRooms(chat_pb2.ListRoomsRequest(), metadata=chat.as_user(bob))
    assert list(rooms.rooms) == []


async def test_missing_identity_and_empty_input_are_refused(chat, alice):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await chat.stub.ListRooms(chat_pb2.ListRoomsRequest())
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await run_turn(chat, alice, user_input="   ")
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_failed_expert_gets_error_event_and_the_others_are_stored(chat, alice):
    chat.panel.fail = {"trend_expert"}
    events = await run_turn(chat, alice, user_input="여행 코디")
    errors = [e.error for e in events if e.WhichOneof("event") == "error"]
    assert [e.agent_id for e in errors] == ["trend_expert"]
    assert events[-1].final_complete.total_experts == 3
    stored = await chat.pool.fetchval("SELECT count(*) FROM messages WHERE message_type = 'AI'")
    assert stored == 3


async def test_turn_finishes_and_stores_answers_after_the_listener_leaves(chat, alice):
    call = chat.stub.StreamTurn(
        chat_pb2.StreamTurnRequest(user_input="데이트룩"), metadata=chat.as_user(alice)
    )
    first = await anext(call.__aiter__())
    call.cancel()
    room_id = int(first.room.room_id)
    for _ in range(100):
        status = await chat.pool.fetchval("SELECT status FROM turns WHERE room_id = $1", room_id)
        if status != "RUNNING":
            break
        await asyncio.sleep(0.05)
    assert status == "COMPLETED"
    stored = await chat.pool.fetchval(
        "SELECT count(*) FROM messages WHERE room_id = $1 AND message_type = 'AI'", room_id
    )
    assert stored == 4


async def test_resume_replays_only_the_events_after_the_last_seen_one(chat, alice, bob):
    events = await run_turn(chat, alice, user_input="출근룩")
    cut = 5
    resumed = [
        e
        async for e in chat.stub.ResumeTurn(
            chat_pb2.ResumeTurnRequest(last_event_id=events[cut - 1].event_id),
            metadata=chat.as_user(alice),
        )
    ]
    assert [e.event_id for e in resumed] == [e.event_id for e in events[cut:]]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in chat.stub.ResumeTurn(
            chat_pb2.ResumeTurnRequest(last_event_id=events[0].event_id),
            metadata=chat.as_user(bob),
        ):
            pass
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_turn_whose_worker_dies_is_taken_over_and_stored_once(chat, alice):
    chat.panel.hang_after = 2
    call = chat.stub.StreamTurn(
        chat_pb2.StreamTurnRequest(user_input="결혼식 하객룩"), metadata=chat.as_user(alice)
    )
    seen = []
    async for event in call:
        seen.append(event)
        if kinds(seen).count("complete") == 2:
            break
    room_id = int(seen[0].room.room_id)
    # The worker stops mid-turn (its process goes away): nothing is stored, nothing is lost.
    await chat.runner.shutdown()
    assert await chat.pool.fetchval("SELECT status FROM turns WHERE room_id = $1", room_id) == (
        "RUNNING"
    )
    chat.panel.hang_after = None
    other = chat.new_runner()  # another replica, once the dead worker's lease runs out
    other.run_workers()
    try:
        for _ in range(100):
            status = await chat.pool.fetchval(
                "SELECT status FROM turns WHERE room_id = $1", room_id
            )
            if status != "RUNNING":
                break
            await asyncio.sleep(0.1)
    finally:
        await other.shutdown()
    assert status == "COMPLETED"
    stored = await chat.pool.fetch(
        "SELECT agent_type FROM messages WHERE room_id = $1 AND message_type = 'AI'"
        " ORDER BY created_at, id",
        room_id,
    )
    # The two answers of the first attempt are kept; only the two missing experts were asked.
    panel = ["style_analyst", "trend_expert", "color_expert", "fitting_coordinator"]
    assert [r["agent_type"] for r in stored] == panel
    assert list(chat.panel.requests[-1].expert_ids) == panel[2:]


@pytest.mark.parametrize("code", [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED])
async def test_expert_service_away_mid_turn_is_waited_out_asking_only_the_missing(
    chat, alice, code
):
    chat.panel.drop_after, chat.panel.drop_code = 2, code
    events = await run_turn(chat, alice, user_input="데이트룩")
    assert kinds(events)[-1] == "final_complete"
    room_id = int(events[0].room.room_id)
    stored = await chat.pool.fetch(
        "SELECT agent_type FROM messages WHERE room_id = $1 AND message_type = 'AI'", room_id
    )
    assert sorted(r["agent_type"] for r in stored) == sorted(
        ["style_analyst", "trend_expert", "color_expert", "fitting_coordinator"]
    )
    assert [list(r.expert_ids) for r in chat.panel.requests] == [
        [],
        ["color_expert", "fitting_coordinator"],
    ]


async def test_too_many_turns_a_minute_are_refused_for_that_user_only(chat, alice, bob):
    chat_settings = chat.servicer_settings
    chat_settings.turns_per_minute = 2
    await run_turn(chat, alice, user_input="하나", expert_ids=["color_expert"])
    await run_turn(chat, alice, user_input="둘", expert_ids=["color_expert"])
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await run_turn(chat, alice, user_input="셋", expert_ids=["color_expert"])
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    rooms = await chat.stub.ListRooms(chat_pb2.ListRoomsRequest(), metadata=chat.as_user(alice))
    assert len(rooms.rooms) == 2
    events = await run_turn(chat, bob, user_input="넷", expert_ids=["color_expert"])
    assert kinds(events)[-1] == "final_complete"
