"""Pictures the try-on tests use: a real photo a pip package ships (scikit-image's public-domain
`astronaut`, an upper-body portrait; `camera`, a man photographed to the knees) and pictures
made here (garments with an alpha mask, a photo with nobody, two people)."""

import io

import numpy as np
from PIL import Image, ImageDraw
from skimage import data


def astronaut() -> Image.Image:
    return Image.fromarray(data.astronaut())


def cameraman() -> Image.Image:
    return Image.fromarray(np.stack([data.camera()] * 3, axis=-1))


def two_people() -> Image.Image:
    one = data.astronaut()
    return Image.fromarray(np.hstack([one, one]))


def nobody() -> Image.Image:
    """A landscape: sky, a field and a tree, no one in it."""
    image = Image.new("RGB", (640, 480), (150, 190, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 300, 640, 480), fill=(80, 140, 60))
    draw.rectangle((440, 180, 470, 320), fill=(90, 60, 30))
    draw.ellipse((390, 90, 520, 230), fill=(40, 110, 40))
    return image


def encoded(image: Image.Image, kind: str = "JPEG") -> bytes:
    out = io.BytesIO()
    image.save(out, kind)
    return out.getvalue()


def garment_png(slot: str, rgb: tuple[int, int, int]) -> bytes:
    """A flat garment on a transparent background, shaped like the demo catalog's."""
    image = Image.new("RGBA", (512, 512), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if slot == "upper":
        draw.polygon(
            [
                (220, 70),
                (140, 97),
                (75, 185),
                (120, 210),
                (158, 195),
                (158, 440),
                (354, 440),
                (354, 195),
                (392, 210),
                (437, 185),
                (372, 97),
                (292, 70),
                (256, 100),
            ],
            fill=(*rgb, 255),
        )
    else:
        draw.polygon(
            [(170, 40), (342, 40), (356, 486), (271, 486), (256, 205), (241, 486), (156, 486)],
            fill=(*rgb, 255),
        )
    return encoded(image, "PNG")


def _mirrored(left: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A symmetric outline from its left half (unit coordinates), in pixels of a 512 canvas."""
    points = left + [(1 - x, y) for x, y in reversed(left)]
    return [(x * 512, y * 512) for x, y in points]


def dress_png(rgb: tuple[int, int, int]) -> bytes:
    """An A-line dress with cap sleeves, shaped like the demo catalog's 원피스."""
    image = Image.new("RGBA", (512, 512), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    left = [(0.44, 0.11), (0.35, 0.15), (0.295, 0.25), (0.335, 0.27), (0.37, 0.245),
            (0.375, 0.33), (0.375, 0.43), (0.23, 0.95)]  # fmt: skip
    draw.polygon(_mirrored(left), fill=(*rgb, 255))
    neck = [(0.44, 0.1), (0.46, 0.15), (0.5, 0.165), (0.54, 0.15), (0.56, 0.1)]
    draw.polygon([(x * 512, y * 512) for x, y in neck], fill=(0, 0, 0, 0))
    return encoded(image, "PNG")


def tank_png(rgb: tuple[int, int, int]) -> bytes:
    """A sleeveless top: two straps either side of a deep scoop neck."""
    image = Image.new("RGBA", (512, 512), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    left = [(0.41, 0.12), (0.335, 0.12), (0.325, 0.23), (0.3, 0.33), (0.3, 0.84)]
    draw.polygon(_mirrored(left), fill=(*rgb, 255))
    neck = [(0.41, 0.11), (0.42, 0.22), (0.5, 0.27), (0.58, 0.22), (0.59, 0.11)]
    draw.polygon([(x * 512, y * 512) for x, y in neck], fill=(0, 0, 0, 0))
    return encoded(image, "PNG")


def garment_on_white(rgb: tuple[int, int, int]) -> bytes:
    """An imported product's photo: the same top on a white background, no alpha."""
    top = Image.open(io.BytesIO(garment_png("upper", rgb)))
    flat = Image.new("RGB", top.size, (250, 250, 250))
    flat.paste(top, mask=top.getchannel("A"))
    return encoded(flat, "JPEG")
