"""A turn whose process died is closed from its event log: completed answers kept, once."""

import uuid

from chat_service.recovery import recover_abandoned_turns
from thefirsttake.chat.v1 import chat_pb2
from thefirsttake.common.v1 import common_pb2


async def test_abandoned_turn_keeps_its_completed_answers(chat, alice):
    room = await chat.stub.CreateRoom(chat_pb2.CreateRoomRequest(), metadata=chat.as_user(alice))
    turn_id = uuid.uuid4()
    await chat.pool.execute(
        "INSERT INTO turns (id, room_id, created_at) VALUES ($1, $2, now() - interval '1 hour')",
        turn_id,
        int(room.id),
    )
    events = chat.events
    # What a runner had logged before its process was killed: one answer and a partial one.
    await events.append(turn_id, chat_pb2.TurnEvent(connect=chat_pb2.Connected(room_id=room.id)))
    await events.append(
        turn_id,
        chat_pb2.TurnEvent(
            complete=chat_pb2.ExpertComplete(
                agent_id="color_expert",
                agent_name="컬러 전문가",
                message="네이비 니트",
                products=[common_pb2.ProductRef(product_id="7", product_url="http://img/7.png")],
            )
        ),
    )
    await events.append(
        turn_id,
        chat_pb2.TurnEvent(content=chat_pb2.ContentDelta(agent_id="trend_expert", message="요즘")),
    )

    for _ in range(2):  # a second sweep (another replica) changes nothing
        await recover_abandoned_turns(pool=chat.pool, events=events, older_than_seconds=60)

    rows = await chat.pool.fetch(
        "SELECT agent_type, content, products FROM messages WHERE turn_id = $1", turn_id
    )
    assert [(r["agent_type"], r["content"]) for r in rows] == [("color_expert", "네이비 니트")]
    assert await chat.pool.fetchval("SELECT status FROM turns WHERE id = $1", turn_id) == "FAILED"
    # A listener still following the turn is told it ended.
    tail = [e async for e in chat.listeners.follow(turn_id)]
    assert tail[-1].WhichOneof("event") == "error" and not tail[-1].error.agent_id


async def test_recent_running_turns_are_left_alone(chat, alice):
    room = await chat.stub.CreateRoom(chat_pb2.CreateRoomRequest(), metadata=chat.as_user(alice))
    turn_id = uuid.uuid4()
    await chat.pool.execute(
        "INSERT INTO turns (id, room_id) VALUES ($1, $2)", turn_id, int(room.id)
    )
    events = chat.events
    assert await recover_abandoned_turns(pool=chat.pool, events=events, older_than_seconds=60) == 0
    assert await chat.pool.fetchval("SELECT status FROM turns WHERE id = $1", turn_id) == "RUNNING"
