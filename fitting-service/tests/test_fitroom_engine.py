"""The FitRoom engine against a local server speaking FitRoom's protocol over real HTTP."""

import io
import logging
import time

import httpx
import pytest
from fitroom_server import PAINT, FitRoomServer
from PIL import Image, ImageDraw

from fitting_service.engines import fitroom
from fitting_service.engines.base import EngineFailed, EngineTimedOut, Garment, RenderJob
from fitting_service.engines.fitroom import FitRoomEngine
from fitting_service.settings import FittingSettings

KEY = "test-key-0123456789"
PHOTO_SIZE = (384, 512)


def _photo() -> Image.Image:
    image = Image.new("RGB", PHOTO_SIZE, (232, 228, 220))
    draw = ImageDraw.Draw(image)
    draw.ellipse((152, 40, 232, 130), fill=(205, 170, 140))
    draw.rectangle((120, 130, 264, 330), fill=(60, 90, 160))
    draw.rectangle((130, 330, 254, 500), fill=(40, 40, 50))
    return image


def _garment_png(rgb: tuple[int, int, int]) -> bytes:
    image = Image.new("RGBA", (96, 112), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((16, 8, 80, 104), fill=(*rgb, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


UPPER = Garment("top-1", "upper", _garment_png((200, 30, 30)), name="셔츠")
LOWER = Garment("bottom-1", "lower", _garment_png((30, 30, 200)), name="바지")
DRESS = Garment("dress-1", "upper", _garment_png((30, 160, 60)), name="원피스", full_body=True)


def _job(*garments: Garment, hd: bool = False) -> RenderJob:
    photo = _photo()
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=90)
    return RenderJob(
        photo=photo,
        photo_jpeg=buffer.getvalue(),
        body=None,  # type: ignore[arg-type]  # FitRoom does not use it
        garments=garments,
        hd=hd,
    )


def _engine(server: FitRoomServer, **overrides) -> FitRoomEngine:
    values = dict(
        base_url=server.base_url,
        api_key=KEY,
        request_timeout_seconds=2.0,
        task_timeout_seconds=5.0,
        poll_initial_seconds=0.01,
        poll_max_seconds=0.05,
    )
    values.update(overrides)
    return FitRoomEngine(**values)


class Progress:
    def __init__(self) -> None:
        self.values: list[int] = []

    async def __call__(self, value: int) -> None:
        self.values.append(value)


async def _render(server: FitRoomServer, job: RenderJob, **overrides) -> tuple[bytes, Progress]:
    engine = _engine(server, **overrides)
    progress = Progress()
    try:
        return await engine.render(job, progress=progress), progress
    finally:
        await engine.aclose()


async def _failure(server: FitRoomServer, job: RenderJob, **overrides) -> EngineFailed:
    with pytest.raises(EngineFailed) as caught:
        await _render(server, job, **overrides)
    return caught.value


async def test_upper_only_sends_upper_and_returns_the_derived_picture():
    job = _job(UPPER)
    async with FitRoomServer(api_key=KEY) as server:
        result, progress = await _render(server, job)
    [create] = server.creates
    assert create.status == 200
    assert create.api_key == KEY
    assert create.cloth_type == "upper"
    assert create.hd_mode is None and "hd_mode" not in create.parts
    assert create.parts["model_image"] == "image/jpeg"
    assert create.parts["cloth_image"] == "image/png"
    assert "lower_cloth_image" not in create.parts
    assert create.files["model_image"] == job.photo_jpeg
    assert create.files["cloth_image"] == UPPER.image
    assert server.polls and all(key == KEY for key in server.polls)

    with Image.open(io.BytesIO(result)) as picture:
        picture = picture.convert("RGB")
    assert picture.size == PHOTO_SIZE
    assert picture.getpixel((PHOTO_SIZE[0] // 2, PHOTO_SIZE[1] // 2)) == PAINT
    # Outside the painted box it is the uploaded photo itself.
    with Image.open(io.BytesIO(job.photo_jpeg)) as sent:
        assert picture.getpixel((10, 10)) == sent.convert("RGB").getpixel((10, 10))

    assert progress.values == sorted(progress.values)
    assert len(progress.values) >= 3
    assert progress.values[-1] == 100


async def test_lower_only_sends_the_lower_garment_as_cloth_image():
    async with FitRoomServer(api_key=KEY) as server:
        await _render(server, _job(LOWER))
    [create] = server.creates
    assert create.cloth_type == "lower"
    assert create.files["cloth_image"] == LOWER.image
    assert "lower_cloth_image" not in create.parts


async def test_a_dress_goes_alone_as_the_cloth_image():
    async with FitRoomServer(api_key=KEY) as server:
        await _render(server, _job(DRESS))
    [create] = server.creates
    # No documented full-body cloth_type was found: a dress is sent as an upper garment.
    assert create.cloth_type == "upper"
    assert create.files["cloth_image"] == DRESS.image
    assert "lower_cloth_image" not in create.parts


def test_a_dress_with_a_lower_garment_never_reaches_fitroom():
    with pytest.raises(EngineFailed) as refused:
        _job(DRESS, LOWER)
    assert "원피스" in refused.value.message


async def test_both_garments_are_a_combo_with_hd():
    async with FitRoomServer(api_key=KEY) as server:
        await _render(server, _job(LOWER, UPPER, hd=True))
    [create] = server.creates
    assert create.cloth_type == "combo"
    assert create.hd_mode == "true"
    assert create.files["cloth_image"] == UPPER.image
    assert create.files["lower_cloth_image"] == LOWER.image
    assert create.parts["lower_cloth_image"] == "image/png"


async def test_other_image_formats_are_labelled_by_their_bytes():
    jpeg, webp, gif = io.BytesIO(), io.BytesIO(), io.BytesIO()
    Image.new("RGB", (40, 40), (10, 120, 10)).save(jpeg, "JPEG")
    Image.new("RGB", (40, 40), (10, 120, 10)).save(webp, "WEBP")
    Image.new("RGB", (40, 40), (10, 120, 10)).save(gif, "GIF")
    async with FitRoomServer(api_key=KEY) as server:
        await _render(server, _job(Garment("t", "upper", jpeg.getvalue())))
        await _render(server, _job(Garment("b", "lower", webp.getvalue())))
        await _render(server, _job(Garment("g", "upper", gif.getvalue())))
    assert [c.parts["cloth_image"] for c in server.creates] == [
        "image/jpeg",
        "image/webp",
        "image/png",  # GIF is not taken by FitRoom: re-encoded
    ]


async def test_the_api_key_is_not_sent_to_the_signed_url():
    async with FitRoomServer(api_key=KEY) as server:
        await _render(server, _job(UPPER))
    [download] = server.downloads
    assert "x-api-key" not in download
    assert len(server.creates) == 1


async def test_an_injected_client_is_used_and_left_open():
    async with FitRoomServer(api_key=KEY) as server, httpx.AsyncClient() as client:
        engine = _engine(server, client=client)
        await engine.render(_job(UPPER), progress=Progress())
        await engine.render(_job(LOWER), progress=Progress())
        await engine.aclose()
        assert not client.is_closed
    assert len(server.creates) == 2


async def test_a_failed_task_fails_without_fitroom_text(caplog):
    caplog.set_level(logging.INFO, logger="fitting_service.engines.fitroom")
    async with FitRoomServer(api_key=KEY, scenario="fail") as server:
        error = await _failure(server, _job(UPPER))
    assert not isinstance(error, EngineTimedOut)
    assert "다른 사진" in error.message
    assert server.error_text not in error.message
    assert "FITROOM" not in error.message and "http" not in error.message
    # The cause is kept for the logs.
    assert server.error_text in str(error)
    assert server.error_text in caplog.text
    assert KEY not in caplog.text
    assert len(server.creates) == 1


async def test_a_task_that_never_finishes_times_out_near_the_deadline():
    async with FitRoomServer(api_key=KEY, scenario="never") as server:
        started = time.monotonic()
        with pytest.raises(EngineTimedOut) as caught:
            await _render(server, _job(UPPER), task_timeout_seconds=0.6)
        elapsed = time.monotonic() - started
    assert 0.5 <= elapsed < 1.5
    assert caught.value.message
    assert len(server.creates) == 1
    assert len(server.polls) >= 5


async def test_a_wrong_api_key_is_an_auth_failure(caplog):
    caplog.set_level(logging.DEBUG, logger="fitting_service.engines.fitroom")
    async with FitRoomServer(api_key="the-right-key") as server:
        error = await _failure(server, _job(UPPER))
    assert "인증" in error.message
    assert [c.status for c in server.creates] == [401]
    assert not server.polls
    assert KEY not in caplog.text


async def test_busy_on_create_fails_without_a_second_create():
    async with FitRoomServer(api_key=KEY, scenario="busy") as server:
        error = await _failure(server, _job(UPPER))
    assert "잠시" in error.message or "조금" in error.message
    assert "rate limited" not in error.message
    assert [c.status for c in server.creates] == [429]
    assert not server.polls


async def test_a_create_that_times_out_after_sending_is_not_repeated():
    async with FitRoomServer(api_key=KEY, scenario="create_hangs") as server:
        started = time.monotonic()
        error = await _failure(server, _job(UPPER), request_timeout_seconds=0.3)
        assert time.monotonic() - started < 2.0
    assert not isinstance(error, EngineTimedOut)
    assert "after sending" in str(error)
    assert len(server.creates) == 1
    assert not server.polls


async def test_a_malformed_create_answer_fails():
    async with FitRoomServer(api_key=KEY, scenario="malformed") as server:
        error = await _failure(server, _job(UPPER))
    assert "oops" not in error.message
    assert len(server.creates) == 1


async def test_a_malformed_poll_answer_fails():
    async with FitRoomServer(api_key=KEY, scenario="malformed_poll") as server:
        error = await _failure(server, _job(UPPER))
    assert "json" not in error.message
    assert len(server.creates) == 1


async def test_completed_without_a_url_fails():
    async with FitRoomServer(api_key=KEY, scenario="no_url") as server:
        error = await _failure(server, _job(UPPER))
    assert not isinstance(error, EngineTimedOut)
    assert len(server.creates) == 1
    assert not server.downloads


async def test_a_download_that_is_not_an_image_fails():
    async with FitRoomServer(api_key=KEY, scenario="not_image") as server:
        error = await _failure(server, _job(UPPER))
    assert "html" not in error.message
    assert len(server.creates) == 1


async def test_a_download_over_the_size_cap_fails(monkeypatch):
    monkeypatch.setattr(fitroom, "MAX_RESULT_BYTES", 1000)
    async with FitRoomServer(api_key=KEY) as server:
        error = await _failure(server, _job(UPPER))
    assert not isinstance(error, EngineTimedOut)
    assert "bytes" in str(error)
    assert len(server.creates) == 1


async def test_a_poll_500_once_is_retried_and_completes():
    async with FitRoomServer(api_key=KEY, scenario="poll_500_once") as server:
        result, progress = await _render(server, _job(UPPER))
    assert result.startswith(b"\x89PNG")
    assert progress.values[-1] == 100
    assert len(server.creates) == 1
    assert len(server.polls) == 1 + server.polls_to_complete


async def test_a_poll_429_waits_for_retry_after_then_completes():
    async with FitRoomServer(api_key=KEY, scenario="poll_429_once", retry_after="1") as server:
        started = time.monotonic()
        result, _ = await _render(server, _job(UPPER))
        elapsed = time.monotonic() - started
    assert result.startswith(b"\x89PNG")
    assert elapsed >= 1.0
    assert len(server.creates) == 1


async def test_a_retry_after_past_the_deadline_gives_up_at_once():
    async with FitRoomServer(api_key=KEY, scenario="poll_429_once", retry_after="30") as server:
        started = time.monotonic()
        with pytest.raises(EngineTimedOut):
            await _render(server, _job(UPPER), task_timeout_seconds=3.0)
        assert time.monotonic() - started < 1.0
    assert len(server.creates) == 1


async def test_an_unreachable_fitroom_fails():
    async with FitRoomServer(api_key=KEY) as server:
        base_url = server.base_url
    engine = FitRoomEngine(
        base_url=base_url,
        api_key=KEY,
        request_timeout_seconds=1.0,
        task_timeout_seconds=3.0,
        poll_initial_seconds=0.01,
        poll_max_seconds=0.05,
    )
    try:
        with pytest.raises(EngineFailed) as caught:
            await engine.render(_job(UPPER), progress=Progress())
    finally:
        await engine.aclose()
    assert not isinstance(caught.value, EngineTimedOut)
    assert "127.0.0.1" not in caught.value.message


def test_from_settings_reads_the_fitroom_settings():
    settings = FittingSettings(
        redis_url="redis://127.0.0.1:6379/0",
        fitroom_api_key="k",
        fitroom_base_url="https://example.test/",
        fitroom_task_timeout_seconds=42.0,
    )
    engine = FitRoomEngine.from_settings(settings)
    assert engine.name == "fitroom"
    assert engine._base_url == "https://example.test"
    assert engine._task_timeout == 42.0
