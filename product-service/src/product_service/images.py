"""Product pictures drawn from the product's own attributes (shape, fit, colour, pattern).

A picture is a transparent PNG whose alpha channel is exactly the garment's mask, so the
local try-on engine can cut the garment out. Drawing happens at twice the final size and is
scaled down, which smooths the edges (Pillow's polygons have no anti-aliasing).

Pictures depend only on (shape, fit, colour, pattern), so a catalog of 10,000 products has
only a few hundred distinct ones: seeding draws each once, in worker processes, and stores
the bytes under every product that shares it.
"""

import asyncio
import io
import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageChops, ImageDraw

from product_service.garments import GARMENT_BY_NAME
from product_service.product import Product
from product_service.silhouettes import SHAPES, Point, Silhouette
from tftkit.object_store import ObjectStore

IMAGE_SIZE = 512
_SCALE = 2
_CANVAS = IMAGE_SIZE * _SCALE
# Which way stripes run on a shape (across by default): down the leg of trousers and skirts,
# fine pinstripes on tailoring, and the diagonal of a regimental tie.
_STRIPES = {
    **dict.fromkeys(("trousers", "jeans", "skirt", "shorts", "joggers", "cargo", "leggings"),
                    "vertical"),
    **dict.fromkeys(("suit_jacket", "suit_trousers", "pencil_skirt"), "pin"),
    "necktie": "diagonal",
}  # fmt: skip
# A fit that changes the cut, not only the width: an H-line dress is straight, a pleated one
# has pleats.
_FIT_SHAPES = {("dress", "H라인"): "sheath_dress", ("dress", "플리츠"): "pleated_dress"}
# Fits change the width of the drawing, so an oversized shirt looks oversized.
_FIT_STRETCH = {"오버핏": 1.1, "와이드핏": 1.12, "세미와이드핏": 1.06, "슬림핏": 0.92}
_FALLBACK_SHAPES = {
    "TOP": "tshirt", "BOTTOM": "trousers", "OUTER": "jacket", "DRESS": "dress", "SHOES": "sneaker",
}  # fmt: skip

Rgb = tuple[int, int, int]


@dataclass(frozen=True)
class Look:
    """Everything a picture depends on."""

    shape: str
    color_hex: str
    pattern: str
    stretch: float = 1.0


def look_of(product: Product) -> Look:
    garment = GARMENT_BY_NAME.get(product.sub_category)
    shape = garment.shape if garment else _FALLBACK_SHAPES.get(product.main_category, "tote")
    return Look(
        shape=_FIT_SHAPES.get((shape, product.fit), shape),
        color_hex=product.color_hex or "#888888",
        pattern=product.pattern,
        stretch=_FIT_STRETCH.get(product.fit, 1.0),
    )


def hex_to_rgb(value: str) -> Rgb:
    value = value.lstrip("#")
    if len(value) != 6:
        return (136, 136, 136)
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def _shade(rgb: Rgb, factor: float) -> Rgb:
    return (
        max(0, min(255, int(rgb[0] * factor))),
        max(0, min(255, int(rgb[1] * factor))),
        max(0, min(255, int(rgb[2] * factor))),
    )


def _is_light(rgb: Rgb) -> bool:
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] > 150


def _accent(rgb: Rgb) -> Rgb:
    """The pattern's second colour: white on dark cloth, deep navy on light cloth."""
    return (32, 40, 70) if _is_light(rgb) else (240, 238, 230)


def _cloth(base: Rgb, pattern: str, *, stripes: str = "across") -> Image.Image:
    cloth = Image.new("RGB", (_CANVAS, _CANVAS), base)
    draw = ImageDraw.Draw(cloth)
    accent, step = _accent(base), _CANVAS // 16
    if pattern == "스트라이프" and stripes == "diagonal":
        for offset in range(-_CANVAS, _CANVAS, step):
            end = offset + step // 3
            band = [(offset, 0), (end, 0), (end + _CANVAS, _CANVAS), (offset + _CANVAS, _CANVAS)]
            draw.polygon(band, fill=accent)
    elif pattern == "스트라이프" and stripes == "pin":
        for offset in range(0, _CANVAS, step * 2 // 3):
            draw.rectangle((offset, 0, offset + max(3, step // 12), _CANVAS), fill=accent)
    elif pattern == "스트라이프":
        for offset in range(0, _CANVAS, step):
            end = offset + step // 3
            vertical = stripes == "vertical"
            box = (offset, 0, end, _CANVAS) if vertical else (0, offset, _CANVAS, end)
            draw.rectangle(box, fill=accent)
    elif pattern == "체크":
        soft = _shade(tuple((a + b) // 2 for a, b in zip(base, accent, strict=True)), 1.0)  # type: ignore[arg-type]
        for offset in range(0, _CANVAS, step * 2):
            draw.rectangle((offset, 0, offset + step // 2, _CANVAS), fill=soft)
            draw.rectangle((0, offset, _CANVAS, offset + step // 2), fill=soft)
            draw.line((offset + step, 0, offset + step, _CANVAS), fill=accent, width=3)
            draw.line((0, offset + step, _CANVAS, offset + step), fill=accent, width=3)
    elif pattern == "도트":
        radius = step // 5
        for row, y in enumerate(range(step // 2, _CANVAS, step)):
            for x in range(step // 2 + (row % 2) * step // 2, _CANVAS, step):
                draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=accent)
    elif pattern == "플로럴":
        _flowers(draw, base, step)
    return cloth


def _flowers(draw: ImageDraw.ImageDraw, base: Rgb, step: int) -> None:
    petal = step // 5
    flower = (200, 70, 100) if _is_light(base) else (245, 190, 205)
    for row, y in enumerate(range(step, _CANVAS, step * 2)):
        for x in range(step + (row % 2) * step, _CANVAS, step * 2):
            for dx, dy in ((0, -1), (1, 0), (0, 1), (-1, 0)):
                cx, cy = x + dx * petal, y + dy * petal
                draw.ellipse((cx - petal, cy - petal, cx + petal, cy + petal), fill=flower)
            half = petal // 2
            draw.ellipse((x - half, y - half, x + half, y + half), fill=(236, 200, 80))


class _Painter:
    """Maps unit coordinates to canvas pixels, widening or narrowing around the centre."""

    def __init__(self, stretch: float) -> None:
        self._stretch = stretch

    def px(self, point: Point) -> tuple[float, float]:
        x = 0.5 + (point[0] - 0.5) * self._stretch
        return (x * _CANVAS, point[1] * _CANVAS)

    def pxs(self, points: list[Point]) -> list[tuple[float, float]]:
        return [self.px(p) for p in points]

    def mask(self, silhouette: Silhouette) -> Image.Image:
        mask = Image.new("L", (_CANVAS, _CANVAS), 0)
        draw = ImageDraw.Draw(mask)
        for polygon in silhouette.polygons:
            draw.polygon(self.pxs(polygon), fill=255)
        for box in silhouette.ellipses:
            draw.ellipse([*self.px(box[:2]), *self.px(box[2:])], fill=255)
        for points, width in silhouette.bands:
            draw.line(self.pxs(points), fill=255, width=int(width * _CANVAS), joint="curve")
        for hole in silhouette.holes:
            draw.polygon(self.pxs(hole), fill=0)
        for polygon, _ in silhouette.fixed:
            draw.polygon(self.pxs(polygon), fill=255)
        return mask

    def details(self, cloth: Image.Image, silhouette: Silhouette, base: Rgb) -> None:
        draw = ImageDraw.Draw(cloth)
        light = _shade(base, 0.8) if _is_light(base) else _shade(base, 1.4)
        if _is_light(base) and max(base) > 230:
            light = (200, 200, 195)
        tones = {"dark": _shade(base, 0.62), "light": light}
        for points, width, tone in silhouette.details:
            size = width * _CANVAS
            if len(points) == 1:
                x, y = self.px(points[0])
                draw.ellipse((x - size, y - size, x + size, y + size), fill=tones[tone])
            else:
                draw.line(
                    self.pxs(points), fill=tones[tone], width=max(2, int(size)), joint="curve"
                )
        for polygon, rgb in silhouette.fixed:
            draw.polygon(self.pxs(polygon), fill=rgb)


@cache  # the same for every picture; computed once per worker process
def _lighting() -> Image.Image:
    """A soft light from the left: full brightness on the left edge, 80 % on the right."""
    ramp = (
        Image.linear_gradient("L").rotate(90).resize((_CANVAS, _CANVAS), Image.Resampling.BILINEAR)
    )
    return ImageChops.invert(ramp).point(lambda v: 205 + v * 50 // 255).convert("RGB")


def render_look(look: Look) -> bytes:
    """The picture of one look as PNG bytes (IMAGE_SIZE square, transparent background)."""
    silhouette = SHAPES[look.shape]()
    base = hex_to_rgb(look.color_hex)
    painter = _Painter(look.stretch)
    cloth = _cloth(base, look.pattern, stripes=_STRIPES.get(look.shape, "across"))
    painter.details(cloth, silhouette, base)
    mask = painter.mask(silhouette)
    # The outline: the mask minus a slightly blurred copy of itself, painted darker.
    blurred = mask.reduce(4).resize((_CANVAS, _CANVAS), Image.Resampling.BILINEAR)
    cloth = ImageChops.multiply(cloth, _lighting())
    cloth.paste(_shade(base, 0.5), mask=ImageChops.subtract(mask, blurred))
    cloth.putalpha(mask)
    picture = cloth.reduce(_SCALE)  # 2×2 box average: the anti-aliasing
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


def render_product(product: Product) -> bytes:
    return render_look(look_of(product))


def _render_many(looks: Sequence[Look]) -> list[bytes]:
    return [render_look(look) for look in looks]


async def draw_product_images(
    *,
    store: ObjectStore,
    products: Sequence[Product],
    key_for: Callable[[str], str],
    workers: int = 0,
) -> int:
    """Draws each distinct look once (in worker processes) and stores it for every product.

    Returns the number of distinct pictures drawn.
    """
    by_look: dict[Look, list[Product]] = defaultdict(list)
    for product in products:
        by_look[look_of(product)].append(product)
    looks = list(by_look)
    if not looks:
        return 0
    workers = max(1, min(workers or os.cpu_count() or 1, len(looks)))
    # A few chunks per worker keeps both cores busy to the end without per-image overhead.
    size = max(1, len(looks) // (workers * 4))
    chunks = [looks[i : i + size] for i in range(0, len(looks), size)]
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=workers) as executor:
        futures = [loop.run_in_executor(executor, _render_many, chunk) for chunk in chunks]
        for chunk, future in zip(chunks, futures, strict=True):
            for look, png in zip(chunk, await future, strict=True):
                await asyncio.gather(
                    *(store.put(key_for(p.product_id), png, "image/png") for p in by_look[look])
                )
    return len(looks)
