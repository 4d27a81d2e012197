"""Offline pixel analysis of an uploaded photo, and loading it safely."""

import io

import pytest
from PIL import Image

from expert_service.image_analysis import analyse_image
from expert_service.images import ImageLoader
from tftkit.object_store import LocalObjectStore


def jpeg(colour, background=(236, 234, 230)) -> bytes:
    image = Image.new("RGB", (200, 260), background)
    image.paste(Image.new("RGB", (140, 180), colour), (30, 50))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def test_dominant_colours_brightness_and_warmth():
    navy = analyse_image(jpeg((31, 43, 74)))
    assert navy.colours[0] == "네이비" and navy.temperature == "쿨"
    camel = analyse_image(jpeg((200, 150, 90), background=(250, 245, 235)))
    assert camel.colours[0] in ("베이지", "브라운") and camel.temperature == "웜"
    dark = analyse_image(jpeg((28, 28, 30), background=(40, 40, 42)))
    assert dark.brightness == "어두운" and dark.colours[0] == "블랙"
    assert "네이비" in navy.describe()


def test_unreadable_bytes_are_refused():
    with pytest.raises(ValueError):
        analyse_image(b"not an image")


async def test_loader_reads_our_uploads_and_refuses_other_hosts(tmp_path):
    store = LocalObjectStore(tmp_path, "http://media.test/media")
    await store.put("private/uploads/a.jpg", jpeg((31, 43, 74)), "image/jpeg")
    loader = ImageLoader(
        store=store,
        media_base_url="http://media.test/media",
        allowed_hosts=[],
        timeout_seconds=2,
        max_bytes=1_000_000,
    )
    photo, facts = await loader.load(image_url="http://media.test/media/private/uploads/a.jpg")
    assert photo is not None and photo.media_type == "image/jpeg"
    assert facts is not None and facts.colours[0] == "네이비"
    # Anything else (an internal address here) is never fetched.
    assert await loader.load(image_url="http://169.254.169.254/latest/meta-data") == (None, None)
    assert await loader.load(image_url="http://media.test/media/private/uploads/missing.jpg") == (
        None,
        None,
    )
