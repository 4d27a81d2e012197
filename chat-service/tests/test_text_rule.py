"""The text rule (tftkit.text) at chat-service's own edge: a caller that bypasses the gateway and
sends a control character, an over-long message or a title is refused with INVALID_ARGUMENT and
a message that says why, never INTERNAL, and nothing is stored; good text is stored in NFC.

(A lone surrogate cannot arrive here: protobuf strings are UTF-8. The gateway's tests cover it.)
"""

import grpc
import pytest

from thefirsttake.chat.v1 import chat_pb2

DECOMPOSED = "\u1100\u1161\u11ab"  # 간, as a Mac's keyboard may send it
COMPOSED = "간"

REFUSED = [
    ("a\x00b", "control characters"),
    ("줄\x1b[31m바꿈", "control characters"),
    ("\x7fdel", "control characters"),
    ("c1\u0085", "control characters"),
]


async def _nothing_stored(chat) -> None:
    assert await chat.pool.fetchval("SELECT count(*) FROM messages") == 0
    assert await chat.pool.fetchval("SELECT count(*) FROM turns") == 0


async def _refused(call) -> grpc.aio.AioRpcError:
    """The error a unary call, or a stream read to its end, fails with."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        if isinstance(call, grpc.aio.UnaryStreamCall):
            async for _ in call:
                pass
        else:
            await call
    return caught.value


@pytest.mark.parametrize(("text", "why"), REFUSED)
async def test_a_streamed_turn_with_a_control_character_is_invalid(chat, alice, text, why):
    error = await _refused(
        chat.stub.StreamTurn(
            chat_pb2.StreamTurnRequest(user_input=text), metadata=chat.as_user(alice)
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("user_input: ") and why in error.details()
    # The message names the problem, not the text.
    assert text not in error.details()
    await _nothing_stored(chat)
    assert await chat.pool.fetchval("SELECT count(*) FROM rooms") == 0


@pytest.mark.parametrize(("text", "why"), REFUSED)
async def test_a_sent_message_with_a_control_character_is_invalid(chat, alice, text, why):
    room = await chat.stub.CreateRoom(chat_pb2.CreateRoomRequest(), metadata=chat.as_user(alice))
    error = await _refused(
        chat.stub.SendMessage(
            chat_pb2.SendMessageRequest(room_id=room.id, content=text),
            metadata=chat.as_user(alice),
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("content: ") and why in error.details()
    await _nothing_stored(chat)


async def test_an_image_url_with_a_control_character_is_invalid(chat, alice):
    error = await _refused(
        chat.stub.StreamTurn(
            chat_pb2.StreamTurnRequest(user_input="이 옷 어때?", image_url="http://x/a\x00.png"),
            metadata=chat.as_user(alice),
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("image_url: ")
    await _nothing_stored(chat)


async def test_a_room_title_with_a_control_character_is_invalid(chat, alice):
    error = await _refused(
        chat.stub.CreateRoom(
            chat_pb2.CreateRoomRequest(title="제목\x00"), metadata=chat.as_user(alice)
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("title: ")
    assert await chat.pool.fetchval("SELECT count(*) FROM rooms") == 0


async def test_length_is_counted_after_normalising(chat, alice):
    limit = chat.servicer_settings.max_input_chars
    # Three code points a syllable as sent, one once composed: within the limit.
    events = [
        event
        async for event in chat.stub.StreamTurn(
            chat_pb2.StreamTurnRequest(user_input=DECOMPOSED * limit),
            metadata=chat.as_user(alice),
        )
    ]
    room_id = int(events[0].room.room_id)
    stored = await chat.pool.fetchval(
        "SELECT content FROM messages WHERE room_id = $1 AND message_type = 'USER'", room_id
    )
    assert stored == COMPOSED * limit
    title = await chat.pool.fetchval("SELECT title FROM rooms WHERE id = $1", room_id)
    assert title.startswith(COMPOSED)
    # One character over, once composed: refused, and nothing more is stored.
    before = await chat.pool.fetchval("SELECT count(*) FROM messages")
    error = await _refused(
        chat.stub.SendMessage(
            chat_pb2.SendMessageRequest(room_id=str(room_id), content=COMPOSED * (limit + 1)),
            metadata=chat.as_user(alice),
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"at most {limit} characters" in error.details()
    assert await chat.pool.fetchval("SELECT count(*) FROM messages") == before


async def test_tabs_and_newlines_are_text(chat, alice):
    events = [
        event
        async for event in chat.stub.StreamTurn(
            chat_pb2.StreamTurnRequest(user_input="상의:\t니트\r\n하의:\t슬랙스"),
            metadata=chat.as_user(alice),
        )
    ]
    assert events[-1].WhichOneof("event") == "final_complete"
    stored = await chat.pool.fetchval("SELECT content FROM messages WHERE message_type = 'USER'")
    assert stored == "상의:\t니트\r\n하의:\t슬랙스"


@pytest.mark.parametrize("upload_id", ["a\x00b", "../../etc", "x" * 65])
async def test_a_malformed_upload_id_is_not_found_never_internal(chat, alice, upload_id):
    fetched = await _refused(
        chat.stub.GetUpload(
            chat_pb2.GetUploadRequest(upload_id=upload_id), metadata=chat.as_user(alice)
        )
    )
    assert fetched.code() == grpc.StatusCode.NOT_FOUND
    turn = await _refused(
        chat.stub.StreamTurn(
            chat_pb2.StreamTurnRequest(user_input="이 옷 어때?", upload_id=upload_id),
            metadata=chat.as_user(alice),
        )
    )
    assert turn.code() == grpc.StatusCode.NOT_FOUND
    await _nothing_stored(chat)
