"""ExpertService over gRPC with the offline engine, a real catalog server and real Redis."""

import grpc
import pytest
from expert_test_catalog import build_products

from thefirsttake.expert.v1 import expert_pb2

CATALOG = {p.product_id: p for p in build_products()}


async def consult(stub, room_id: str, text: str, experts=(), image_url: str = ""):
    request = expert_pb2.ConsultRequest(
        room_id=room_id, user_input=text, image_url=image_url, expert_ids=list(experts)
    )
    return [event async for event in stub.Consult(request, timeout=30)]


def completed(events) -> dict[str, expert_pb2.ExpertCompleted]:
    return {
        e.completed.expert.agent_id: e.completed
        for e in events
        if e.WhichOneof("event") == "completed"
    }


async def test_list_experts_names_the_panel_as_the_spec(expert_stub):
    response = await expert_stub.ListExperts(expert_pb2.ListExpertsRequest(), timeout=5)
    assert [(e.agent_id, e.agent_name, e.agent_role) for e in response.experts] == [
        ("style_analyst", "스타일 분석가", "체형분석과 핏감을 중심으로 추천해드려요!"),
        ("trend_expert", "트렌드 전문가", "최신 트렌드를 반영해 추천해드려요!"),
        ("color_expert", "컬러 전문가", "피부톤에 어울리는 색상 조합을 바탕으로 추천해드려요!"),
        ("fitting_coordinator", "핏팅 코디네이터", "종합적으로 딱 하나의 추천을 해드려요!"),
    ]


async def test_four_experts_stream_interleaved_then_the_coordinator(expert_stub, room_id):
    events = await consult(expert_stub, room_id, "내일 소개팅 가는데 입을 옷 추천해줘")
    kinds = [e.WhichOneof("event") for e in events]
    assert "failed" not in kinds
    answers = completed(events)
    assert list(answers)[-1] == "fitting_coordinator"
    assert set(answers) == {"style_analyst", "trend_expert", "color_expert", "fitting_coordinator"}

    # The specialists' deltas interleave: all three appear before the first completion.
    first_done = kinds.index("completed")
    early = {e.delta.expert.agent_id for e in events[:first_done] if e.HasField("delta")}
    assert early == {"style_analyst", "trend_expert", "color_expert"}
    # The coordinator speaks only after every specialist finished.
    coordinator_start = next(
        i
        for i, e in enumerate(events)
        if e.HasField("delta") and e.delta.expert.agent_id == "fitting_coordinator"
    )
    assert kinds[:coordinator_start].count("completed") == 3

    for agent_id, answer in answers.items():
        deltas = "".join(
            e.delta.text
            for e in events
            if e.HasField("delta") and e.delta.expert.agent_id == agent_id
        )
        assert deltas.strip() == answer.message
        assert answer.products, agent_id
        for ref in answer.products:
            assert ref.product_id in CATALOG
            assert ref.product_url == CATALOG[ref.product_id].image_url
        first_line = answer.message.splitlines()[0]
        assert "에 " in first_line and first_line.endswith(".")

    final = answers["fitting_coordinator"]
    categories = [CATALOG[r.product_id].main_category for r in final.products]
    assert "TOP" in categories and "BOTTOM" in categories
    assert len(categories) == len(set(categories))  # one piece per category: one outfit
    # The outfit agrees with the specialists: each piece was recommended by one of them.
    cited = {
        r.product_id
        for a, ans in answers.items()
        if a != "fitting_coordinator"
        for r in ans.products
    }
    assert {r.product_id for r in final.products} <= cited
    # Occasion rules hold: nothing a blind date should avoid.
    for ref in final.products:
        assert CATALOG[ref.product_id].sub_category not in {"반바지", "조거팬츠", "후드티"}


async def test_specialists_do_not_repeat_each_other(expert_stub, room_id):
    answers = completed(await consult(expert_stub, room_id, "회사 출근룩 추천해줘"))
    picks = [
        {r.product_id for r in answers[a].products}
        for a in ("style_analyst", "trend_expert", "color_expert")
    ]
    assert not (picks[0] & picks[1]) and not (picks[1] & picks[2]) and not (picks[0] & picks[2])
    texts = [answers[a].message for a in ("style_analyst", "trend_expert", "color_expert")]
    assert len(set(texts)) == 3


async def test_a_subset_of_experts(expert_stub, room_id):
    events = await consult(expert_stub, room_id, "데이트룩 추천", experts=["color_expert"])
    assert {e.completed.expert.agent_id for e in events if e.HasField("completed")} == {
        "color_expert"
    }
    assert all(e.delta.expert.agent_id == "color_expert" for e in events if e.HasField("delta"))


async def test_coordinator_alone_still_gives_one_outfit(expert_stub, room_id):
    events = await consult(expert_stub, room_id, "면접 복장", experts=["fitting_coordinator"])
    (answer,) = completed(events).values()
    categories = {CATALOG[r.product_id].main_category for r in answer.products}
    assert {"TOP", "BOTTOM"} <= categories


async def test_unknown_expert_is_invalid_argument(expert_stub, room_id):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await consult(expert_stub, room_id, "추천해줘", experts=["stylist_x"])
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_empty_input_is_invalid_argument(expert_stub, room_id):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await consult(expert_stub, room_id, "  ")
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_follow_up_without_black_changes_the_next_answer(expert_stub, room_id):
    await consult(expert_stub, room_id, "장례식 조문 가는데 뭐 입지")
    answers = completed(await consult(expert_stub, room_id, "검정색은 빼줘"))
    for answer in answers.values():
        for ref in answer.products:
            assert CATALOG[ref.product_id].color_name != "블랙"
    assert "블랙" in answers["color_expert"].message  # it says it left black out


async def test_more_casual_follow_up_moves_to_casual_pieces(expert_stub, room_id):
    first = completed(await consult(expert_stub, room_id, "소개팅 코디 추천해줘"))
    second = completed(await consult(expert_stub, room_id, "좀 더 캐주얼하게"))
    casual = {"티셔츠", "맨투맨", "후드티", "청바지", "치노팬츠", "카고팬츠"}

    def casual_count(answers):
        return sum(
            CATALOG[r.product_id].sub_category in casual
            for a in answers.values()
            for r in a.products
        )

    assert casual_count(second) > casual_count(first)


async def test_nothing_fitting_is_said_plainly(expert_stub, room_id):
    answers = completed(await consult(expert_stub, room_id, "2만원 이하 코트 추천해줘"))
    for answer in answers.values():
        assert "없어요" in answer.message
        for ref in answer.products:
            assert CATALOG[ref.product_id].sub_category != "코트"
            assert CATALOG[ref.product_id].price <= 20000


async def test_catalog_down_is_unavailable(expert_stub, catalog, room_id):
    _, servicer = catalog
    servicer.fail_next = 10
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await consult(expert_stub, room_id, "데일리룩 추천")
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


def test_a_failed_expert_becomes_an_expert_failed_event():
    from expert_service.experts import TREND_EXPERT
    from expert_service.panel import Failed
    from expert_service.servicer import to_proto

    event = to_proto(Failed(TREND_EXPERT, "트렌드 전문가: 잠시 후 다시 시도해 주세요."))
    assert event.WhichOneof("event") == "failed"
    assert event.failed.expert.agent_name == "트렌드 전문가"
    assert event.failed.message.startswith("트렌드 전문가:")


async def test_a_photo_shapes_the_colours_and_is_remembered(expert_stub, room_id, media):
    url, _ = media("navy-top", (31, 43, 74))
    first = completed(await consult(expert_stub, room_id, "이 옷에 어울리는 코디", image_url=url))
    colour = first["color_expert"].message
    assert "사진의 주요 색은 네이비" in colour
    # Navy is already worn: the colour expert's other pieces go with it, not repeat it.
    picks = [CATALOG[r.product_id] for r in first["color_expert"].products]
    assert all(p.color_name != "네이비" for p in picks if p.main_category == "BOTTOM")
    later = completed(await consult(expert_stub, room_id, "출근룩은요?"))
    assert "앞서 올려 주신 사진 속 네이비" in later["color_expert"].message


async def test_an_item_improper_for_the_occasion_is_declined_with_a_reason(expert_stub, room_id):
    answers = completed(await consult(expert_stub, room_id, "여름 면접인데 반바지 입어도 될까요?"))
    for answer in answers.values():
        assert "면접에는 반바지가 격식에 맞지 않아서" in answer.message
        assert all(CATALOG[r.product_id].sub_category != "반바지" for r in answer.products)


async def test_a_colour_bound_to_a_category_is_honoured(expert_stub, room_id):
    answers = completed(await consult(expert_stub, room_id, "네이비 바지로 데일리 코디해줘"))
    for answer in answers.values():
        bottoms = [CATALOG[r.product_id] for r in answer.products]
        bottoms = [p for p in bottoms if p.main_category == "BOTTOM"]
        assert bottoms and all(p.color_name == "네이비" for p in bottoms)


async def test_a_look_around_what_they_own_keeps_it_and_adds_the_rest(expert_stub, room_id):
    answers = completed(await consult(expert_stub, room_id, "네이비 바지에 어울리는 상의 추천해줘"))
    for answer in answers.values():
        cited = [CATALOG[r.product_id] for r in answer.products]
        # Their navy trousers stay; the answer is the tops that go with them.
        assert cited and {p.main_category for p in cited} == {"TOP"}
    assert "네이비 하의" in answers["fitting_coordinator"].message.splitlines()[0]


async def test_a_caller_leaving_early_stops_the_turn_and_keeps_its_message(
    expert_stub, room_id, redis
):
    import asyncio
    import json

    call = expert_stub.Consult(
        expert_pb2.ConsultRequest(room_id=room_id, user_input="데일리룩 추천해줘"), timeout=30
    )
    received = 0
    async for _ in call:
        received += 1
        if received == 3:
            call.cancel()
            break
    # The room's memory is its owner's: keyed by the caller's user id and the room id.
    key = f"{redis.test_prefix}:history:expert-test-user/{room_id}"
    for _ in range(100):  # the history write happens after the cancellation, in the background
        if await redis.exists(key):
            break
        await asyncio.sleep(0.05)
    history = [json.loads(item) for item in await redis.lrange(key, 0, -1)]
    assert history[0] == {"role": "user", "agent_id": "", "text": "데일리룩 추천해줘"}


async def test_consult_needs_a_signed_caller(catalog, settings_for, media):
    """No token, or one signed by anyone but auth-service: refused before any expert runs."""
    from contextlib import AsyncExitStack

    from expert_service.server import open_panel
    from expert_service.servicer import ExpertServicer
    from tftkit.testing import ActingStub, TestIdentities, serving
    from thefirsttake.expert.v1 import expert_pb2_grpc

    address, _ = catalog
    trusted, stranger = TestIdentities(), TestIdentities()
    async with AsyncExitStack() as stack:
        panel = await stack.enter_async_context(open_panel(settings_for(address)))
        registration = (
            expert_pb2_grpc.add_ExpertServiceServicer_to_server,
            ExpertServicer(panel, verifier=trusted.verifier),
            "thefirsttake.expert.v1.ExpertService",
        )
        server = await stack.enter_async_context(serving(registration, verifier=trusted.verifier))
        request = expert_pb2.ConsultRequest(room_id="1", user_input="데일리룩 추천해줘")
        channel = await stack.enter_async_context(grpc.aio.insecure_channel(server))
        for metadata in ((), (("x-user-id", "someone"),), stranger.metadata("someone")):
            stub = ActingStub(expert_pb2_grpc.ExpertServiceStub(channel), metadata)
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                async for _ in stub.Consult(request, timeout=10):
                    pass
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_quick_pieces_are_merged_without_changing_the_text(
    catalog, settings_for, media, room_id
):
    """The offline engine yields a piece every few words with no pause here: paced at 50 ms,
    the answer leaves in a handful of deltas that still add up to the whole text."""
    from expert_service.panel import Completed, Delta
    from expert_service.server import open_panel

    address, _ = catalog
    deltas: dict[float, list[str]] = {}
    for interval in (0.0, 0.05):
        async with open_panel(settings_for(address, delta_interval_seconds=interval)) as panel:
            sent: list[str] = []
            async for event in panel.consult(
                room_id=f"{room_id}-{interval}",
                user_input="주말 데이트룩 추천해줘",
                image_url="",
                expert_ids=["color_expert"],
            ):
                if isinstance(event, Delta):
                    sent.append(event.text)
                elif isinstance(event, Completed):
                    assert "".join(sent).strip() == event.text
        deltas[interval] = sent
    assert len(deltas[0.0]) >= 10
    assert 1 <= len(deltas[0.05]) <= 3
