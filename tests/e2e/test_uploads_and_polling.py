"""End to end: image upload through the gateway, and the polling mode (send / receive)."""

import io

import httpx
import pytest
from PIL import Image

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


async def test_send_then_receive_each_answer_then_done(system):
    async with (
        httpx.AsyncClient(base_url=system.base_url, timeout=60) as alice,
        httpx.AsyncClient(base_url=system.base_url, timeout=60) as mallory,
    ):
        room = (await alice.post("/api/chat/rooms")).json()["data"]
        sent = await alice.post(
            "/api/chat/send", params={"roomId": room["id"]}, json={"content": "출근룩 추천해줘"}
        )
        assert sent.status_code == 200
        assert sent.json()["data"]["room_id"] == room["id"]

        stranger = await mallory.get("/api/chat/receive", params={"roomId": room["id"]})
        assert stranger.status_code == 404

        answers, pending = [], 0
        for _ in range(600):
            reply = await alice.get("/api/chat/receive", params={"roomId": room["id"]})
            data = reply.json()["data"]
            if data["state"] == "DONE":
                assert reply.status_code == 200
                break
            if data["state"] == "PENDING":
                assert reply.status_code == 202
                pending += 1
                continue
            answers.append(data)
        assert [a["order"] for a in answers] == [1, 2, 3, 4]
        assert answers[-1]["agent_id"] == "fitting_coordinator"
        assert all(a["products"] for a in answers)
