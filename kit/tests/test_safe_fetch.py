"""The SSRF-safe image fetcher, against real sockets on the loopback network.

A counting listener on 127.0.0.1 stands for every forbidden address: a refused URL pointing at
it must leave its connection count at zero. A small HTTP server on 127.0.0.2, trusted
explicitly, plays the allowed image host.
"""

import asyncio
import io
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from PIL import Image

from tftkit.object_store import LocalObjectStore
from tftkit.safe_fetch import FetchFailed, FetchRefused, SafeImageFetcher

IMAGE_HOST = "127.0.0.2"


def png(size: tuple[int, int] = (8, 6)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (20, 40, 200)).save(out, "JPEG")
    return out.getvalue()


class Resolver:
    """An injected resolver that answers from a table and records what it was asked."""

    def __init__(self, answers: dict[str, list[str]] | None = None) -> None:
        self.answers = answers or {}
        self.calls: list[str] = []

    async def __call__(self, host: str) -> list[str]:
        self.calls.append(host)
        return self.answers.get(host, [])


class Counter:
    """A TCP listener that only counts the connections it accepts."""

    def __init__(self) -> None:
        self.count = 0
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.count += 1
        writer.close()


def http_response(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    head = {"Content-Length": str(len(body)), "Connection": "close", **(headers or {})}
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in head.items() if v]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class ImageServer:
    """A minimal HTTP/1.1 server whose paths each misbehave in one way."""

    def __init__(self, counter_port: int) -> None:
        self.counter_port = counter_port
        self.port = 0
        self.host_headers: list[str] = []
        self.tasks: set[asyncio.Task[None]] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            request_line, *lines = head.split("\r\n")
            headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
            self.host_headers.append(headers.get("host", ""))
            await self.route(request_line.split(" ")[1], writer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.tasks.discard(task)
            writer.close()

    async def route(self, path: str, writer: asyncio.StreamWriter) -> None:
        if path == "/img.png":
            writer.write(http_response(200, png(), {"Content-Type": "image/png"}))
        elif path == "/photo":
            # The server's content type is wrong on purpose: only the bytes count.
            writer.write(http_response(200, jpeg(), {"Content-Type": "text/html"}))
        elif path.startswith("/hops/"):
            left = int(path.rsplit("/", 1)[1])
            location = f"/hops/{left - 1}" if left else "/img.png"
            writer.write(http_response(302, headers={"Location": location}))
        elif path == "/relative":
            writer.write(http_response(301, headers={"Location": "img.png"}))
        elif path == "/to-counter":
            location = f"http://127.0.0.1:{self.counter_port}/img.png"
            writer.write(http_response(307, headers={"Location": location}))
        elif path == "/to-localhost":
            location = f"http://localhost:{self.counter_port}/img.png"
            writer.write(http_response(308, headers={"Location": location}))
        elif path == "/to-elsewhere":
            writer.write(http_response(303, headers={"Location": "http://example.com/img.png"}))
        elif path == "/fake.png":
            writer.write(http_response(200, b"<html>hello</html>", {"Content-Type": "image/png"}))
        elif path == "/big-declared":
            # Declares far too much, sends a little, then stalls: only an early refusal is quick.
            writer.write(http_response(200, png(), {"Content-Length": str(50_000_000)}))
            await writer.drain()
            await asyncio.sleep(30)
        elif path == "/big-streamed":
            writer.write(http_response(200, png(), {"Content-Length": ""}))
            for _ in range(200):
                writer.write(b"\0" * 65536)
                await writer.drain()
        elif path == "/slow":
            await asyncio.sleep(30)
        else:
            writer.write(http_response(404, b"not found"))


async def start(handler: Callable[..., Awaitable[None]], host: str) -> asyncio.Server:
    return await asyncio.start_server(handler, host, 0)


@pytest.fixture
async def counter() -> AsyncIterator[Counter]:
    counting = Counter()
    server = await start(counting.handle, "127.0.0.1")
    counting.port = server.sockets[0].getsockname()[1]
    async with server:
        yield counting


@pytest.fixture
async def image_server(counter: Counter) -> AsyncIterator[ImageServer]:
    images = ImageServer(counter.port)
    server = await start(images.handle, IMAGE_HOST)
    images.port = server.sockets[0].getsockname()[1]
    async with server:
        yield images
        for task in list(images.tasks):
            task.cancel()
        await asyncio.gather(*images.tasks, return_exceptions=True)


def fetcher(**overrides: object) -> SafeImageFetcher:
    options: dict[str, object] = {
        "allowed_hosts": [IMAGE_HOST],
        "trusted_networks": [f"{IMAGE_HOST}/32"],
        "max_bytes": 1_000_000,
        "timeout_seconds": 2.0,
        "resolver": Resolver(),
    }
    options.update(overrides)
    return SafeImageFetcher(**options)  # type: ignore[arg-type]


# Loopback, and other forbidden addresses, in every spelling a URL parser or inet_aton takes.
FORBIDDEN_HOSTS = [
    "127.0.0.1",
    "127.0.0.1.",
    "2130706433",
    "017700000001",
    "0177.0.0.1",
    "0x7f.0.0.1",
    "0x7f000001",
    "0X7F.0x0.0.01",
    "127.1",
    "127.0.1",
    "0",
    "0.0.0.0",
    "[::1]",
    "[::]",
    "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::127.0.0.1]",
    "[64:ff9b::127.0.0.1]",
    "[64:ff9b::a9fe:a9fe]",
    "[2002:7f00:1::1]",
    "[2002:a9fe:a9fe::]",
    # Teredo: server 65.54.227.120, client 127.0.0.1 (stored inverted).
    "[2001:0:4136:e378:8000:63bf:80ff:fffe]",
    "[fe80::1%25eth0]",
    "[fe80::1]",
    "[fec0::1]",
    "[fc00::1]",
    "[fd12:3456::1]",
    "[ff02::1]",
    "[2001:db8::1]",
    "169.254.169.254",
    "0xa9fea9fe",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "100.64.0.1",
    "198.18.0.1",
    "192.0.2.1",
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
]


@pytest.mark.parametrize("host", FORBIDDEN_HOSTS)
async def test_forbidden_addresses_are_refused_in_any_spelling(host: str, counter: Counter):
    resolver = Resolver()
    # On the allow-list, so it is the address check that refuses them.
    safe = fetcher(allowed_hosts=[host], resolver=resolver)
    with pytest.raises(FetchRefused) as caught:
        await safe.fetch(f"http://{host}:{counter.port}/img.png")
    assert caught.value.reason == "private_address"
    assert "127.0.0.1" not in str(caught.value)
    assert resolver.calls == []
    assert counter.count == 0


@pytest.mark.parametrize(
    "host", ["0x", "1.2.3.4.5", "256.0.0.1", "1.2.3.0x100", "08.0.0.1", "1.2.3.09", "[::1"]
)
async def test_malformed_numeric_hosts_are_refused_without_a_lookup(host: str, counter: Counter):
    resolver = Resolver({host: ["127.0.0.1"]})
    with pytest.raises(FetchRefused) as caught:
        await fetcher(allowed_hosts=[], resolver=resolver).fetch(f"http://{host}/img.png")
    assert caught.value.reason == "invalid_url"
    assert resolver.calls == []


@pytest.mark.parametrize(
    "answers",
    [["127.0.0.1"], ["93.184.216.34", "127.0.0.1"], ["::ffff:127.0.0.1"], ["::1"], ["10.1.2.3"]],
)
async def test_names_that_resolve_to_a_forbidden_address_are_refused(answers, counter: Counter):
    resolver = Resolver({"127.0.0.1.nip.example": answers})
    safe = fetcher(allowed_hosts=["127.0.0.1.nip.example"], resolver=resolver)
    with pytest.raises(FetchRefused) as caught:
        await safe.fetch(f"http://127.0.0.1.nip.example:{counter.port}/img.png")
    assert caught.value.reason == "private_address"
    assert resolver.calls == ["127.0.0.1.nip.example"]
    assert counter.count == 0


@pytest.mark.parametrize("host", ["localhost", "localhost.", "LOCALHOST", "LocalHost."])
async def test_localhost_is_refused_with_the_real_resolver(host: str, counter: Counter):
    safe = SafeImageFetcher(allowed_hosts=["localhost"], max_bytes=1000, timeout_seconds=5)
    with pytest.raises(FetchRefused) as caught:
        await safe.fetch(f"http://{host}:{counter.port}/img.png")
    assert caught.value.reason == "private_address"
    assert counter.count == 0


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://127.0.0.2/img.png", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("gopher://127.0.0.2:70/_", "scheme"),
        ("//127.0.0.2/img.png", "scheme"),
        ("http://user@127.0.0.2/img.png", "credentials"),
        ("http://user:secret@127.0.0.2/img.png", "credentials"),
        ("http://127.0.0.2@127.0.0.1/img.png", "credentials"),
        ("http://127.0.0.2/" + "a" * 2048, "url_too_long"),
        ("http://127.0.0.2/a b.png", "invalid_url"),
        ("http://127.0.0.2\\@127.0.0.1/", "invalid_url"),
        ("http://127.0.0.2\t/img.png", "invalid_url"),
        ("http://bücher.example/img.png", "invalid_url"),
        ("http://%31%32%37.0.0.1/img.png", "invalid_url"),
        ("http://127.0.0.2:0x50/img.png", "invalid_url"),
        ("http://127.0.0.2:99999/img.png", "invalid_url"),
        ("http:///img.png", "invalid_url"),
        ("http://[2001:db8::1%25eth0]/img.png", "invalid_url"),
    ],
)
async def test_malformed_or_forbidden_urls_are_refused(url: str, reason: str):
    resolver = Resolver()
    with pytest.raises(FetchRefused) as caught:
        await fetcher(resolver=resolver).fetch(url)
    assert caught.value.reason == reason
    assert resolver.calls == []


async def test_a_host_off_the_allow_list_is_refused_before_any_lookup():
    resolver = Resolver({"images.example": ["93.184.216.34"]})
    safe = fetcher(allowed_hosts=["cdn.example", "images.example:8443"], resolver=resolver)
    for url in ("http://images.example/a.png", "https://elsewhere.example/a.png"):
        with pytest.raises(FetchRefused) as caught:
            await safe.fetch(url)
        assert caught.value.reason == "host_not_allowed"
    assert resolver.calls == []


async def test_an_allowed_public_ip_literal_still_needs_the_allow_list():
    with pytest.raises(FetchRefused) as caught:
        await fetcher(allowed_hosts=[]).fetch("http://8.8.8.8/img.png")
    assert caught.value.reason == "host_not_allowed"


async def test_an_allowed_image_is_fetched(image_server: ImageServer):
    image = await fetcher().fetch(f"http://{IMAGE_HOST}:{image_server.port}/img.png")
    assert image.content == png()
    assert image.content_type == "image/png"
    assert image.final_url == f"http://{IMAGE_HOST}:{image_server.port}/img.png"


async def test_the_content_type_comes_from_the_bytes(image_server: ImageServer):
    image = await fetcher().fetch(f"http://{IMAGE_HOST}:{image_server.port}/photo")
    assert image.content_type == "image/jpeg"


async def test_a_name_is_resolved_once_and_the_checked_address_is_used(image_server: ImageServer):
    # A rebinding resolver: the second answer would be the forbidden one.
    answers = iter([["127.0.0.2"], ["127.0.0.1"]])
    calls: list[str] = []

    async def rebinding(host: str) -> list[str]:
        calls.append(host)
        return next(answers)

    safe = fetcher(allowed_hosts=["images.example"], resolver=rebinding)
    image = await safe.fetch(f"http://images.example:{image_server.port}/img.png")
    assert image.content_type == "image/png"
    assert calls == ["images.example"]
    # The server saw the real name, not the address it was reached on.
    assert image_server.host_headers == [f"images.example:{image_server.port}"]


async def test_an_allow_list_entry_with_a_port_allows_only_that_port(image_server: ImageServer):
    port = image_server.port
    safe = fetcher(allowed_hosts=[f"{IMAGE_HOST}:{port}"])
    assert (await safe.fetch(f"http://{IMAGE_HOST}:{port}/img.png")).content_type == "image/png"
    with pytest.raises(FetchRefused) as caught:
        await safe.fetch(f"http://{IMAGE_HOST}:{port + 1}/img.png")
    assert caught.value.reason == "host_not_allowed"


async def test_a_redirect_to_a_forbidden_address_is_refused(
    image_server: ImageServer, counter: Counter
):
    for path in ("/to-counter", "/to-localhost"):
        # Even with the forbidden hosts on the allow-list, their addresses are refused.
        safe = fetcher(
            allowed_hosts=[IMAGE_HOST, "127.0.0.1", "localhost"],
            resolver=Resolver({"localhost": ["127.0.0.1"]}),
        )
        with pytest.raises(FetchRefused) as caught:
            await safe.fetch(f"http://{IMAGE_HOST}:{image_server.port}{path}")
        assert caught.value.reason == "private_address"
    assert counter.count == 0


async def test_a_redirect_off_the_allow_list_is_refused(image_server: ImageServer):
    with pytest.raises(FetchRefused) as caught:
        await fetcher().fetch(f"http://{IMAGE_HOST}:{image_server.port}/to-elsewhere")
    assert caught.value.reason == "host_not_allowed"


async def test_redirects_are_followed_up_to_the_limit(image_server: ImageServer):
    base = f"http://{IMAGE_HOST}:{image_server.port}"
    image = await fetcher().fetch(f"{base}/hops/2")  # three redirects in all
    assert image.final_url == f"{base}/img.png"
    with pytest.raises(FetchRefused) as caught:
        await fetcher().fetch(f"{base}/hops/3")
    assert caught.value.reason == "too_many_redirects"
    with pytest.raises(FetchRefused):
        await fetcher(max_redirects=0).fetch(f"{base}/relative")


async def test_a_relative_redirect_is_resolved_against_the_current_url(image_server: ImageServer):
    base = f"http://{IMAGE_HOST}:{image_server.port}"
    image = await fetcher().fetch(f"{base}/relative")
    assert image.content_type == "image/png"
    assert image.final_url == f"{base}/img.png"


@pytest.mark.parametrize(
    ("path", "options", "reason"),
    [
        ("/fake.png", {}, "not_an_image"),
        ("/img.png", {"max_pixels": 20}, "not_an_image"),
        ("/big-declared", {"max_bytes": 100_000}, "too_large"),
        ("/big-streamed", {"max_bytes": 100_000}, "too_large"),
        ("/slow", {"timeout_seconds": 0.3}, "timeout"),
        ("/missing", {}, "upstream_status"),
    ],
)
async def test_upstream_failures(image_server: ImageServer, path: str, options, reason: str):
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(FetchFailed) as caught:
        await fetcher(**options).fetch(f"http://{IMAGE_HOST}:{image_server.port}{path}")
    assert caught.value.reason == reason
    # Each refusal is prompt: the 2-second deadline never had to fire.
    assert loop.time() - started < (1.0 if reason != "timeout" else 1.5)


async def test_an_unresolvable_name_fails():
    safe = fetcher(allowed_hosts=["nowhere.example"], resolver=Resolver())
    with pytest.raises(FetchFailed) as caught:
        await safe.fetch("http://nowhere.example/img.png")
    assert caught.value.reason == "dns"


@pytest.fixture
async def store(tmp_path: Path) -> LocalObjectStore:
    objects = LocalObjectStore(tmp_path, "http://media.test/media")
    await objects.put("products/1.png", png(), "image/png")
    await objects.put("private/x.png", png(), "image/png")
    await objects.put("products/fake.png", b"not an image", "image/png")
    return objects


def store_fetcher(store: LocalObjectStore, resolver: Resolver) -> SafeImageFetcher:
    return fetcher(
        allowed_hosts=[], store=store, store_base_url="http://media.test/media", resolver=resolver
    )


async def test_public_objects_are_read_from_the_store(store: LocalObjectStore):
    resolver = Resolver()
    safe = store_fetcher(store, resolver)
    image = await safe.fetch("http://media.test/media/products/1.png?v=2")
    assert image.content == png() and image.content_type == "image/png"
    with pytest.raises(FetchFailed) as caught:
        await safe.fetch("http://media.test/media/products/fake.png")
    assert caught.value.reason == "not_an_image"
    with pytest.raises(FetchFailed) as caught:
        await safe.fetch("http://media.test/media/products/none.png")
    assert caught.value.reason == "not_found"
    assert resolver.calls == []


@pytest.mark.parametrize(
    "path",
    [
        "/media/private/x.png",
        "/media/products/../private/x.png",
        "/media/products/%2e%2e/private/x.png",
        "/media/products%2F..%2Fprivate/x.png",
        "/media//private/x.png",
        "/media/./private/x.png",
        "/media/%70rivate/x.png",
        "/./media/private/x.png",
        "/private/x.png",
        "/mediaproducts/1.png",
        "/media/products",
    ],
)
async def test_private_objects_never_come_out(store: LocalObjectStore, path: str):
    resolver = Resolver({"media.test": ["93.184.216.34"]})
    with pytest.raises(FetchRefused) as caught:
        await store_fetcher(store, resolver).fetch(f"http://media.test{path}")
    assert caught.value.reason == "not_public"
    assert resolver.calls == []


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    command = [
        *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
        *("-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")),
        *("-subj", "/CN=images.example", "-addext", "subjectAltName=DNS:images.example"),
    ]
    subprocess.run(
        command,
        check=True,
        capture_output=True,
    )
    return folder


async def test_tls_is_verified_against_the_name_not_the_address(tls_files: Path):
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(tls_files / "cert.pem", tls_files / "key.pem")
    client_tls = ssl.create_default_context(cafile=str(tls_files / "cert.pem"))

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(http_response(200, png()))
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, IMAGE_HOST, 0, ssl=server_tls)
    port = server.sockets[0].getsockname()[1]
    resolver = Resolver({"images.example": [IMAGE_HOST], "other.example": [IMAGE_HOST]})
    safe = fetcher(
        allowed_hosts=["images.example", "other.example"], resolver=resolver, ssl_context=client_tls
    )
    async with server:
        image = await safe.fetch(f"https://images.example:{port}/img.png")
        assert image.content_type == "image/png"
        # Same address, but the certificate is not for this name.
        with pytest.raises(FetchFailed) as caught:
            await safe.fetch(f"https://other.example:{port}/img.png")
        assert caught.value.reason == "connection"


async def test_the_counter_does_see_a_connection_when_one_is_allowed(counter: Counter):
    # The control for every "count stays 0" above: trusting the address lets the fetch through.
    safe = fetcher(allowed_hosts=["127.0.0.1"], trusted_networks=["127.0.0.1/32"])
    with pytest.raises(FetchFailed) as caught:
        await safe.fetch(f"http://0x7f.1:{counter.port}/img.png")
    assert caught.value.reason == "connection"
    assert counter.count == 1
