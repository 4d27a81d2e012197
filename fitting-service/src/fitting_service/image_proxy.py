"""The image proxy behind `/api/fitting/proxy-image`: the SSRF-safe fetcher with metrics, and a
self-test of the whole pipeline that needs no internet."""

import asyncio
import contextlib
import io
import logging

from PIL import Image

from fitting_service.metrics import PROXY_REQUESTS
from tftkit.safe_fetch import FetchedImage, FetchError, FetchRefused, SafeImageFetcher

log = logging.getLogger(__name__)

SELF_TEST_OK = "프록시 API가 정상 작동합니다."
SELF_TEST_FAILED = "프록시 API 점검에 실패했습니다."
# Addresses the proxy must refuse without connecting (loopback, cloud metadata, a mapped form).
_FORBIDDEN = (
    "http://127.0.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:7f00:1]/",
)


async def fetch(fetcher: SafeImageFetcher, url: str) -> FetchedImage:
    try:
        image = await fetcher.fetch(url)
    except FetchError as error:
        PROXY_REQUESTS.labels(error.reason).inc()
        raise
    PROXY_REQUESTS.labels("ok").inc()
    return image


async def self_test(fetcher: SafeImageFetcher) -> tuple[bool, str]:
    """Fetches a picture this process serves itself on loopback through a fetcher built like
    the real one (the only difference: it trusts that one address), and checks the real
    fetcher refuses forbidden addresses."""
    try:
        for url in _FORBIDDEN:
            try:
                await fetcher.fetch(url)
            except FetchRefused:
                continue
            log.error("proxy self-test: %s was not refused", url)
            return False, SELF_TEST_FAILED
        picture = _picture()
        async with _serve_once(picture) as url:
            probe = SafeImageFetcher(
                allowed_hosts=[url.split("/")[2]],
                trusted_networks=["127.0.0.1/32"],
                timeout_seconds=3.0,
                max_bytes=64 * 1024,
            )
            image = await probe.fetch(url)
        if image.content != picture or image.content_type != "image/png":
            return False, SELF_TEST_FAILED
    except Exception:
        log.exception("proxy self-test failed")
        return False, SELF_TEST_FAILED
    return True, SELF_TEST_OK


def _picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 120, 40)).save(out, "PNG")
    return out.getvalue()


@contextlib.asynccontextmanager
async def _serve_once(body: bytes):
    """A minimal HTTP server on a free loopback port that answers every request with `body`."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            await reader.readuntil(b"\r\n\r\n")
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/self-test.png"
    finally:
        server.close()
        await server.wait_closed()
