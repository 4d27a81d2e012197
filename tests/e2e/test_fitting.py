"""End to end through the gateway: a person tries catalog garments on their own photo (sync and
async), only they can see the task and its picture, photos that cannot be dressed get 422, and
the image proxy refuses every way of reaching an internal address without connecting to it."""

import asyncio
import io

import asyncpg
import httpx
import pytest
from PIL import Image

from e2e.image_host import counting_listener
from e2e.protocol_servers import astronaut, encoded, nobody

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _product(system, category: str) -> str:
    db = await asyncpg.connect(system.product_dsn)
    try:
        return await db.fetchval(
            "SELECT product_id FROM products WHERE main_category = $1 ORDER BY product_id LIMIT 1",
            category,
        )
    finally:
        await db.close()


def _photo_part(picture: Image.Image) -> dict:
    return {"model_image": ("me.jpg", encoded(picture), "image/jpeg")}


async def test_a_person_tries_a_top_on_and_only_they_see_it(system):
    top = await _product(system, "TOP")
    async with (
        httpx.AsyncClient(base_url=system.base_url, timeout=120) as me,
        httpx.AsyncClient(base_url=system.base_url, timeout=30) as stranger,
    ):
        answer = await me.post(
            "/api/fitting/try-on", files=_photo_part(astronaut()), data={"upper_product_id": top}
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status"] == "success"
        data = body["data"]
        assert data["success"] is True and data["status"] == "COMPLETED"
        assert data["downloadUrl"] == data["download_url"] and data["taskId"] == data["task_id"]

        picture = await me.get(data["download_url"])
        assert picture.status_code == 200
        assert picture.headers["content-type"] == "image/jpeg"
        assert "no-store" in picture.headers["cache-control"]
        result = Image.open(io.BytesIO(picture.content))
        assert result.size == (512, 512)

        # Someone else: neither the task nor its picture exist for them.
        await stranger.post("/api/chat/rooms")  # a guest identity of their own
        assert (await stranger.get(data["download_url"])).status_code == 404
        assert (await stranger.get(f"/api/fitting/status/{data['task_id']}")).status_code == 404
        # Nor is anything private served as a public object.
        media = system.base_url + f"/media/private/tryon/{data['task_id']}/result.jpg"
        assert (await stranger.get(media)).status_code == 404


async def test_async_try_on_reports_progress_until_completed(system):
    top, bottom = await _product(system, "TOP"), await _product(system, "BOTTOM")
    async with httpx.AsyncClient(base_url=system.base_url, timeout=60) as me:
        answer = await me.post(
            "/api/fitting/try-on?async=true",
            files=_photo_part(astronaut()),
            data={"upper_product_id": top, "hd_mode": "true"},
        )
        assert answer.status_code == 202, answer.text
        task_id = answer.json()["data"]["task_id"]
        seen = []
        for _ in range(300):
            status = (await me.get(f"/api/fitting/status/{task_id}")).json()["data"]
            seen.append((status["status"], status["progress"]))
            if status["status"] in ("COMPLETED", "FAILED"):
                break
            await asyncio.sleep(0.1)
        assert seen[-1] == ("COMPLETED", 100), (seen, status)
        assert all(state in ("QUEUED", "PROCESSING", "COMPLETED") for state, _ in seen)
        assert status["download_url"].endswith(f"/api/fitting/result/{task_id}")

        # A combo needs both garments; a bottom is no top.
        refused = await me.post(
            "/api/fitting/try-on/combo",
            files=_photo_part(astronaut()),
            data={"upper_product_id": top},
        )
        assert refused.status_code == 422
        wrong = await me.post(
            "/api/fitting/try-on", files=_photo_part(astronaut()), data={"upper_product_id": bottom}
        )
        assert wrong.status_code == 422 and "상의" in wrong.json()["message"]


async def test_photos_that_cannot_be_dressed_are_refused_with_advice(system):
    top, bottom = await _product(system, "TOP"), await _product(system, "BOTTOM")
    async with httpx.AsyncClient(base_url=system.base_url, timeout=60) as me:
        empty = await me.post(
            "/api/fitting/try-on", files=_photo_part(nobody()), data={"upper_product_id": top}
        )
        assert empty.status_code == 422
        assert "사람" in empty.json()["message"] and empty.json()["status"] == "fail"
        # An upper-body portrait cannot show trousers.
        cut = await me.post(
            "/api/fitting/try-on",
            files=_photo_part(astronaut()),
            data={"lower_product_id": bottom},
        )
        assert cut.status_code == 422 and "전신" in cut.json()["message"]
        not_a_photo = await me.post(
            "/api/fitting/try-on",
            files={"model_image": ("me.jpg", b"<svg/>", "image/jpeg")},
            data={"upper_product_id": top},
        )
        assert not_a_photo.status_code == 415
        unknown = await me.post(
            "/api/fitting/try-on", files=_photo_part(astronaut()), data={"upper_product_id": "0"}
        )
        assert unknown.status_code == 404


async def test_the_proxy_serves_allowed_images_and_checks_itself(system, image_host):
    async with httpx.AsyncClient(base_url=system.base_url, timeout=30) as client:
        answer = await client.get(
            "/api/fitting/proxy-image", params={"imageUrl": image_host.url("/a.png")}
        )
        assert answer.status_code == 200 and answer.content == image_host.picture
        assert answer.headers["content-type"] == "image/png"
        assert answer.headers["access-control-allow-origin"] == "*"
        assert answer.headers["access-control-allow-methods"] == "GET, OPTIONS"
        assert answer.headers["access-control-allow-headers"] == "*"
        assert answer.headers["cache-control"] == "public, max-age=3600"
        check = await client.get("/api/fitting/proxy-test")
        assert check.status_code == 200
        assert check.json() == {
            "status": "success",
            "message": "프록시 API가 정상 작동합니다.",
            "data": None,
        }


_SPELLINGS = [
    "http://127.0.0.1:{port}/x.png",
    "http://localhost:{port}/x.png",
    "http://2130706433:{port}/x.png",
    "http://0177.0.0.1:{port}/x.png",
    "http://0x7f.0.0.1:{port}/x.png",
    "http://0x7f000001:{port}/x.png",
    "http://127.1:{port}/x.png",
    "http://[::ffff:127.0.0.1]:{port}/x.png",
    "http://[::ffff:7f00:1]:{port}/x.png",
    "http://[::1]:{port}/x.png",
    "http://0.0.0.0:{port}/x.png",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/x.png",
    "http://192.168.1.1/x.png",
    "file:///etc/passwd",
    "gopher://127.0.0.1:{port}/",
]


async def test_the_proxy_never_reaches_an_internal_address(system, image_host):
    async with (
        counting_listener("127.0.0.1") as listener,
        httpx.AsyncClient(base_url=system.base_url, timeout=30) as client,
    ):
        for spelling in _SPELLINGS:
            url = spelling.format(port=listener.port)
            answer = await client.get("/api/fitting/proxy-image", params={"imageUrl": url})
            assert 400 <= answer.status_code < 500, (url, answer.status_code)
            assert answer.json()["status"] == "fail"
        # An allowed host that redirects to the forbidden one.
        image_host.forbidden_url = f"http://127.0.0.1:{listener.port}/secret.png"
        hop = await client.get(
            "/api/fitting/proxy-image", params={"imageUrl": image_host.url("/to-forbidden")}
        )
        assert hop.status_code == 403
        assert listener.connections == 0
        # The allowed host's bad answers.
        for path in ("/not-an-image.png", "/huge.png"):
            bad = await client.get(
                "/api/fitting/proxy-image", params={"imageUrl": image_host.url(path)}
            )
            assert bad.status_code == 502, path
