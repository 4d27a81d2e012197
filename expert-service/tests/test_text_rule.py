"""The text rule (tftkit.text) at expert-service's edge. A message (kept in the room's memory in
Redis) is refused with INVALID_ARGUMENT when it carries a control character or is too long once
normalised, and is remembered in NFC; style-profile words are cleaned (a stray control character
is dropped, not the whole profile) and normalised, and still refused when too long.

(A lone surrogate cannot arrive here: protobuf strings are UTF-8. The gateway's tests cover it.)
"""

import json

import grpc
import pytest
from test_consult import completed, consult

from thefirsttake.expert.v1 import expert_pb2

DECOMPOSED = "\u1100\u1161\u11ab"  # 간, as a Mac's keyboard may send it


@pytest.mark.parametrize("text", ["a\x00b", "니트\x1b[0m", "\x7f", "끝\u0085", "\u009b"])
async def test_a_message_with_a_control_character_is_invalid(expert_stub, room_id, redis, text):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await consult(expert_stub, room_id, text)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith("user_input: ")
    assert "control characters" in caught.value.details()
    assert not await redis.exists(f"{redis.test_prefix}:history:expert-test-user/{room_id}")


async def test_length_counts_the_normalised_message(expert_stub, room_id, redis):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await consult(expert_stub, room_id, "가" * 2001)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "at most 2000 characters" in caught.value.details()
    # 6,000 code points as sent, 2,000 syllables once composed: taken, remembered composed.
    answers = completed(await consult(expert_stub, room_id, DECOMPOSED * 2000))
    assert answers
    history = await redis.lrange(f"{redis.test_prefix}:history:expert-test-user/{room_id}", 0, 0)
    assert json.loads(history[0])["text"] == "간" * 2000


async def test_profile_words_are_cleaned_and_normalised(expert_stub):
    stored = await expert_stub.PutProfile(
        expert_pb2.StyleProfile(
            body_type="어깨가\x00 넓은 편\x1b",
            skin_tone=f"여름 쿨톤 {DECOMPOSED}",
            likes=["네\u0085이비", "\x07"],
            dislikes=["형광\u009b색"],
        )
    )
    assert stored.body_type == "어깨가 넓은 편"
    assert stored.skin_tone == "여름 쿨톤 간"
    assert list(stored.likes) == ["네이비"] and list(stored.dislikes) == ["형광색"]


async def test_profile_words_too_long_once_normalised_are_refused(expert_stub):
    # 30 syllables sent decomposed (90 code points) fit the 30-character word limit.
    stored = await expert_stub.PutProfile(expert_pb2.StyleProfile(likes=[DECOMPOSED * 30]))
    assert list(stored.likes) == ["간" * 30]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await expert_stub.PutProfile(expert_pb2.StyleProfile(likes=["간" * 31]))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith("likes: ")
