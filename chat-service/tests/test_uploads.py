"""Uploads are decoded (not trusted by their first bytes), stripped of metadata, stored under
random private keys, and handed out to their owner only."""

import io
import struct
import zlib

import grpc
import pytest
from PIL import Image

from tftkit.rate_limit import RETRY_AFTER_METADATA_KEY
from thefirsttake.chat.v1 import chat_pb2


def picture(kind: str, *, exif: bool = False) -> bytes:
    image = Image.new("RGB", (64, 48), (200, 40, 40))
    out = io.BytesIO()
    extra = {}
    if exif:
        tags = Image.Exif()
        tags[0x8825] = {1: "N", 2: (37.0, 33.0, 0.0)}  # GPS
        tags[0x010F] = "PhoneMaker"
        extra["exif"] = tags
    image.save(out, kind, **extra)
    return out.getvalue()


async def _upload(chat, user: str, content: bytes) -> chat_pb2.UploadImageResponse:
    return await chat.stub.UploadImage(
        chat_pb2.UploadImageRequest(content=content, filename="me.gif"), metadata=chat.as_user(user)
    )


@pytest.mark.parametrize(
    ("kind", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
async def test_pictures_are_kept_by_what_they_are_without_metadata(chat, alice, kind, content_type):
    stored = await _upload(chat, alice, picture(kind, exif=kind == "JPEG"))
    assert stored.content_type == content_type
    back = await chat.stub.GetUpload(
        chat_pb2.GetUploadRequest(upload_id=stored.upload_id), metadata=chat.as_user(alice)
    )
    reread = Image.open(io.BytesIO(back.content))
    assert reread.format == kind and reread.size == (64, 48)
    assert not reread.getexif()


async def test_uploads_have_random_private_keys_and_are_their_owners_alone(
    chat, alice, bob, tmp_path
):
    first = await _upload(chat, alice, picture("PNG"))
    second = await _upload(chat, alice, picture("PNG"))
    assert first.upload_id != second.upload_id
    stored = list((tmp_path / "private" / "uploads").iterdir())
    assert len(stored) == 2 and all(alice not in path.name for path in stored)
    with pytest.raises(grpc.aio.AioRpcError) as hidden:
        await chat.stub.GetUpload(
            chat_pb2.GetUploadRequest(upload_id=first.upload_id), metadata=chat.as_user(bob)
        )
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
    # Nor can bob's turn point the experts at alice's picture.
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        call = chat.stub.StreamTurn(
            chat_pb2.StreamTurnRequest(user_input="이 옷 어때?", upload_id=first.upload_id),
            metadata=chat.as_user(bob),
        )
        async for _ in call:
            pass
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND


def png_declaring(width: int, height: int) -> bytes:
    """A valid little PNG whose header claims `width` x `height` pixels: a decompression bomb as
    far as the decoder can tell before it reads the pixels."""
    small = io.BytesIO()
    Image.new("L", (1, 1)).save(small, "PNG")
    data = small.getvalue()
    ihdr = struct.pack(">II", width, height) + data[24:29]
    chunk = b"IHDR" + ihdr
    return data[:12] + chunk + struct.pack(">I", zlib.crc32(chunk)) + data[33:]


def heic() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(out, "HEIF", quality=80)
    return out.getvalue()


async def _nothing_stored(chat, store_dir) -> None:
    assert await chat.pool.fetchval("SELECT count(*) FROM uploads") == 0
    assert not [path for path in store_dir.rglob("*") if path.is_file()]


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.7",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,  # a PNG signature and nothing of a picture after it
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,  # PNG magic, then garbage
        b"<svg></svg>",
        "옷 사진 아니에요, just text".encode(),  # a text file (its type said image/jpeg)
        picture("JPEG")[:300],  # a truncated JPEG
        png_declaring(20_000, 20_000),  # a decompression bomb: 400 million pixels
        png_declaring(8_000, 8_000),  # 64 million: under Pillow's own limit, over ours
        b"",
    ],
    ids=[
        "pdf",
        "png-magic-only",
        "png-magic-garbage",
        "svg",
        "text",
        "truncated-jpeg",
        "bomb",
        "bomb-under-pillows-limit",
        "empty",
    ],
)
async def test_what_is_not_a_picture_is_refused_and_nothing_is_stored(
    chat, alice, tmp_path, content
):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _upload(chat, alice, content)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "사진" in caught.value.details()
    await _nothing_stored(chat, tmp_path)


async def test_a_png_named_jpg_is_kept_as_the_png_it_is(chat, alice):
    stored = await chat.stub.UploadImage(
        chat_pb2.UploadImageRequest(content=picture("PNG"), filename="photo.jpg"),
        metadata=chat.as_user(alice),
    )
    assert stored.content_type == "image/png"
    row = await chat.pool.fetchrow("SELECT object_key FROM uploads WHERE id = $1", stored.upload_id)
    assert row["object_key"].endswith(".png")


async def test_a_heic_photo_is_stored_as_jpeg(chat, alice):
    stored = await _upload(chat, alice, heic())
    assert stored.content_type == "image/jpeg"
    back = await chat.stub.GetUpload(
        chat_pb2.GetUploadRequest(upload_id=stored.upload_id), metadata=chat.as_user(alice)
    )
    reread = Image.open(io.BytesIO(back.content))
    assert reread.format == "JPEG" and reread.size == (64, 48)


async def test_a_jpeg_with_gps_is_stored_without_it(chat, alice, tmp_path):
    original = picture("JPEG", exif=True)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    stored = await _upload(chat, alice, original)
    (path,) = (tmp_path / "private" / "uploads").iterdir()
    kept = path.read_bytes()
    assert b"Exif" not in kept and b"PhoneMaker" not in kept
    reread = Image.open(io.BytesIO(kept))
    assert not reread.getexif() and not reread.getexif().get_ifd(0x8825)
    assert stored.upload_id in path.name


async def test_oversize_is_refused_and_nothing_is_stored(chat, alice, tmp_path):
    limit = chat.servicer_settings.max_upload_bytes
    one_over = picture("PNG")
    one_over += b"\x00" * (limit + 1 - len(one_over))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _upload(chat, alice, one_over)
    assert caught.value.code() == grpc.StatusCode.OUT_OF_RANGE
    await _nothing_stored(chat, tmp_path)


async def test_a_message_over_the_servers_cap_is_refused_by_grpc(chat, alice, tmp_path):
    # gRPC refuses it from its length prefix (the server's max message size): chat-service
    # never holds it.
    huge = b"\x00" * (chat.servicer_settings.max_message_bytes + 1)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _upload(chat, alice, huge)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    await _nothing_stored(chat, tmp_path)


async def test_too_many_uploads_a_minute_are_refused_for_that_user_only(chat, alice, bob):
    limit = chat.servicer_settings.uploads_per_minute
    for _ in range(limit):
        await _upload(chat, alice, picture("PNG"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _upload(chat, alice, picture("PNG"))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    retry_after = dict(caught.value.trailing_metadata() or ())[RETRY_AFTER_METADATA_KEY]
    assert 1 <= int(retry_after) <= 60
    assert (
        await chat.pool.fetchval("SELECT count(*) FROM uploads WHERE owner_id = $1", alice) == limit
    )
    await _upload(chat, bob, picture("PNG"))


async def test_an_object_whose_row_cannot_be_written_is_removed(chat, alice, tmp_path):
    # The row fails after the object was written (here: the table is gone): the object goes.
    await chat.pool.execute("ALTER TABLE uploads RENAME TO uploads_away")
    try:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await _upload(chat, alice, picture("PNG"))
        assert caught.value.code() == grpc.StatusCode.INTERNAL
        assert not [path for path in tmp_path.rglob("*") if path.is_file()]
    finally:
        await chat.pool.execute("ALTER TABLE uploads_away RENAME TO uploads")
