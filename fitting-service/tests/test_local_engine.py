"""The local try-on engine's quality gate, on a real photo: the garment shows where it goes and
in its own colour, and everything else (face, background, the rest of the person) keeps the
photo's own pixels. Also: the photos it must refuse, and what the production gate refuses."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image
from tryon_pictures import (
    astronaut,
    cameraman,
    dress_png,
    encoded,
    garment_on_white,
    garment_png,
    nobody,
    tank_png,
    two_people,
)

from fitting_service import body as body_module
from fitting_service.body import BodyReader, PhotoRejected
from fitting_service.dressing import dress
from fitting_service.engines.base import DRESS_WITH_LOWER, EngineFailed, Garment, RenderJob
from fitting_service.engines.local import LocalEngine
from fitting_service.garment_cutout import cut_out
from fitting_service.photos import UnreadablePhoto, read_photo
from fitting_service.quality_gate import check_result, dress_regions, garment_region

BLUE = (30, 60, 200)
RED = (200, 30, 40)


@pytest.fixture(scope="module")
def reader():
    reader = BodyReader()
    yield reader
    reader.close()


def _region(pixels: np.ndarray, box) -> np.ndarray:
    return pixels[int(box.y0) : int(box.y1), int(box.x0) : int(box.x1)].astype(np.float32)


def _share_near(pixels: np.ndarray, rgb: tuple[int, int, int]) -> float:
    """How much of a region has the garment's colour: the same hue and saturation whether lit
    or shaded (the direction of the RGB vector), and not near black."""
    target = np.asarray(rgb, np.float32)
    target /= np.linalg.norm(target)
    pixels = pixels.reshape(-1, 3).astype(np.float32)
    length = np.linalg.norm(pixels, axis=1)
    cosine = (pixels @ target) / np.maximum(length, 1e-6)
    return float(((cosine > 0.97) & (length > 40)).mean())


def _outside_is_untouched(photo: np.ndarray, result: np.ndarray, mask: np.ndarray) -> float:
    """Mean absolute difference outside the garment mask dilated by a few pixels."""
    grown = cv2.dilate((mask > 0.01).astype(np.uint8), np.ones((7, 7), np.uint8))
    outside = grown == 0
    assert outside.mean() > 0.3
    return float(np.abs(photo[outside].astype(np.int16) - result[outside]).mean())


async def test_a_top_on_the_astronaut_passes_the_quality_gate(reader):
    photo = np.asarray(astronaut())
    body = await reader.read(astronaut())
    body.require({"upper"})
    dressed = dress(photo, body, {"upper": cut_out(garment_png("upper", BLUE), "upper")})

    chest = garment_region(body, "upper")
    changed = np.abs(_region(photo, chest) - _region(dressed.image, chest)).mean()
    assert changed > 40  # the orange suit became a blue top
    assert _share_near(_region(dressed.image, chest), BLUE) > 0.8
    assert _share_near(_region(photo, chest), BLUE) < 0.1
    assert _outside_is_untouched(photo, dressed.image, dressed.mask) < 0.5
    face = body.face
    assert face is not None
    assert np.array_equal(_region(photo, face), _region(dressed.image, face))
    # The person's light stays on the garment: the top is not one flat colour.
    assert _region(dressed.image, chest).std() > 1.0


async def test_trousers_and_a_combo_on_the_cameraman(reader):
    picture = cameraman()
    photo = np.asarray(picture)
    body = await reader.read(picture)
    body.require({"upper", "lower"})
    dressed = dress(
        photo,
        body,
        {
            "lower": cut_out(garment_png("lower", RED), "lower"),
            "upper": cut_out(garment_png("upper", BLUE), "upper"),
        },
    )
    hips = garment_region(body, "lower")
    assert _share_near(_region(dressed.image, hips), RED) > 0.6
    assert _share_near(_region(dressed.image, garment_region(body, "upper")), BLUE) > 0.6
    assert _outside_is_untouched(photo, dressed.image, dressed.mask) < 0.5
    assert np.array_equal(_region(photo, body.face), _region(dressed.image, body.face))


async def test_a_garment_photographed_on_white_is_cut_from_its_background(reader):
    cutout = cut_out(garment_on_white(BLUE), "upper")
    alpha = cutout.pixels[..., 3]
    # The white around the garment is gone, the garment itself is whole.
    assert alpha[0, 0] == 0 and alpha[alpha.shape[0] // 2, alpha.shape[1] // 2] == 1
    photo = np.asarray(astronaut())
    body = await reader.read(astronaut())
    dressed = dress(photo, body, {"upper": cutout})
    assert _share_near(_region(dressed.image, garment_region(body, "upper")), BLUE) > 0.8


async def test_the_engine_renders_a_picture_the_production_gate_accepts(reader):
    photo = read_photo(encoded(astronaut()), max_side=768)
    body = await reader.read(photo.image)
    job = RenderJob(
        photo=photo.image,
        photo_jpeg=photo.jpeg,
        body=body,
        garments=(Garment(product_id="1", slot="upper", image=garment_png("upper", BLUE)),),
    )
    seen: list[int] = []

    async def progress(value: int) -> None:
        seen.append(value)

    result = await LocalEngine().render(job, progress=progress)
    checked = check_result(photo.image, body, result, {"upper"})
    assert checked.size == photo.image.size
    assert seen == sorted(seen) and seen


async def test_a_dress_covers_the_torso_and_the_thighs_and_passes_the_gate(reader):
    photo = read_photo(encoded(cameraman()), max_side=768)
    pixels = np.asarray(photo.image)
    body = await reader.read(photo.image)
    body.require({"upper"})
    cutout = cut_out(dress_png(RED), "upper", full_body=True)
    dressed = dress(pixels, body, {"upper": cutout})

    chest, hips = garment_region(body, "upper"), garment_region(body, "lower")
    assert dress_regions(body) == [chest, hips]  # the photo shows the hips and thighs
    for region in (chest, hips):
        assert np.abs(_region(pixels, region) - _region(dressed.image, region)).mean() > 30
        assert _share_near(_region(dressed.image, region), RED) > 0.6
    # It hangs from the shoulders: nothing above them changes (the face least of all)...
    top = int(body.shoulder_center[1] - 0.3 * body.shoulder_width)
    assert dressed.mask[:top].max() < 1.0 / 512
    assert np.array_equal(_region(pixels, body.face), _region(dressed.image, body.face))
    assert _outside_is_untouched(pixels, dressed.image, dressed.mask) < 0.5
    # ...and reaches below the hips, over the legs.
    covered_rows = np.nonzero(dressed.mask.max(axis=1) > 0.5)[0]
    torso = float(np.linalg.norm(body.hip_center - body.shoulder_center))
    assert covered_rows.max() > body.hip_center[1] + 0.4 * torso

    job = RenderJob(
        photo=photo.image,
        photo_jpeg=photo.jpeg,
        body=body,
        garments=(Garment("9", "upper", dress_png(RED), full_body=True),),
    )

    async def progress(value: int) -> None:
        pass

    result = await LocalEngine().render(job, progress=progress)
    checked = check_result(photo.image, body, result, {"upper"}, full_body=True)
    assert checked.size == photo.image.size
    # A top in the same place leaves the thighs as they were: the dress gate refuses it.
    top_only = dress(pixels, body, {"upper": cut_out(garment_png("upper", RED), "upper")})
    assert np.abs(_region(pixels, hips) - _region(top_only.image, hips)).mean() < 10
    with pytest.raises(EngineFailed):
        check_result(
            photo.image, body, encoded(Image.fromarray(top_only.image)), {"upper"}, full_body=True
        )


async def test_a_dress_on_an_upper_body_photo_is_judged_by_the_chest(reader):
    photo = read_photo(encoded(astronaut()), max_side=768)
    body = await reader.read(photo.image)
    job = RenderJob(
        photo=photo.image,
        photo_jpeg=photo.jpeg,
        body=body,
        garments=(Garment("9", "upper", dress_png(BLUE), full_body=True),),
    )

    async def progress(value: int) -> None:
        pass

    result = await LocalEngine().render(job, progress=progress)
    checked = np.asarray(check_result(photo.image, body, result, {"upper"}, full_body=True))
    assert _share_near(_region(checked, garment_region(body, "upper")), BLUE) > 0.7


def test_a_dress_is_never_rendered_with_a_lower_garment():
    photo = astronaut()
    with pytest.raises(EngineFailed) as refused:
        RenderJob(
            photo=photo,
            photo_jpeg=encoded(photo),
            body=None,  # type: ignore[arg-type]  # refused before anyone looks at the body
            garments=(
                Garment("9", "upper", dress_png(RED), full_body=True),
                Garment("2", "lower", garment_png("lower", BLUE)),
            ),
        )
    assert refused.value.message == DRESS_WITH_LOWER


async def test_a_sleeveless_top_hangs_from_both_straps(reader):
    cutout = cut_out(tank_png(BLUE), "upper")
    width = cutout.pixels.shape[1]
    # The shoulder line runs from one strap's outer edge to the other's, not across one strap.
    assert cutout.anchor_width > 0.8 * width
    assert cutout.torso_right - cutout.torso_left == pytest.approx(width, abs=2)
    photo = np.asarray(astronaut())
    body = await reader.read(astronaut())
    dressed = dress(photo, body, {"upper": cutout})
    assert _share_near(_region(dressed.image, garment_region(body, "upper")), BLUE) > 0.7
    assert _outside_is_untouched(photo, dressed.image, dressed.mask) < 0.5


@pytest.mark.parametrize(
    ("picture", "slots", "message"),
    [
        (nobody, {"upper"}, body_module.NO_PERSON),
        (two_people, {"upper"}, body_module.SEVERAL_PEOPLE),
        (astronaut, {"lower"}, body_module.LOWER_CUT_OFF),
    ],
)
async def test_photos_that_cannot_be_dressed_say_what_to_send(reader, picture, slots, message):
    with pytest.raises(PhotoRejected) as refused:
        found = await reader.read(picture())
        found.require(slots)
    assert str(refused.value) == message


async def test_a_person_far_away_is_too_small(reader):
    canvas = Image.new("RGB", (2400, 2400), (235, 235, 230))
    canvas.paste(astronaut().resize((128, 128)), (1100, 1500))
    with pytest.raises(PhotoRejected) as refused:
        found = await reader.read(canvas)
        found.require({"upper"})
    assert str(refused.value) in (body_module.TOO_SMALL, body_module.NO_PERSON)


async def test_the_production_gate_refuses_pictures_that_are_not_the_dressed_photo(reader):
    photo = astronaut()
    body = await reader.read(photo)
    # The engine handed back the photo untouched.
    with pytest.raises(EngineFailed):
        check_result(photo, body, encoded(photo), {"upper"})
    # Someone else's face, or a different framing.
    repainted = np.asarray(photo).copy()
    face = body.face
    repainted[int(face.y0) : int(face.y1), int(face.x0) : int(face.x1)] = 0
    dressed = dress(repainted, body, {"upper": cut_out(garment_png("upper", BLUE), "upper")})
    with pytest.raises(EngineFailed):
        check_result(photo, body, encoded(Image.fromarray(dressed.image)), {"upper"})
    with pytest.raises(EngineFailed):
        check_result(photo, body, encoded(photo.crop((0, 0, 512, 300))), {"upper"})
    with pytest.raises(EngineFailed):
        check_result(photo, body, b"not a picture", {"upper"})


def test_photos_are_read_upright_small_and_without_metadata():
    image = astronaut()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: the camera was held sideways
    exif[0x8825] = {1: "N", 2: (37.0, 33.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    photo = read_photo(out.getvalue(), max_side=256)
    assert photo.image.size == (256, 256)
    reread = Image.open(io.BytesIO(photo.jpeg))
    assert not reread.getexif()
    with pytest.raises(UnreadablePhoto):
        read_photo(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, max_side=768)
    with pytest.raises(UnreadablePhoto):
        read_photo(encoded(Image.new("RGB", (60, 60))), max_side=768)
