"""Fetches an image by a URL someone else chose, without becoming a request-forgery proxy.

Hand-written because no maintained Python library does all of it: an allow-list checked on
every hop, IP literals read the way the C library reads them, every resolved address checked
by class, the connection made to the very address that was checked (a second DNS lookup could
answer differently), redirects followed by hand, a byte cap while streaming, an overall
deadline, and the bytes proved to be an image by decoding them. URLs under the object store's
public base are read from the store itself, and only for keys that are public.
"""

import asyncio
import io
import ipaddress
import re
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

import httpx
from PIL import Image

from tftkit.address_policy import (
    HostError,
    IPAddress,
    host_key,
    is_refused,
    parse_allowed,
    parse_host,
    parse_networks,
    unwrap,
)
from tftkit.object_store import ObjectStore, safe_key

MAX_URL_LENGTH = 2048
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
# Printable ASCII without space or backslash: the characters every URL parser agrees on.
_URL_CHARS = re.compile(r"[!-\[\]-~]+")

Resolver = Callable[[str], Awaitable[list[str]]]


@dataclass(frozen=True)
class FetchedImage:
    content: bytes
    content_type: str
    final_url: str


class FetchError(Exception):
    """A fetch that gave no image; `reason` is a short code for metrics and tests."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class FetchRefused(FetchError):
    """The URL is not one we may fetch (the caller's fault)."""


class FetchFailed(FetchError):
    """The URL was allowed but gave no usable image (the server's fault)."""


async def resolve_host(host: str) -> list[str]:
    """The addresses the system resolver gives for `host`."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class _Target:
    """One hop's URL, taken apart once so every check sees the same pieces."""

    url: str
    scheme: str
    host: str | IPAddress
    port: int
    path: str  # path and query, as sent

    @property
    def host_header(self) -> str:
        host = self.host
        text = f"[{host}]" if isinstance(host, ipaddress.IPv6Address) else str(host)
        return text if self.port == _DEFAULT_PORTS[self.scheme] else f"{text}:{self.port}"


@dataclass(frozen=True)
class _Redirect:
    location: str


def _parse_url(url: str) -> _Target:
    if len(url) > MAX_URL_LENGTH:
        raise FetchRefused("the image URL is too long", "url_too_long")
    if not _URL_CHARS.fullmatch(url):
        raise FetchRefused("the image URL is malformed", "invalid_url")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise FetchRefused("the image URL is malformed", "invalid_url") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise FetchRefused("only http and https image URLs are allowed", "scheme")
    if "@" in parts.netloc:
        raise FetchRefused("image URLs must not carry credentials", "credentials")
    host_text, port = _split_authority(parts.netloc, _DEFAULT_PORTS[scheme])
    try:
        host = parse_host(host_text)
    except HostError:
        raise FetchRefused("the image URL has a malformed host", "invalid_url") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target(url=url, scheme=scheme, host=host, port=port, path=path)


def _split_authority(netloc: str, default_port: int) -> tuple[str, int]:
    if netloc.startswith("["):
        host, _, rest = netloc.partition("]")
        host += "]"
        if rest and not rest.startswith(":"):
            raise FetchRefused("the image URL is malformed", "invalid_url")
        port_text = rest[1:]
    else:
        host, _, port_text = netloc.partition(":")
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise FetchRefused("the image URL has a malformed port", "invalid_url")
    return host, int(port_text)


def _identify_image(data: bytes, max_pixels: int) -> str:
    """The content type of `data` judged by decoding it; the server's word is not trusted."""
    formats = list(_FORMATS)
    try:
        with Image.open(io.BytesIO(data), formats=formats) as image:
            image.verify()
        # verify() leaves the image unusable and checks little for JPEG: decode for real.
        with Image.open(io.BytesIO(data), formats=formats) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise ValueError("decompression bomb")
            image.load()
            kind = _FORMATS[image.format or ""]
    # Malformed input makes Pillow raise almost anything (OSError, SyntaxError, struct.error,
    # DecompressionBombError, and DecompressionBombWarning when warnings are errors).
    except Exception:
        raise FetchFailed("the URL did not give a readable image", "not_an_image") from None
    return kind


class SafeImageFetcher:
    """Fetches images from allow-listed hosts on public addresses, or from the object store."""

    def __init__(
        self,
        *,
        allowed_hosts: Iterable[str],
        trusted_networks: Iterable[str] = (),
        store: ObjectStore | None = None,
        store_base_url: str = "",
        store_public_prefixes: tuple[str, ...] = ("products/",),
        max_bytes: int = 10 * 1024 * 1024,
        timeout_seconds: float = 10.0,
        max_redirects: int = 3,
        max_pixels: int = 50_000_000,
        resolver: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._allowed = {parse_allowed(entry) for entry in allowed_hosts if entry.strip()}
        self._trusted = parse_networks(trusted_networks)
        self._store = store
        self._store_base: _Target | None = None
        if store is not None:
            try:
                self._store_base = _parse_url(store_base_url.rstrip("/") + "/")
            except FetchRefused as error:
                raise ValueError(f"bad store base URL {store_base_url!r}: {error}") from None
        self._public_prefixes = store_public_prefixes
        self._max_bytes = max_bytes
        self._timeout = timeout_seconds
        self._max_redirects = max_redirects
        # Pillow's own bomb limit still applies if it is the lower one.
        self._max_pixels = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
        self._resolve = resolver or resolve_host
        # None means the public CAs; a context is for servers signed by a private CA.
        self._verify: ssl.SSLContext | bool = ssl_context or True

    async def fetch(self, url: str) -> FetchedImage:
        """The image at `url`; raises FetchRefused or FetchFailed."""
        try:
            async with asyncio.timeout(self._timeout):
                content, final_url = await self._download(url)
        except (TimeoutError, httpx.TimeoutException):
            raise FetchFailed("the image server did not answer in time", "timeout") from None
        # Decoding is bounded by max_bytes and max_pixels, so it sits outside the deadline.
        content_type = await asyncio.to_thread(_identify_image, content, self._max_pixels)
        return FetchedImage(content=content, content_type=content_type, final_url=final_url)

    async def _download(self, url: str) -> tuple[bytes, str]:
        async with httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment: it would do its own DNS
            verify=self._verify,
            timeout=httpx.Timeout(self._timeout),
            # A kept-alive connection could be reused for another name on the same address,
            # with the TLS identity of the first; every hop gets its own connection.
            limits=httpx.Limits(max_keepalive_connections=0),
        ) as client:
            for _ in range(self._max_redirects + 1):
                target = _parse_url(url)
                key = self._store_key(target)
                if key is not None:
                    return await self._read_store(key), url
                address = await self._checked_address(target)
                outcome = await self._request(client, target, address)
                if isinstance(outcome, bytes):
                    return outcome, url
                url = urljoin(url, outcome.location)
        raise FetchRefused("the image URL redirects too many times", "too_many_redirects")

    def _store_key(self, target: _Target) -> str | None:
        """The object key when the URL is on the store's host, else None.

        Any URL on that host is answered from the store or refused, never fetched: a web
        server in front of the store may normalise paths (`/./`, `//`, `%2e`) differently.
        """
        base = self._store_base
        if base is None or host_key(target.host) != host_key(base.host):
            return None
        path = target.path.partition("?")[0]
        refused = FetchRefused("the image is not public", "not_public")
        if not path.startswith(base.path):
            raise refused
        key = unquote(path[len(base.path) :])
        try:
            key = safe_key(key)
        except ValueError:
            raise refused from None
        # The prefix is matched on the normalised key, so `products/../private/x` cannot pass.
        if not _URL_CHARS.fullmatch(key) or not key.startswith(self._public_prefixes):
            raise refused
        return key

    async def _read_store(self, key: str) -> bytes:
        try:
            data = await self._store.get(key) if self._store is not None else None
        except Exception:
            raise FetchFailed("the image could not be read from storage", "store_error") from None
        if data is None:
            raise FetchFailed("the image does not exist", "not_found")
        if len(data) > self._max_bytes:
            raise FetchFailed("the image is too large", "too_large")
        return data

    def _is_allowed(self, target: _Target) -> bool:
        key = host_key(target.host)
        return (key, None) in self._allowed or (key, target.port) in self._allowed

    async def _checked_address(self, target: _Target) -> IPAddress:
        """The one address to connect to, after the allow-list and every address passed."""
        refused = FetchRefused("the image host is on a forbidden network", "private_address")
        if not isinstance(target.host, str):
            address = unwrap(target.host)
            if is_refused(address, self._trusted):
                raise refused
            if not self._is_allowed(target):
                raise FetchRefused("the image host is not allowed", "host_not_allowed")
            return address
        # Before any lookup: a resolver query for an arbitrary name already leaks information.
        if not self._is_allowed(target):
            raise FetchRefused("the image host is not allowed", "host_not_allowed")
        try:
            answers = await self._resolve(target.host)
            # getaddrinfo appends "%zone" to link-local IPv6 answers.
            addresses = [ipaddress.ip_address(answer.partition("%")[0]) for answer in answers]
        except (OSError, ValueError):
            addresses = []
        if not addresses:
            raise FetchFailed("the image host could not be resolved", "dns")
        # One bad answer refuses the host: otherwise a retry could land on the bad one.
        if any(is_refused(address, self._trusted) for address in addresses):
            raise refused
        return unwrap(addresses[0])

    async def _request(
        self, client: httpx.AsyncClient, target: _Target, address: IPAddress
    ) -> bytes | _Redirect:
        """The body of a 2xx answer, or where a redirect points."""
        request = client.build_request(
            "GET",
            httpx.URL(
                scheme=target.scheme,
                host=str(address),
                port=target.port,
                raw_path=target.path.encode("ascii"),
            ),
            headers={
                "Host": target.host_header,
                "Accept": ", ".join(_FORMATS.values()),
                # Compressed bodies could inflate far past max_bytes inside a single chunk.
                "Accept-Encoding": "identity",
                "User-Agent": "TheFirstTake-ImageFetcher/1",
            },
            # The connection goes to an address, but TLS must still verify the name.
            extensions=(
                {"sni_hostname": target.host}
                if target.scheme == "https" and isinstance(target.host, str)
                else {}
            ),
        )
        try:
            response = await client.send(request, stream=True)
        except httpx.TimeoutException:
            raise
        except httpx.HTTPError:
            raise FetchFailed("the image server could not be reached", "connection") from None
        try:
            return await self._read_response(response)
        except httpx.TimeoutException:
            raise
        except httpx.HTTPError:
            raise FetchFailed("the image server broke the connection", "connection") from None
        finally:
            await response.aclose()

    async def _read_response(self, response: httpx.Response) -> bytes | _Redirect:
        status = response.status_code
        if status in REDIRECT_STATUSES:
            location = response.headers.get("location")
            if not location:
                raise FetchFailed("the image server sent a bad redirect", "upstream_status")
            return _Redirect(location)
        if not 200 <= status < 300:
            raise FetchFailed(f"the image server answered {status}", "upstream_status")
        too_large = FetchFailed("the image is too large", "too_large")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise too_large
        body = bytearray()
        # Raw bytes: counted as they come off the wire, nothing decompressed.
        async for chunk in response.aiter_raw():
            body += chunk
            if len(body) > self._max_bytes:
                raise too_large
        return bytes(body)
