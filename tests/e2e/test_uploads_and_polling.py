"""End to end: image upload through the gateway, and the polling mode (send / receive)."""

import asyncio
import io

import asyncpg
import httpx
import pytest
from PIL import Image
from redis.asyncio import Redis

from tftkit.testing import TEST_REDIS_URL

pytestmark = pytest.mark.asyncio(loop_scope="session")


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 96), (30, 40, 120)).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_upload_is_checked_by_content_and_served_back_to_its_owner_only(system):
    async with (
        httpx.AsyncClient(base_url=system.base_url, timeout=60) as client,
        httpx.AsyncClient(base_url=system.base_url, timeout=60) as stranger,
    ):
        image = png_bytes()
        # The client's declared type and name are ignored; the bytes decide.
        answer = await client.post(
            "/api/chat/upload", files={"file": ("photo.txt", image, "text/plain")}
        )
        assert answer.status_code == 200
        url = answer.json()["data"]
        assert url.startswith(system.base_url + "/api/chat/uploads/")
        served = await client.get(url)
        assert served.status_code == 200 and served.headers["content-type"] == "image/png"
        assert served.headers["cache-control"] == "private, no-store"
        assert Image.open(io.BytesIO(served.content)).size == (64, 96)
        await stranger.post("/api/chat/rooms")
        assert (await stranger.get(url)).status_code == 404
        upload_id = url.rsplit("/", 1)[-1]
        public = f"{system.base_url}/media/private/uploads/{upload_id}.png"
        assert (await stranger.get(public)).status_code == 404

        # A turn with the photo: the person sees it in the history, the experts read it.
        room = (await client.post("/api/chat/rooms")).json()["data"]
        sent = await client.post(
            "/api/chat/send",
            params={"roomId": room["id"]},
            json={"content": "이 옷에 어울리는 코디 알려줘", "image_url": url},
        )
        assert sent.status_code == 200
        page = (await client.get(f"/api/chat/rooms/{room['id']}/messages")).json()["data"]
        assert page["messages"][0]["image_url"] == url
        # Someone else cannot point a turn at that photo.
        other_room = (await stranger.post("/api/chat/rooms")).json()["data"]
        stolen = await stranger.post(
            "/api/chat/send",
            params={"roomId": other_room["id"]},
            json={"content": "이 사진 어때", "image_url": url},
        )
        assert stolen.status_code == 404

        fake = await client.post(
            "/api/chat/upload", files={"file": ("photo.png", b"<html>hi</html>", "image/png")}
        )
        assert fake.status_code == 415 and fake.json()["status"] == "fail"

        huge = image + b"\x00" * (10 * 1024 * 1024)
        too_big = await client.post(
            "/api/chat/upload", files={"file": ("big.png", huge, "image/png")}
        )
        assert too_big.status_code == 413


async def receive_until_done(client, room_id: int) -> tuple[list[dict], int]:
    """Every answer `receive` hands out until DONE, and how often it said PENDING (202)."""
    answers, pending = [], 0
    for _ in range(600):
        reply = await client.get("/api/chat/receive", params={"roomId": room_id})
        data = reply.json()["data"]
        if data["state"] == "DONE":
            assert reply.status_code == 200
            return answers, pending
        if data["state"] == "PENDING":
            assert reply.status_code == 202
            pending += 1
            await asyncio.sleep(0.05)  # a polite poller
            continue
        assert reply.status_code == 200 and data["state"] == "READY"
        answers.append(data)
    raise AssertionError("receive never said DONE")


async def wait_until_stored(chat_dsn: str, room_id: int) -> list:
    """The room's turn ids, once none is RUNNING any more."""
    conn = await asyncpg.connect(chat_dsn)
    try:
        for _ in range(300):
            rows = await conn.fetch(
                "SELECT id, status FROM turns WHERE room_id = $1 ORDER BY created_at", room_id
            )
            if rows and all(r["status"] != "RUNNING" for r in rows):
                return [r["id"] for r in rows]
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    raise AssertionError("the turns never ended")


async def test_polling_hands_out_every_turns_answers_in_order_each_once(system):
    async with (
        httpx.AsyncClient(base_url=system.base_url, timeout=60) as alice,
        httpx.AsyncClient(base_url=system.base_url, timeout=60) as mallory,
    ):
        room = (await alice.post("/api/chat/rooms")).json()["data"]
        # Exactly what the original's clients send: a null picture, or none at all.
        first = await alice.post(
            "/api/chat/send",
            params={"roomId": room["id"]},
            json={"content": "출근룩 추천해줘", "image_url": None},
        )
        assert first.status_code == 200 and first.json()["data"]["room_id"] == room["id"]
        second = await alice.post(
            "/api/chat/send", params={"roomId": room["id"]}, json={"content": "좀 더 캐주얼하게"}
        )
        assert second.status_code == 200

        stranger = await mallory.get("/api/chat/receive", params={"roomId": room["id"]})
        assert stranger.status_code == 404

        answers, pending = await receive_until_done(alice, room["id"])
        assert pending >= 1  # asked before the experts finished: "not ready", not "done"
        # Both turns, the first one's answers first, each once; the second send hid nothing.
        assert [a["order"] for a in answers] == [1, 2, 3, 4, 1, 2, 3, 4]
        assert [a["agent_id"] for a in answers][3::4] == ["fitting_coordinator"] * 2
        assert all(a["products"] and a["message"] for a in answers)
        assert len({a["message"] for a in answers}) == 8

        # Once every event log has expired, receive reads the stored answers.
        third = await alice.post(
            "/api/chat/send", params={"roomId": room["id"]}, json={"content": "여행룩도"}
        )
        assert third.status_code == 200
        turn_ids = await wait_until_stored(system.chat_dsn, room["id"])
        redis = Redis.from_url(TEST_REDIS_URL)
        try:
            await redis.delete(*(f"turn:{turn_id}:events" for turn_id in turn_ids))
        finally:
            await redis.aclose()
        late, pending = await receive_until_done(alice, room["id"])
        assert [a["order"] for a in late] == [1, 2, 3, 4] and pending == 0
        again, _ = await receive_until_done(alice, room["id"])
        assert again == []  # all delivered stays all delivered
