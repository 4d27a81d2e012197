"""The real `anthropic` and `openai` SDK clients against local protocol servers, through the
panel with a real catalog server and Redis."""

import base64
import json
from contextlib import asynccontextmanager

import pytest
from expert_llm_servers import (
    ProtocolServer,
    Reply,
    anthropic_error_event,
    anthropic_stream,
    expert_of,
    openai_chunk,
    openai_stream,
)
from expert_test_catalog import build_products
from prometheus_client import REGISTRY

from expert_service.panel import Completed, Delta, Failed
from expert_service.server import open_panel

BY_NAME = {p.product_name: p.product_id for p in build_products()}
SHIRT = BY_NAME["화이트 옥스포드 셔츠"]
SLACKS = BY_NAME["그레이 와이드 슬랙스"]
OTHER_TOP = BY_NAME["네이비 옥스포드 셔츠"]
TEXT = ["화이트 옥스포드 셔츠에 ", "그레이 와이드 슬랙스가 잘 어울려요.", "\n\n깔끔한 인상을 줘요."]


@pytest.fixture
def photo(media) -> tuple[str, bytes]:
    """An uploaded navy JPEG in the local object store and its media URL."""
    return media("look", (31, 43, 74))


@asynccontextmanager
async def running(script, settings):
    server = ProtocolServer(script)
    url = await server.start()
    try:
        async with open_panel(settings(url)) as panel:
            yield panel, server
    finally:
        await server.stop()


def anthropic_settings(catalog, settings_for, **extra):
    address, _ = catalog
    return lambda url: settings_for(
        address,
        llm_provider="anthropic",
        anthropic_api_key="sk-ant-test-key",
        anthropic_base_url=url,
        anthropic_model="claude-test",
        llm_max_retries=0,
        **extra,
    )


def openai_settings(catalog, settings_for, **extra):
    address, _ = catalog
    return lambda url: settings_for(
        address,
        llm_provider="openai",
        openai_api_key="local-key",
        openai_base_url=f"{url}/v1",
        openai_model="local-model",
        llm_max_retries=0,
        **extra,
    )


async def run(panel, room_id, text="데일리룩 추천해줘", image_url=""):
    return [
        e
        async for e in panel.consult(
            room_id=room_id, user_input=text, image_url=image_url, expert_ids=[]
        )
    ]


def by_kind(events, kind):
    return {e.expert.agent_id: e for e in events if isinstance(e, kind)}


def failures(provider: str, expert: str) -> float:
    return (
        REGISTRY.get_sample_value("llm_api_failure_total", {"provider": provider, "expert": expert})
        or 0.0
    )


LLM_SAMPLES = (
    "llm_api_calls_total",
    "llm_api_success_total",
    "llm_api_failure_total",
    "llm_api_response_duration_count",
)


def llm_samples(provider: str, expert: str) -> dict[str, float]:
    labels = {"provider": provider, "expert": expert}
    return {name: REGISTRY.get_sample_value(name, labels) or 0.0 for name in LLM_SAMPLES}


async def test_claude_streams_text_sees_the_photo_and_cites_validated_ids(
    catalog, settings_for, room_id, photo, redis
):
    url, jpeg = photo

    def script(body):
        if expert_of(body) == "핏팅 코디네이터":  # two tops: one outfit keeps the first
            return Reply(pieces=anthropic_stream(TEXT, [SHIRT, OTHER_TOP, SLACKS, "p9999-x"]))
        return Reply(pieces=anthropic_stream(TEXT, [SHIRT, SLACKS, "p9999-invented"]))

    experts = ("style_analyst", "trend_expert", "color_expert", "fitting_coordinator")
    before = {expert: llm_samples("anthropic", expert) for expert in experts}
    async with running(script, anthropic_settings(catalog, settings_for)) as (panel, server):
        events = await run(panel, room_id, image_url=url)

    done = by_kind(events, Completed)
    assert set(done) == set(experts)
    for expert in experts:  # one call each, answered, timed; no failure
        grown = {k: v - before[expert][k] for k, v in llm_samples("anthropic", expert).items()}
        assert grown == {
            "llm_api_calls_total": 1,
            "llm_api_success_total": 1,
            "llm_api_failure_total": 0,
            "llm_api_response_duration_count": 1,
        }
    for answer in done.values():
        assert answer.text == "".join(TEXT).strip()
        assert [p.product_id for p in answer.products] == [SHIRT, SLACKS]  # invented id dropped
    assert len(server.requests) == 4
    for request in server.requests:
        assert request.path == "/v1/messages"
        # The SDK sends the key as x-api-key or (newer API versions) as a bearer token.
        sent = request.headers.get("x-api-key") or request.headers.get("authorization", "")
        assert sent.removeprefix("Bearer ") == "sk-ant-test-key"
        body = request.body
        assert body["model"] == "claude-test" and body["stream"] is True
        assert body["tools"][0]["name"] == "recommend_products"
        image, text = body["messages"][0]["content"]
        assert image["type"] == "image" and image["source"]["media_type"] == "image/jpeg"
        assert base64.b64decode(image["source"]["data"]) == jpeg
        assert "[패션 지식 자료]" in text["text"] and "[후보 상품 목록]" in text["text"]
        assert "사진의 주요 색은 네이비" in text["text"]  # the offline pixel analysis goes along
    coordinator = next(r for r in server.requests if expert_of(r.body) == "핏팅 코디네이터")
    assert "[다른 전문가들의 답변]" in coordinator.body["messages"][0]["content"][1]["text"]
    history = await redis.lrange(f"{redis.test_prefix}:history:{room_id}", 0, -1)
    assert len(history) == 5  # the message and four answers


async def test_claude_error_mid_stream_fails_one_expert_and_the_others_continue(
    catalog, settings_for, room_id, redis
):
    def script(body):
        if expert_of(body) == "트렌드 전문가":
            return Reply(pieces=[*anthropic_stream(["요즘은 "], None)[:3], anthropic_error_event()])
        return Reply(pieces=anthropic_stream(TEXT, [SHIRT, SLACKS]))

    before = failures("anthropic", "trend_expert")
    async with running(script, anthropic_settings(catalog, settings_for)) as (panel, _):
        events = await run(panel, room_id)

    failed = by_kind(events, Failed)
    assert set(failed) == {"trend_expert"}
    assert "트렌드 전문가" in failed["trend_expert"].message
    assert "일시적으로 응답하지 않아요" in failed["trend_expert"].message
    assert set(by_kind(events, Completed)) == {
        "style_analyst",
        "color_expert",
        "fitting_coordinator",
    }
    assert failures("anthropic", "trend_expert") == before + 1
    history = await redis.lrange(f"{redis.test_prefix}:history:{room_id}", 0, -1)
    assert [json.loads(h)["agent_id"] for h in history][1:] == [
        e.expert.agent_id for e in events if isinstance(e, Completed)
    ]


async def test_claude_rate_limit_is_a_clear_failure(catalog, settings_for, room_id):
    def script(body):
        if expert_of(body) == "컬러 전문가":
            error = {"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}}
            return Reply(
                status=429, pieces=[json.dumps(error).encode()], content_type="application/json"
            )
        return Reply(pieces=anthropic_stream(TEXT, [SHIRT, SLACKS]))

    async with running(script, anthropic_settings(catalog, settings_for)) as (panel, _):
        events = await run(panel, room_id)
    failed = by_kind(events, Failed)
    assert set(failed) == {"color_expert"}
    assert "요청이 많아" in failed["color_expert"].message


async def test_claude_timeout_fails_only_the_slow_expert(catalog, settings_for, room_id):
    def script(body):
        if expert_of(body) == "스타일 분석가":
            return Reply(pieces=[*anthropic_stream(["체형을 "], None)[:3], 5.0])
        return Reply(pieces=anthropic_stream(TEXT, [SHIRT, SLACKS]))

    settings = anthropic_settings(catalog, settings_for, llm_timeout_seconds=0.8)
    async with running(script, settings) as (panel, _):
        events = await run(panel, room_id)
    failed = by_kind(events, Failed)
    assert set(failed) == {"style_analyst"}
    assert "늦어" in failed["style_analyst"].message or "초과" in failed["style_analyst"].message
    assert "fitting_coordinator" in by_kind(events, Completed)


async def test_claude_structured_block_is_parsed_and_hidden(catalog, settings_for, room_id):
    parts = [
        "화이트 셔츠에 그레이 슬랙스가 잘 어울려요. <prod",
        'ucts>["',
        SHIRT,
        '", "nope"]',
        "</products>",
    ]

    def script(body):
        return Reply(pieces=anthropic_stream(parts, None))

    async with running(script, anthropic_settings(catalog, settings_for)) as (panel, _):
        events = await run(panel, room_id)
    done = by_kind(events, Completed)
    shown = "".join(e.text for e in events if isinstance(e, Delta))
    assert "<" not in shown and "products" not in shown
    for answer in done.values():
        assert answer.text == "화이트 셔츠에 그레이 슬랙스가 잘 어울려요."
        assert [p.product_id for p in answer.products] == [SHIRT]


async def test_openai_compatible_streams_with_tool_calls_and_image(
    catalog, settings_for, room_id, photo
):
    url, jpeg = photo

    reasons = {SLACKS: "허리선이 높아 다리가 길어 보여요.\n두 번째 줄은 버려요"}

    def script(body):
        return Reply(pieces=openai_stream(TEXT, [SLACKS, SHIRT, "made-up"], reasons))

    async with running(script, openai_settings(catalog, settings_for)) as (panel, server):
        events = await run(panel, room_id, image_url=url)
    done = by_kind(events, Completed)
    assert len(done) == 4
    for answer in done.values():
        assert answer.text == "".join(TEXT).strip()
        assert [p.product_id for p in answer.products] == [SLACKS, SHIRT]
        # The model's own line, kept on one line; the engine writes one where it gave none.
        assert answer.reasons[SLACKS].startswith("허리선이 높아 다리가 길어 보여요.")
        assert "\n" not in answer.reasons[SLACKS]
        assert answer.reasons[SHIRT] and "\n" not in answer.reasons[SHIRT]
    for request in server.requests:
        assert request.path == "/v1/chat/completions"
        assert request.headers["authorization"] == "Bearer local-key"
        assert request.body["model"] == "local-model" and request.body["stream"] is True
        assert request.body["tools"][0]["function"]["name"] == "recommend_products"
        image = request.body["messages"][1]["content"][0]
        assert image["type"] == "image_url"
        assert (
            image["image_url"]["url"] == "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()
        )


async def test_openai_compatible_error_mid_stream(catalog, settings_for, room_id):
    def script(body):
        if expert_of(body) == "컬러 전문가":
            error = {"error": {"message": "model crashed", "type": "server_error"}}
            return Reply(
                pieces=[
                    openai_chunk({"content": "색은 "}),
                    f"data: {json.dumps(error)}\n\n".encode(),
                ]
            )
        return Reply(pieces=openai_stream(TEXT, [SHIRT, SLACKS]))

    before = failures("openai", "color_expert")
    async with running(script, openai_settings(catalog, settings_for)) as (panel, _):
        events = await run(panel, room_id)
    failed = by_kind(events, Failed)
    assert set(failed) == {"color_expert"}
    assert "컬러 전문가" in failed["color_expert"].message
    assert len(by_kind(events, Completed)) == 3
    assert failures("openai", "color_expert") == before + 1


async def test_openai_compatible_timeout(catalog, settings_for, room_id):
    def script(body):
        if expert_of(body) == "트렌드 전문가":
            return Reply(pieces=[openai_chunk({"content": "요즘 "}), 5.0])
        return Reply(pieces=openai_stream(TEXT, [SHIRT, SLACKS]))

    settings = openai_settings(catalog, settings_for, llm_timeout_seconds=0.8)
    async with running(script, settings) as (panel, _):
        events = await run(panel, room_id)
    assert set(by_kind(events, Failed)) == {"trend_expert"}
    assert len(by_kind(events, Completed)) == 3


async def test_every_provider_is_given_the_same_understanding(catalog, settings_for, room_id):
    def script(body):
        return Reply(pieces=openai_stream(["네이비 니트가 좋아요."], []))

    async with running(script, openai_settings(catalog, settings_for)) as (panel, server):
        await run(
            panel, room_id, text="10만원 이하 네이비 니트 하나만 골라줘, 베이지 치노가 있는데"
        )
    system, user = (m["content"] for m in server.requests[0].body["messages"][:2])
    user = "".join(part["text"] for part in user if part["type"] == "text")
    assert "가지고 있는 옷에 맞춰" in system  # the intent the understanding step chose
    assert "이미 가지고 있는 옷: 베이지 치노팬츠" in user
    assert "요청한 아이템: 니트" in user and "예산(한 벌당): 100,000원" in user
