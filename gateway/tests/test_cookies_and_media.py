"""Cookies reach streaming responses; the media route serves only safe image paths."""

from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient

from gateway.cookies import QueuedCookiesMiddleware, queue_cookie
from gateway.errors import install_error_handlers
from gateway.routes.media import build_media_router
from tftkit.object_store import ObjectStoreSettings


def test_queued_cookie_is_set_on_a_streaming_response():
    app = FastAPI()
    app.add_middleware(QueuedCookiesMiddleware)

    @app.get("/stream")
    async def stream(request: Request) -> StreamingResponse:
        queue_cookie(request, "tft_guest", "token-1", max_age=60, secure=True)

        async def body():
            yield b"data: 1\n\n"

        return StreamingResponse(body(), media_type="text/event-stream")

    response = TestClient(app).get("/stream")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("tft_guest=token-1")
    for attribute in ("HttpOnly", "SameSite=Lax", "Secure", "Max-Age=60", "Path=/"):
        assert attribute in cookie


def test_media_serves_images_and_refuses_everything_else(tmp_path):
    (tmp_path / "products").mkdir()
    (tmp_path / "products" / "1.png").write_bytes(b"\x89PNG\r\n\x1a\nrest")
    (tmp_path / "notes.txt").write_text("private")
    app = FastAPI()
    install_error_handlers(app)
    settings = ObjectStoreSettings(OBJECT_STORE_DIR=str(tmp_path))
    app.include_router(build_media_router(settings))
    client = TestClient(app)

    ok = client.get("/media/products/1.png")
    assert ok.status_code == 200 and ok.headers["content-type"] == "image/png"
    assert ok.headers["cache-control"] == "public, max-age=3600"
    for path in ("/media/notes.txt", "/media/products/2.png", "/media/..%2Fnotes.txt"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.json()["status"] == "fail"
