"""The person's style profile over real gRPC: theirs alone, checked, deletable at once, and
read by the stylist under each turn's own words."""

import grpc
import pytest
from expert_test_catalog import build_products
from test_consult import completed, consult

from thefirsttake.expert.v1 import expert_pb2

CATALOG = {p.product_id: p for p in build_products()}


async def test_a_profile_is_kept_cleaned_and_deleted(expert_stub):
    empty = await expert_stub.GetProfile(expert_pb2.GetProfileRequest())
    assert empty == expert_pb2.StyleProfile()
    stored = await expert_stub.PutProfile(
        expert_pb2.StyleProfile(
            gender="WOMEN",
            height_cm=163,
            body_type="어깨가 넓은 편\x00",
            skin_tone="여름 쿨톤",
            likes=["네이비", "니트", "네이비", " "],
            dislikes=["형광색"],
            budget=150000,
        )
    )
    assert stored.body_type == "어깨가 넓은 편" and list(stored.likes) == ["네이비", "니트"]
    assert await expert_stub.GetProfile(expert_pb2.GetProfileRequest()) == stored
    await expert_stub.DeleteProfile(expert_pb2.DeleteProfileRequest())
    assert await expert_stub.GetProfile(expert_pb2.GetProfileRequest()) == expert_pb2.StyleProfile()


@pytest.mark.parametrize(
    "profile",
    [
        expert_pb2.StyleProfile(gender="ALIEN"),
        expert_pb2.StyleProfile(height_cm=20),
        expert_pb2.StyleProfile(budget=-1),
        expert_pb2.StyleProfile(body_type="긴" * 200),
        expert_pb2.StyleProfile(likes=[f"색{i}" for i in range(40)]),
    ],
)
async def test_values_out_of_range_are_refused(expert_stub, profile):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await expert_stub.PutProfile(profile)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_the_stylist_reads_the_profile_and_forgets_it_on_delete(expert_stub, room_id, redis):
    def colours(answers) -> set[str]:
        return {
            CATALOG[r.product_id].color_name for answer in answers.values() for r in answer.products
        }

    await expert_stub.PutProfile(expert_pb2.StyleProfile(dislikes=["블랙"]))
    answers = completed(await consult(expert_stub, room_id, "데일리룩 추천해줘"))
    assert answers and "블랙" not in colours(answers)
    # Nothing of it was copied into the room's memory: deleting it forgets it everywhere.
    room = await redis.get(f"{redis.test_prefix}:profile:expert-test-user/{room_id}")
    assert room and "블랙" not in room
