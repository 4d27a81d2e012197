"""End to end: image upload through the gateway, and the polling mode (send / receive)."""

import asyncio
import io
import struct
import zlib
from pathlib import Path

import asyncpg
import httpx
import pytest
from PIL import Image
from pillow_heif import register_heif_opener
from redis.asyncio import Redis

from tftkit.testing import TEST_REDIS_URL

# HEIC photos (phones) are written here as the phone would.
register_heif_opener()

pytestmark = pytest.mark.asyncio(loop_scope="session")

TEN_MB = 10 * 1024 * 1024


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 96), (30, 40, 120)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(*, gps: bool = False) -> bytes:
    buffer = io.BytesIO()
    extra = {}
    if gps:
        tags = Image.Exif()
        tags[0x8825] = {1: "N", 2: (37.0, 33.0, 0.0), 3: "E", 4: (126.0, 58.0, 0.0)}
        tags[0x010F] = "PhoneMaker"
        extra["exif"] = tags
    Image.new("RGB", (80, 60), (200, 120, 40)).save(buffer, format="JPEG", **extra)
    return buffer.getvalue()


def heic_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (10, 200, 30)).save(buffer, format="HEIF", quality=80)
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A little PNG whose header claims `width` x `height` pixels (a decompression bomb)."""
    data = png_bytes()
    chunk = b"IHDR" + struct.pack(">II", width, height) + data[24:29]
    return data[:12] + chunk + struct.pack(">I", zlib.crc32(chunk)) + data[33:]


async def _stored(system) -> tuple[int, list[Path]]:
    """Upload rows in chat-service's database, and upload objects in the store."""
    db = await asyncpg.connect(system.chat_dsn)
    try:
        rows = await db.fetchval("SELECT count(*) FROM uploads")
    finally:
        await db.close()
    folder = Path(system.env["OBJECT_STORE_DIR"]) / "private" / "uploads"
    return rows, sorted(folder.glob("*")) if folder.exists() else []


REFUSED_UPLOADS = {
    "text sent as image/jpeg": (b"just some words, not a photo", "image/jpeg", 415),
    "PNG magic then garbage": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "image/png", 415),
    "truncated JPEG": (jpeg_bytes()[:200], "image/jpeg", 415),
    "decompression bomb": (png_declaring(30_000, 30_000), "image/png", 415),
    "10 MB + 1 byte": (png_bytes().ljust(TEN_MB + 1, b"\x00"), "image/png", 413),
    "far over 10 MB": (png_bytes().ljust(3 * TEN_MB, b"\x00"), "image/png", 413),
}


@pytest.mark.parametrize("case", list(REFUSED_UPLOADS))
async def test_a_refused_upload_is_a_clear_4xx_and_leaves_nothing(system, case):
    content, declared, status = REFUSED_UPLOADS[case]
    before = await _stored(system)
    async with httpx.AsyncClient(base_url=system.base_url, timeout=60) as client:
        answer = await client.post(
            "/api/chat/upload", files={"file": ("photo.jpg", content, declared)}
        )
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["status"] == "fail" and body["data"] is None
    # What is wrong, for the person: the picture, or (over the request cap) the request.
    assert "사진" in body["message"] or "요청이 너무 커요" in body["message"]
    # Nothing half-stored: no new row, no new object.
    assert await _stored(system) == before


@pytest.mark.parametrize(
    ("case", "content", "content_type", "size"),
    [
        ("a PNG named .jpg", png_bytes(), "image/png", (64, 96)),
        ("a JPEG with GPS", jpeg_bytes(gps=True), "image/jpeg", (80, 60)),
        ("a HEIC photo", heic_bytes(), "image/jpeg", (80, 60)),
    ],
)
async def test_an_accepted_upload_is_stored_clean(system, case, content, content_type, size):
    rows, objects = await _stored(system)
    async with httpx.AsyncClient(base_url=system.base_url, timeout=60) as client:
        answer = await client.post(
            "/api/chat/upload", files={"file": ("photo.jpg", content, "image/jpeg")}
        )
        assert answer.status_code == 200, answer.text
        served = await client.get(answer.json()["data"])
    assert served.headers["content-type"] == content_type
    picture = Image.open(io.BytesIO(served.content))
    assert picture.size == size
    # No metadata survives: no EXIF (GPS, maker) in what is served or stored.
    assert not picture.getexif() and b"PhoneMaker" not in served.content
    now_rows, now_objects = await _stored(system)
    assert now_rows == rows + 1
    (added,) = set(now_objects) - set(objects)
    assert added.read_bytes() == served.content


async def test_uploads_are_rate_limited_per_person(system):
    limit = 20  # CHAT_UPLOADS_PER_MINUTE's default
    async with (
        httpx.AsyncClient(base_url=system.base_url, timeout=60) as eager,
        httpx.AsyncClient(base_url=system.base_url, timeout=60) as other,
    ):
        await eager.post("/api/chat/rooms")
        picture = {"file": ("a.png", png_bytes(), "image/png")}
        taken = 0
        # A fixed window: a minute's end mid-run restarts the count, once at most.
        for _ in range(2 * limit + 1):
            refused = await eager.post("/api/chat/upload", files=picture)
            if refused.status_code != 200:
                break
            taken += 1
        assert refused.status_code == 429 and taken >= limit
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.json()["status"] == "fail" and "너무 자주" in refused.json()["message"]
        # Someone else is not held back.
        assert (await other.post("/api/chat/upload", files=picture)).status_code == 200


async def test_bad_text_is_refused_with_a_clear_422(system):
    async with httpx.AsyncClient(base_url=system.base_url, timeout=60) as client:
        room = (await client.post("/api/chat/rooms")).json()["data"]
        streamed = await client.get(
            "/api/chat/rooms/messages/stream", params={"user_input": "a\x00b"}
        )
        sent = await client.post(
            "/api/chat/send", params={"roomId": room["id"]}, json={"content": "탭\x1b[31m"}
        )
        surrogate = await client.post(
            "/api/chat/send",
            params={"roomId": room["id"]},
            content=b'{"content": "\\ud800"}',
            headers={"content-type": "application/json"},
        )
        for answer, problem in (
            (streamed, "control characters"),
            (sent, "control characters"),
            (surrogate, "lone surrogate"),
        ):
            assert answer.status_code == 422, answer.text
            assert answer.json()["status"] == "fail" and problem in answer.json()["message"]
        page = (await client.get(f"/api/chat/rooms/{room['id']}/messages")).json()["data"]
        assert page["messages"] == []


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
