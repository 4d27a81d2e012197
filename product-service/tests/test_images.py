import io
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from product_service.garments import GARMENTS
from product_service.images import IMAGE_SIZE, Look, hex_to_rgb, look_of, render_look
from product_service.silhouettes import SHAPES


def _open(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def _opaque_colours(image: Image.Image) -> Counter:
    pixels = np.asarray(image).reshape(-1, 4)
    return Counter(map(tuple, pixels[pixels[:, 3] == 255][:, :3].tolist()))


def _area(image: Image.Image) -> int:
    return int((np.asarray(image.getchannel("A")) > 128).sum())


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_shape_is_a_transparent_png_with_a_garment_mask(shape):
    image = _open(render_look(Look(shape=shape, color_hex="#1f2b4a", pattern="무지")))
    assert image.format == "PNG" and image.mode == "RGBA"
    assert image.size == (IMAGE_SIZE, IMAGE_SIZE)
    alpha = image.getchannel("A")
    corners = [alpha.getpixel(p) for p in ((0, 0), (IMAGE_SIZE - 1, 0), (0, IMAGE_SIZE - 1))]
    assert corners == [0, 0, 0]
    covered = _area(image) / IMAGE_SIZE**2
    assert 0.03 < covered < 0.7


def test_every_garment_has_a_drawn_shape():
    assert {g.shape for g in GARMENTS} <= set(SHAPES)


def test_plain_garment_is_mostly_its_own_colour():
    image = _open(render_look(Look(shape="tshirt", color_hex="#b3282f", pattern="무지")))
    colours = _opaque_colours(image)
    red = hex_to_rgb("#b3282f")
    near = sum(
        n for c, n in colours.items() if all(abs(a - b) <= 40 for a, b in zip(c, red, strict=True))
    )
    assert near / sum(colours.values()) > 0.8


def test_stripes_add_a_second_colour_and_shapes_differ():
    plain = _open(render_look(Look(shape="shirt", color_hex="#1f2b4a", pattern="무지")))
    striped = _open(render_look(Look(shape="shirt", color_hex="#1f2b4a", pattern="스트라이프")))
    light = sum(n for c, n in _opaque_colours(striped).items() if sum(c) > 500)
    assert light > 0.15 * sum(_opaque_colours(striped).values())
    assert sum(n for c, n in _opaque_colours(plain).items() if sum(c) > 500) == 0
    coat = _open(render_look(Look(shape="coat", color_hex="#1f2b4a", pattern="무지")))
    assert plain.getchannel("A").tobytes() != coat.getchannel("A").tobytes()


def test_pictures_are_deterministic_and_fit_changes_the_look(catalog):
    product = next(p for p in catalog if p.sub_category == "셔츠")
    assert render_look(look_of(product)) == render_look(look_of(product))
    slim = look_of(replace(product, fit="슬림핏"))
    wide = look_of(replace(product, fit="오버핏"))
    assert _area(_open(render_look(wide))) > _area(_open(render_look(slim))) * 1.1
