"""Loads an uploaded photo by its URL: from the object store when the URL is ours, otherwise
over HTTP from an allow-listed host on a public address (see `tftkit.safe_fetch`)."""

import asyncio
import logging
from urllib.parse import urlsplit

from expert_service.image_analysis import ImageFacts, analyse_image
from expert_service.providers.base import Photo
from tftkit.object_store import PRIVATE_PREFIX, ObjectStore
from tftkit.safe_fetch import FetchError, SafeImageFetcher

log = logging.getLogger(__name__)

# chat-service stores users' photos under this prefix (chat_service.uploads.store_upload).
UPLOADS_PREFIX = f"{PRIVATE_PREFIX}uploads/"


def _path_of(url: str) -> str:
    """The URL's path for the log: no host, no query string (they may carry tokens)."""
    try:
        return urlsplit(url).path[:200]
    except ValueError:
        return "?"


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
        self._fetcher = SafeImageFetcher(
            allowed_hosts=[host for host in allowed_hosts if host],
            store=store,
            store_base_url=media_base_url,
            store_public_prefixes=(UPLOADS_PREFIX,),
            max_bytes=max_bytes,
            timeout_seconds=timeout_seconds,
        )

    async def load(self, *, image_url: str) -> tuple[Photo | None, ImageFacts | None]:
        """The photo and what its pixels say, or (None, None) when it cannot be read."""
        try:
            image = await self._fetcher.fetch(image_url)
        except Exception as error:
            reason = error.reason if isinstance(error, FetchError) else type(error).__name__
            log.warning("cannot load image %s: %s", _path_of(image_url), reason)
            return None, None
        try:
            facts = await asyncio.to_thread(analyse_image, image.content)
        except ValueError:
            return None, None
        return Photo(data=image.content, media_type=image.content_type), facts
