"""Uploads are judged by their bytes and stored under random keys."""

import grpc
import pytest

from chat_service.uploads import UnsupportedImage, detect_image_type
from thefirsttake.chat.v1 import chat_pb2

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64


@pytest.mark.parametrize(
    ("data", "expected"),
    [(PNG, ("png", "image/png")), (JPEG, ("jpg", "image/jpeg")), (WEBP, ("webp", "image/webp"))],
)
def test_image_type_comes_from_the_bytes(data, expected):
    assert detect_image_type(data) == expected


@pytest.mark.parametrize("data", [b"GIF89a" + b"\x00" * 20, b"<svg></svg>", b"", b"RIFF1234WAVE"])
def test_other_bytes_are_refused(data):
    with pytest.raises(UnsupportedImage):
        detect_image_type(data)


async def test_upload_stores_under_a_random_key_without_the_user(chat, alice, tmp_path):
    first = await chat.stub.UploadImage(
        chat_pb2.UploadImageRequest(content=PNG, filename="me.gif"), metadata=chat.as_user(alice)
    )
    second = await chat.stub.UploadImage(
        chat_pb2.UploadImageRequest(content=PNG, filename="me.gif"), metadata=chat.as_user(alice)
    )
    assert first.url != second.url
    assert first.url.startswith("http://media.test/media/uploads/") and first.url.endswith(".png")
    assert alice not in first.url
    key = first.url.removeprefix("http://media.test/media/")
    assert (tmp_path / key).read_bytes() == PNG


async def test_upload_refuses_wrong_type_and_oversize(chat, alice):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await chat.stub.UploadImage(
            chat_pb2.UploadImageRequest(content=b"%PDF-1.7"), metadata=chat.as_user(alice)
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    too_big = PNG + b"\x00" * (10 * 1024 * 1024)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await chat.stub.UploadImage(
            chat_pb2.UploadImageRequest(content=too_big), metadata=chat.as_user(alice)
        )
    assert caught.value.code() == grpc.StatusCode.OUT_OF_RANGE
