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


def _mask(shape: str, pattern: str = "무지", colour: str = "#1f2b4a") -> np.ndarray:
    image = _open(render_look(Look(shape=shape, color_hex=colour, pattern=pattern)))
    return np.asarray(image.getchannel("A")) > 128


def _row_width(mask: np.ndarray, fraction: float) -> int:
    """Garment pixels in the row `fraction` of the way down the garment."""
    rows = np.nonzero(mask.any(axis=1))[0]
    return int(mask[int(rows[0] + fraction * (rows[-1] - rows[0]))].sum())


# Each new shape's share of the picture: big enough to see at thumbnail size, and its own.
@pytest.mark.parametrize(
    ("shape", "low", "high"),
    [
        ("dress", 0.22, 0.4),
        ("sheath_dress", 0.15, 0.3),
        ("pleated_dress", 0.22, 0.4),
        ("tank", 0.2, 0.32),
        ("suit_jacket", 0.25, 0.45),
        ("suit_trousers", 0.18, 0.32),
        ("pencil_skirt", 0.12, 0.22),
        ("cargo", 0.2, 0.36),
        ("leggings", 0.12, 0.24),
        ("necktie", 0.04, 0.1),
    ],
)
def test_new_shapes_cover_their_share_of_the_picture(shape, low, high):
    assert low < _mask(shape).mean() < high


def test_new_shapes_read_as_their_garment():
    # A dress hangs from narrow shoulders over a waist to a wide hem, the full picture tall.
    dress = _mask("dress")
    rows = np.nonzero(dress.any(axis=1))[0]
    assert rows[-1] - rows[0] > 0.8 * IMAGE_SIZE
    shoulders, waist, hem = (_row_width(dress, f) for f in (0.08, 0.38, 0.98))
    assert waist < shoulders < hem and hem > 2 * waist
    # An H-line dress stays narrow; the fit picks the cut.
    assert _row_width(_mask("sheath_dress"), 0.98) < 0.7 * hem
    # No sleeves on a sleeveless top: nothing is wider than its body.
    tank = _mask("tank")
    assert max(_row_width(tank, f) for f in np.linspace(0, 1, 40)) <= _row_width(tank, 0.9) + 2
    # A tie is long and narrow; leggings narrow to the ankle, cargo trousers do not.
    tie = _mask("necktie")
    assert tie.any(axis=0).sum() < 0.2 * IMAGE_SIZE and tie.any(axis=1).sum() > 0.7 * IMAGE_SIZE
    assert _row_width(_mask("leggings"), 0.98) < 0.6 * _row_width(_mask("cargo"), 0.98)


def test_fit_picks_the_cut_of_a_dress(catalog):
    dress = next(p for p in catalog if p.sub_category == "원피스")
    shapes = {fit: look_of(replace(dress, fit=fit)).shape for fit in ("A라인", "H라인", "플리츠")}
    assert shapes == {"A라인": "dress", "H라인": "sheath_dress", "플리츠": "pleated_dress"}


@pytest.mark.parametrize("shape", ["dress", "sheath_dress", "pleated_dress", "tank", "suit_jacket"])
def test_tops_and_dresses_have_a_shoulder_line_on_both_sides(shape):
    # The try-on engine hangs a top or a dress from the row 7 % down the garment: there must be
    # garment on both sides of the middle, mirror images of each other.
    mask = _mask(shape)
    rows = np.nonzero(mask.any(axis=1))[0]
    row = mask[rows[0] + round(0.07 * (rows[-1] - rows[0] + 1))]
    columns = np.nonzero(row)[0]
    middle = IMAGE_SIZE / 2
    assert columns.min() < middle < columns.max()
    assert abs((middle - columns.min()) - (columns.max() + 1 - middle)) <= 2


@pytest.mark.parametrize("shape", ["suit_trousers", "pencil_skirt", "cargo", "leggings"])
def test_bottoms_have_a_whole_waistband(shape):
    # ...and a bottom from the row 3 % down: one unbroken band across the waist.
    mask = _mask(shape)
    rows = np.nonzero(mask.any(axis=1))[0]
    row = mask[rows[0] + round(0.03 * (rows[-1] - rows[0] + 1))]
    columns = np.nonzero(row)[0]
    assert columns.size == columns.max() - columns.min() + 1 > 0.25 * IMAGE_SIZE


def test_stripes_run_the_way_the_garment_wears_them():
    def variation(shape: str) -> tuple[float, float]:
        rgb = np.asarray(_open(render_look(Look(shape, "#3b3d43", "스트라이프"))))
        rgb = rgb[..., :3].astype(np.float32)
        inside = _mask(shape, "스트라이프", "#3b3d43")
        mid_y, mid_x = (int(v.mean()) for v in np.nonzero(inside))
        across = np.abs(np.diff(rgb[mid_y, :], axis=0)).sum(axis=1)[inside[mid_y, 1:]].mean()
        down = np.abs(np.diff(rgb[:, mid_x], axis=0)).sum(axis=1)[inside[1:, mid_x]].mean()
        return float(across), float(down)

    # Pinstripes run down a suit: colour changes along a row, hardly down a column.
    across, down = variation("suit_trousers")
    assert across > 3 * down
    across, down = variation("tank")
    assert down > 3 * across
