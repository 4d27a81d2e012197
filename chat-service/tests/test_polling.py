"""Polling mode: send a message, then receive each answer once, in order, then DONE."""

import asyncio

import grpc
import pytest

from thefirsttake.chat.v1 import chat_pb2

State = chat_pb2.ReceiveAnswerResponse


async def receive_all(chat, user: str, room_id: str) -> list[chat_pb2.ReceiveAnswerResponse]:
    answers = []
    for _ in range(400):
        reply = await chat.stub.ReceiveAnswer(
            chat_pb2.ReceiveAnswerRequest(room_id=room_id), metadata=chat.as_user(user)
        )
        if reply.state == State.DONE:
            return answers
        if reply.state == State.READY:
            answers.append(reply)
        else:
            await asyncio.sleep(0.01)
    raise AssertionError("the turn never finished")


async def test_send_then_receive_every_answer_once(chat, alice):
    room = await chat.stub.CreateRoom(chat_pb2.CreateRoomRequest(), metadata=chat.as_user(alice))
    sent = await chat.stub.SendMessage(
        chat_pb2.SendMessageRequest(room_id=room.id, content="캠퍼스룩 추천"),
        metadata=chat.as_user(alice),
    )
    assert sent.room_id == room.id and int(sent.message_id) > 0
    answers = await receive_all(chat, alice, room.id)
    assert [a.order for a in answers] == [1, 2, 3, 4]
    assert [a.agent_id for a in answers][-1] == "fitting_coordinator"
    assert all(a.message and a.products for a in answers)


async def test_concurrent_pollers_never_get_the_same_answer(chat, alice):
    room = await chat.stub.CreateRoom(chat_pb2.CreateRoomRequest(), metadata=chat.as_user(alice))
    await chat.stub.SendMessage(
        chat_pb2.SendMessageRequest(room_id=room.id, content="여행룩"), metadata=chat.as_user(alice)
    )
    batches = await asyncio.gather(*(receive_all(chat, alice, room.id) for _ in range(3)))
    orders = sorted(a.order for batch in batches for a in batch)
    assert orders == [1, 2, 3, 4]


async def test_nothing_sent_is_done_and_strangers_get_not_found(chat, alice, bob):
    room = await chat.stub.CreateRoom(chat_pb2.CreateRoomRequest(), metadata=chat.as_user(alice))
    reply = await chat.stub.ReceiveAnswer(
        chat_pb2.ReceiveAnswerRequest(room_id=room.id), metadata=chat.as_user(alice)
    )
    assert reply.state == State.DONE
    for call in (
        chat.stub.ReceiveAnswer(
            chat_pb2.ReceiveAnswerRequest(room_id=room.id), metadata=chat.as_user(bob)
        ),
        chat.stub.SendMessage(
            chat_pb2.SendMessageRequest(room_id=room.id, content="hi"), metadata=chat.as_user(bob)
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
