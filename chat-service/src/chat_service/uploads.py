"""Uploaded images: checked by their bytes, stored under a random key."""

import secrets

from tftkit.object_store import ObjectStore

# Leading bytes of each accepted format; the client's filename and content type are ignored.
_SIGNATURES: tuple[tuple[str, str, bytes], ...] = (
    ("jpg", "image/jpeg", b"\xff\xd8\xff"),
    ("png", "image/png", b"\x89PNG\r\n\x1a\n"),
)


class UnsupportedImage(ValueError):
    """The bytes are not a JPEG, PNG or WebP image."""


class ImageTooLarge(ValueError):
    """The image is over the size limit."""


def detect_image_type(data: bytes) -> tuple[str, str]:
    """(extension, content type) judged from the file's own bytes."""
    for extension, content_type, signature in _SIGNATURES:
        if data.startswith(signature):
            return extension, content_type
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", "image/webp"
    raise UnsupportedImage("only JPEG, PNG and WebP images are accepted")


async def store_upload(*, store: ObjectStore, data: bytes, max_bytes: int) -> str:
    """Stores the image under a random key (no user or session in it) and returns its URL."""
    if len(data) > max_bytes:
        raise ImageTooLarge(f"image is larger than {max_bytes // (1024 * 1024)} MB")
    extension, content_type = detect_image_type(data)
    key = f"uploads/{secrets.token_urlsafe(18)}.{extension}"
    await store.put(key, data, content_type)
    return store.url_for(key)
