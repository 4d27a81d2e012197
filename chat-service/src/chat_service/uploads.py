"""Uploaded pictures: decoded and re-encoded (no metadata survives), stored privately under a
random key, and handed out to their owner only. A refused picture leaves nothing behind: it is
refused before anything is stored, and an object whose row cannot be written is removed."""

import asyncio
import re
import secrets
from dataclasses import dataclass

import asyncpg

from tftkit.object_store import PRIVATE_PREFIX, ObjectStore
from tftkit.pictures import UnreadablePicture, encode, read_picture

UnsupportedImage = UnreadablePicture

# The shape of the ids store_upload issues (`secrets.token_urlsafe`); anything else is no upload
# of ours and is not looked up.
_UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class ImageTooLarge(ValueError):
    """The image is over the size limit."""


class UploadNotFound(LookupError):
    """No such upload, or someone else's (the two are not told apart)."""


@dataclass(frozen=True)
class Upload:
    upload_id: str
    object_key: str
    content_type: str


def _sanitised(data: bytes) -> tuple[bytes, str, str]:
    picture = read_picture(data)
    return encode(picture), picture.extension, picture.content_type


async def store_upload(
    *, store: ObjectStore, db: asyncpg.Pool, owner_id: str, data: bytes, max_bytes: int
) -> Upload:
    """Stores the caller's picture under a random key (no user or session in it)."""
    if len(data) > max_bytes:
        raise ImageTooLarge(f"image is larger than {max_bytes // (1024 * 1024)} MB")
    clean, extension, content_type = await asyncio.to_thread(_sanitised, data)
    upload_id = secrets.token_urlsafe(18)
    key = f"{PRIVATE_PREFIX}uploads/{upload_id}.{extension}"
    await store.put(key, clean, content_type)
    try:
        await db.execute(
            "INSERT INTO uploads (id, owner_id, object_key, content_type) VALUES ($1, $2, $3, $4)",
            upload_id,
            owner_id,
            key,
            content_type,
        )
    except BaseException:
        # No row, no object: an object nobody can find would stay forever. Shielded, so a
        # cancelled call still removes it.
        await asyncio.shield(store.delete(key))
        raise
    return Upload(upload_id=upload_id, object_key=key, content_type=content_type)


async def owned_upload(*, db: asyncpg.Pool, owner_id: str, upload_id: str) -> Upload:
    """The caller's upload; raises UploadNotFound for anyone else's."""
    if not _UPLOAD_ID.fullmatch(upload_id):
        raise UploadNotFound(upload_id)
    row = await db.fetchrow(
        "SELECT object_key, content_type FROM uploads WHERE id = $1 AND owner_id = $2",
        upload_id,
        owner_id,
    )
    if row is None:
        raise UploadNotFound(upload_id)
    return Upload(
        upload_id=upload_id, object_key=row["object_key"], content_type=row["content_type"]
    )


async def give_uploads(*, db: asyncpg.Pool, from_owner: str, to_owner: str) -> int:
    """Moves every upload of `from_owner` to `to_owner` (a guest who logged in)."""
    status = await db.execute(
        "UPDATE uploads SET owner_id = $2 WHERE owner_id = $1", from_owner, to_owner
    )
    return int(status.split()[-1])
