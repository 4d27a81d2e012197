"""Keyset pages of a room's messages: no row skipped or repeated, even when timestamps tie."""

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from chat_service.messages import BadCursor, parse_before
from thefirsttake.chat.v1 import chat_pb2


async def fill_room(chat, owner: str, stamps: list[datetime]) -> str:
    room = await chat.stub.CreateRoom(chat_pb2.CreateRoomRequest(), metadata=chat.as_user(owner))
    for index, stamp in enumerate(stamps):
        await chat.pool.execute(
            "INSERT INTO messages (room_id, message_type, content, created_at)"
            " VALUES ($1, 'USER', $2, $3)",
            int(room.id),
            f"m{index}",
            stamp,
        )
    return room.id


async def all_pages(chat, owner: str, room_id: str, limit: int) -> list[list[str]]:
    pages, before = [], ""
    while True:
        page = await chat.stub.ListMessages(
            chat_pb2.ListMessagesRequest(room_id=room_id, limit=limit, before=before),
            metadata=chat.as_user(owner),
        )
        pages.append([m.content for m in page.messages])
        if not page.has_more:
            return pages
        before = page.next_cursor


async def test_pages_cover_every_message_once_with_tied_timestamps(chat, alice):
    base = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    # Seven messages, several sharing one timestamp.
    stamps = [
        base,
        base,
        base,
        base + timedelta(seconds=1),
        base + timedelta(seconds=1),
        base,
        base,
    ]
    room_id = await fill_room(chat, alice, stamps)
    pages = await all_pages(chat, alice, room_id, limit=3)

    assert [len(p) for p in pages] == [3, 3, 1]
    seen = [content for page in pages for content in page]
    assert sorted(seen) == sorted(f"m{i}" for i in range(7))
    # The first page holds the newest messages, in ascending order.
    assert pages[0][-1] in {"m3", "m4"}


async def test_each_page_is_ascending(chat, alice):
    base = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    room_id = await fill_room(chat, alice, [base + timedelta(minutes=i) for i in range(5)])
    pages = await all_pages(chat, alice, room_id, limit=2)
    assert pages == [["m3", "m4"], ["m1", "m2"], ["m0"]]


@pytest.mark.parametrize("before", ["2026-11-25T09:02:00Z", "2026-11-25T18:02:00+09:00"])
async def test_before_accepts_iso_timestamps_with_z_or_offset(chat, alice, before):
    base = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    room_id = await fill_room(chat, alice, [base + timedelta(minutes=i) for i in range(5)])
    page = await chat.stub.ListMessages(
        chat_pb2.ListMessagesRequest(room_id=room_id, limit=10, before=before),
        metadata=chat.as_user(alice),
    )
    assert [m.content for m in page.messages] == ["m0", "m1"]
    assert page.has_more is False


async def test_bad_cursor_is_invalid_argument(chat, alice):
    room_id = await fill_room(chat, alice, [])
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await chat.stub.ListMessages(
            chat_pb2.ListMessagesRequest(room_id=room_id, before="yesterday"),
            metadata=chat.as_user(alice),
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_parse_before_rejects_garbage_and_reads_naive_time_as_utc():
    with pytest.raises(BadCursor):
        parse_before("not-a-time")
    assert parse_before("2026-11-25T09:00:00").created_at.tzinfo == UTC
    assert parse_before("") is None


async def test_rooms_are_listed_newest_first_for_their_owner_only(chat, alice, bob):
    first = await chat.stub.CreateRoom(
        chat_pb2.CreateRoomRequest(title="a"), metadata=chat.as_user(alice)
    )
    second = await chat.stub.CreateRoom(
        chat_pb2.CreateRoomRequest(title="b"), metadata=chat.as_user(alice)
    )
    await chat.stub.CreateRoom(chat_pb2.CreateRoomRequest(title="c"), metadata=chat.as_user(bob))
    listed = await chat.stub.ListRooms(chat_pb2.ListRoomsRequest(), metadata=chat.as_user(alice))
    assert [r.id for r in listed.rooms] == [second.id, first.id]


async def test_answers_of_a_turn_are_never_stored_twice(chat, alice):
    from chat_service.messages import Answer, store_answers

    room = await chat.stub.CreateRoom(chat_pb2.CreateRoomRequest(), metadata=chat.as_user(alice))
    turn_id = uuid.uuid4()
    await chat.pool.execute(
        "INSERT INTO turns (id, room_id) VALUES ($1, $2)", turn_id, int(room.id)
    )
    answers = [Answer("color_expert", "컬러 전문가", "role", "네이비가 좋아요")]
    assert (
        await store_answers(
            pool=chat.pool,
            room_id=int(room.id),
            turn_id=turn_id,
            answers=answers,
            status="COMPLETED",
        )
        == 1
    )
    assert (
        await store_answers(
            pool=chat.pool,
            room_id=int(room.id),
            turn_id=turn_id,
            answers=answers,
            status="COMPLETED",
        )
        == 0
    )
    assert (
        await chat.pool.fetchval("SELECT count(*) FROM messages WHERE turn_id = $1", turn_id) == 1
    )
