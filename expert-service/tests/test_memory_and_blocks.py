"""Room memory in Redis and the structured product block of LLM answers."""

from expert_service.brief import Brief, Intent, Piece
from expert_service.memory import RoomMemory, room_scope
from expert_service.providers.blocks import ProductBlockFilter, parse_tool_ids


async def test_history_is_cumulative_and_bounded(redis, room_id):
    memory = RoomMemory(redis, prefix=redis.test_prefix, max_turns=2, ttl_seconds=60)
    for turn in range(3):
        await memory.remember_turn(
            room_id=room_id,
            user_input=f"질문 {turn}",
            answers=[("style_analyst", f"답 {turn}"), ("fitting_coordinator", f"정리 {turn}")],
        )
    history = await memory.history(room_id=room_id)
    assert len(history) == 9  # three entries a turn, all kept within 2 * 5
    assert history[0] == {"role": "user", "agent_id": "", "text": "질문 0"}
    assert history[-1]["agent_id"] == "fitting_coordinator"
    assert await redis.ttl(f"{redis.test_prefix}:history:{room_id}") > 0


async def test_a_guests_room_memory_moves_to_the_account_once(redis, room_id):
    memory = RoomMemory(redis, prefix=redis.test_prefix)
    guest, account = room_scope("guest-1", room_id), room_scope("account-1", room_id)
    await memory.remember_turn(
        room_id=guest, user_input="소개팅룩", answers=[("style_analyst", "답")]
    )
    await memory.save_profile(
        room_id=guest, brief=Brief(text="x", height_cm=168), look=[], cited=[]
    )
    assert await memory.move(source=guest, target=account)
    assert (await memory.history(room_id=account))[0]["text"] == "소개팅룩"
    assert (await memory.profile(room_id=account)).height_cm == 168
    assert await memory.history(room_id=guest) == []
    # Again: nothing left to move; another user's scope never sees it.
    assert not await memory.move(source=guest, target=account)
    assert await memory.history(room_id=room_scope("someone-else", room_id)) == []


async def test_profile_keeps_facts_and_the_last_answer_for_follow_ups(redis, room_id):
    memory = RoomMemory(redis, prefix=redis.test_prefix)
    assert await memory.profile(room_id=room_id) == Brief()
    look = [Piece("셔츠", "TOP", "화이트", "p1", 39_000)]
    await memory.save_profile(
        room_id=room_id,
        brief=Brief(
            text="x",
            intent=Intent.ONE_ITEM,
            height_cm=175,
            disliked_colours=["블랙"],
            items=["셔츠"],
            formality_shift=-1,
            follow_ups=[],
            avoid_ids=["p0"],
        ),
        look=look,
        cited=["p1", "p2"],
    )
    profile = await memory.profile(room_id=room_id)
    assert profile.height_cm == 175 and profile.disliked_colours == ["블랙"]
    assert profile.formality_shift == -1 and profile.text == ""
    # What a follow-up changes: the request and its answer, never this turn's one-offs.
    assert (profile.intent, profile.items, profile.last_look) == (Intent.ONE_ITEM, ["셔츠"], look)
    assert profile.last_cited == ["p1", "p2"] and profile.avoid_ids == []


def test_block_filter_hides_the_block_across_deltas():
    block = ProductBlockFilter()
    shown = "".join(
        block.feed(part) for part in ["좋아요 <", "pro", 'ducts>["a1", ', '"b2"]</pro', "ducts>"]
    )
    assert shown + block.finish() == "좋아요 "
    assert block.ids() == ["a1", "b2"]
    plain = ProductBlockFilter()
    assert plain.feed("3 < 5 이고 <b>") + plain.finish() == "3 < 5 이고 <b>"
    assert plain.ids() == []


def test_tool_arguments():
    assert parse_tool_ids('{"product_ids": ["1", 2]}') == ["1", "2"]
    assert parse_tool_ids("{broken") == [] and parse_tool_ids('{"x": 1}') == []
