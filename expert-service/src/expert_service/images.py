"""Loads an uploaded photo by its URL: from the object store when the URL is ours, otherwise
over HTTP from an allow-listed host, with a timeout and a size cap."""

import asyncio
import logging
from urllib.parse import urlparse

import httpx

from expert_service.image_analysis import ImageFacts, analyse_image
from expert_service.providers.base import Photo
from tftkit.object_store import ObjectStore

log = logging.getLogger(__name__)

_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def media_type(data: bytes) -> str | None:
    """The image type by its first bytes (the URL's extension is not trusted)."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return None


class ImageLoader:
    """Fetches and analyses photos; every failure means "no photo", never a failed turn."""

    def __init__(
        self,
        *,
        store: ObjectStore | None,
        media_base_url: str,
        allowed_hosts: list[str],
        timeout_seconds: float,
        max_bytes: int,
    ) -> None:
        self._store = store
        self._media_base = media_base_url.rstrip("/") + "/"
        self._hosts = {host.lower() for host in allowed_hosts if host}
        self._timeout = timeout_seconds
        self._max_bytes = max_bytes

    async def load(self, *, image_url: str) -> tuple[Photo | None, ImageFacts | None]:
        """The photo and what its pixels say, or (None, None) when it cannot be read."""
        try:
            data = await asyncio.wait_for(self._fetch(image_url), self._timeout)
        except Exception as error:
            log.warning("cannot load image %s: %s", urlparse(image_url).path, type(error).__name__)
            return None, None
        kind = media_type(data or b"")
        if not data or not kind:
            return None, None
        try:
            facts = await asyncio.to_thread(analyse_image, data)
        except ValueError:
            return None, None
        return Photo(data=data, media_type=kind), facts

    async def _fetch(self, url: str) -> bytes | None:
        if self._store is not None and url.startswith(self._media_base):
            return await self._store.get(url[len(self._media_base) :].split("?")[0])
        parsed = urlparse(url)
        # Only hosts we were told about: an arbitrary URL here would be a request forgery hole.
        if parsed.scheme not in ("http", "https") or (parsed.hostname or "") not in self._hosts:
            raise PermissionError("image host not allowed")
        async with (
            httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as client,
            client.stream("GET", url) as response,
        ):
            response.raise_for_status()
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > self._max_bytes:
                    raise ValueError("image too large")
            return bytes(body)
