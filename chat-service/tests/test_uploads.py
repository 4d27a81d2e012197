"""Uploads are decoded (not trusted by their first bytes), stripped of metadata, stored under
random private keys, and handed out to their owner only."""

import io

import grpc
import pytest
from PIL import Image

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


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.7",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,  # a PNG signature and nothing of a picture after it
        b"<svg></svg>",
        b"",
    ],
)
async def test_what_is_not_a_picture_is_refused(chat, alice, content):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _upload(chat, alice, content)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_oversize_is_refused(chat, alice):
    too_big = picture("PNG") + b"\x00" * (10 * 1024 * 1024)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _upload(chat, alice, too_big)
    assert caught.value.code() == grpc.StatusCode.OUT_OF_RANGE
