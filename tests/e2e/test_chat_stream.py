"""End to end: the first turn of a guest through the gateway, the stored rows, and privacy."""

import asyncpg
import httpx
import pytest

from e2e.sse_client import read_events, stream

pytestmark = pytest.mark.asyncio(loop_scope="session")

EXPERT_IDS = ("style_analyst", "trend_expert", "color_expert", "fitting_coordinator")
ASK = "내일 소개팅 가는데 입을 옷 추천해줘"


async def test_first_turn_streams_experts_with_real_products_and_is_stored(system):
    async with httpx.AsyncClient(base_url=system.base_url, timeout=120) as alice:
        status, events, _ = await stream(
            alice, "/api/chat/rooms/messages/stream", params={"user_input": ASK}
        )
        assert status == 200
        assert alice.cookies.get("tft_guest"), "a signed guest identity cookie is issued"

        names = [e.event for e in events]
        assert names[:2] == ["room", "connect"]
        assert names[-1] == "final_complete"
        assert "content" in names
        for event in events:
            assert event.data["data"]["type"] == event.event
            assert event.data["data"]["timestamp"] > 0
            assert event.id
        assert events[1].data["data"]["message"] == "SSE 연결 성공"

        completes = [e.data["data"] for e in events if e.event == "complete"]
        assert [c["agent_id"] for c in completes][-1] == "fitting_coordinator"
        assert {c["agent_id"] for c in completes} == set(EXPERT_IDS)
        assert events[-1].data["data"]["total_experts"] == 4
        for complete in completes:
            deltas = [
                e.data["data"]["message"]
                for e in events
                if e.event == "content" and e.data["data"]["agent_id"] == complete["agent_id"]
            ]
            assert "".join(deltas) == complete["message"]
            assert complete["products"], f"{complete['agent_id']} recommends catalog products"

        # Every cited product exists in the catalog and its image loads.
        product_ids = {p["product_id"] for c in completes for p in c["products"]}
        for product_id in product_ids:
            answer = await alice.get(f"/api/chat/product/{product_id}")
            assert answer.status_code == 200
            assert answer.json()["data"]["product_id"] == product_id
        image_url = completes[0]["products"][0]["product_url"]
        image = await alice.get(image_url)
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/png"

        room_id = events[0].data["data"]["room_id"]
        page = (await alice.get(f"/api/chat/rooms/{room_id}/messages")).json()["data"]
        assert page["count"] == 5 and page["has_more"] is False
        assert [m["message_type"] for m in page["messages"]] == ["USER"] + ["AI"] * 4
        assert page["messages"][0]["content"] == ASK
        ai = page["messages"][1:]
        assert {m["agent_type"] for m in ai} == set(EXPERT_IDS)
        assert all(m["product_image_url"] == [p["product_url"] for p in m["products"]] for m in ai)

        history = (await alice.get("/api/chat/rooms/history")).json()["data"]["all_rooms"]
        assert [r["id"] for r in history] == [int(room_id)]

    connection = await asyncpg.connect(system.chat_dsn)
    try:
        rows = await connection.fetch(
            "SELECT message_type, products FROM messages WHERE room_id = $1", int(room_id)
        )
    finally:
        await connection.close()
    assert len(rows) == 5
    product = await asyncpg.connect(system.product_dsn)
    try:
        known = await product.fetchval(
            "SELECT count(*) FROM products WHERE product_id = ANY($1::text[])", list(product_ids)
        )
    finally:
        await product.close()
    assert known == len(product_ids)


async def test_other_guest_sees_nothing_of_the_room(system):
    async with (
        httpx.AsyncClient(base_url=system.base_url, timeout=120) as alice,
        httpx.AsyncClient(base_url=system.base_url, timeout=120) as mallory,
    ):
        status, events, _ = await stream(
            alice,
            "/api/chat/rooms/messages/stream",
            params={"user_input": "면접 복장 추천", "experts": "color_expert"},
        )
        assert status == 200
        room_id = events[0].data["data"]["room_id"]

        answer = await mallory.get(f"/api/chat/rooms/{room_id}/messages")
        assert answer.status_code == 404
        assert answer.json()["status"] == "fail"
        status, events, body = await stream(
            mallory, f"/api/chat/rooms/{room_id}/messages/stream", params={"user_input": "훔쳐보기"}
        )
        assert status == 404 and body["status"] == "fail"
        history = (await mallory.get("/api/chat/rooms/history")).json()["data"]["all_rooms"]
        assert history == []

        # The owner can keep talking in the room; only the chosen expert answers.
        status, events, _ = await stream(
            alice,
            f"/api/chat/rooms/{room_id}/messages/stream",
            params={"user_input": "좀 더 캐주얼하게", "experts": "color_expert"},
        )
        assert status == 200
        assert events[0].event == "connect"
        assert [e.data["data"]["agent_id"] for e in events if e.event == "complete"] == [
            "color_expert"
        ]


async def test_reconnect_with_last_event_id_gets_the_rest_of_the_turn(system):
    async with httpx.AsyncClient(base_url=system.base_url, timeout=120) as alice:
        url = "/api/chat/rooms/messages/stream"
        params = {"user_input": "주말 데이트룩", "experts": "trend_expert"}
        async with alice.stream("GET", url, params=params) as response:
            first = await read_events(response, stop_after=2)
        async with alice.stream(
            "GET", url, params=params, headers={"Last-Event-ID": first[-1].id}
        ) as response:
            rest = await read_events(response)
        assert [e.event for e in first] == ["room", "connect"]
        assert rest[0].event == "content"
        assert rest[-1].event == "final_complete"
        # Resuming did not start a second turn.
        history = (await alice.get("/api/chat/rooms/history")).json()["data"]["all_rooms"]
        assert len(history) == 1


@pytest.mark.parametrize(
    ("params", "status"),
    [({}, 422), ({"user_input": "안녕", "experts": "fortune_teller"}, 400)],
)
async def test_bad_requests_get_clear_envelopes(system, params, status):
    async with httpx.AsyncClient(base_url=system.base_url, timeout=30) as client:
        answer = await client.get("/api/chat/rooms/messages/stream", params=params)
    assert answer.status_code == status
    body = answer.json()
    assert body["status"] == "fail" and body["message"]


async def test_unknown_product_is_404_and_health_is_up(system):
    async with httpx.AsyncClient(base_url=system.base_url, timeout=30) as client:
        assert (await client.get("/api/chat/product/999999999")).status_code == 404
        health = await client.get("/actuator/health")
        assert health.status_code == 200
        assert set(health.json()["components"].values()) == {"UP"}
        # Metrics: test_telemetry.py scrapes them before and after a turn and a hang-up.
