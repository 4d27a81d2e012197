"""Servers for the image-proxy tests: an allowed image host with good and bad answers, and a
listener on a forbidden address that counts every connection made to it."""

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from PIL import Image


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(out, "PNG")
    return out.getvalue()


@dataclass
class Listener:
    """Counts connections; answers nothing."""

    port: int = 0
    connections: int = 0


@dataclass
class ImageHost:
    address: str
    port: int
    # Where /to-forbidden redirects (set by a test to a counting listener).
    forbidden_url: str = ""
    picture: bytes = field(default_factory=png)

    @property
    def authority(self) -> str:
        return f"{self.address}:{self.port}"

    def url(self, path: str) -> str:
        return f"http://{self.authority}{path}"


async def _answer(host: ImageHost, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
    with contextlib.suppress(Exception):
        request = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        path = request.split(" ", 2)[1]
        status, headers, body = "200 OK", {"Content-Type": "image/png"}, host.picture
        if path == "/to-forbidden":
            status, headers, body = "302 Found", {"Location": host.forbidden_url}, b""
        elif path == "/not-an-image.png":
            body = b"<html>definitely not a picture</html>"
        elif path == "/huge.png":
            body = host.picture + b"\x00" * (1024 * 1024)
        head = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(head.encode() + b"\r\n" + body)
        await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def image_host_on(address: str) -> AsyncIterator[ImageHost]:
    host = ImageHost(address=address, port=0)
    server = await asyncio.start_server(lambda r, w: _answer(host, r, w), address, 0)
    host.port = server.sockets[0].getsockname()[1]
    try:
        yield host
    finally:
        server.close()


@contextlib.asynccontextmanager
async def counting_listener(address: str = "127.0.0.1") -> AsyncIterator[Listener]:
    listener = Listener()

    async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        listener.connections += 1
        writer.close()

    server = await asyncio.start_server(count, address, 0)
    listener.port = server.sockets[0].getsockname()[1]
    try:
        yield listener
    finally:
        server.close()
