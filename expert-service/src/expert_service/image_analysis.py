"""Offline analysis of an uploaded photo: dominant colours, light/dark and warm/cool."""

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

# Reference RGB of each canonical colour, for naming a dominant colour.
_REFERENCE: dict[str, tuple[int, int, int]] = {
    "카멜": (193, 154, 107),  # reads as 베이지 in the catalog's words (see _ALIASES)
    "블랙": (25, 25, 25),
    "화이트": (240, 240, 236),
    "아이보리": (236, 228, 205),
    "그레이": (150, 150, 150),
    "차콜": (70, 70, 74),
    "네이비": (30, 40, 80),
    "블루": (40, 90, 190),
    "스카이블루": (140, 190, 230),
    "데님": (80, 110, 150),
    "베이지": (210, 190, 155),
    "브라운": (120, 80, 50),
    "카키": (110, 110, 70),
    "그린": (50, 130, 70),
    "레드": (200, 40, 40),
    "버건디": (110, 25, 45),
    "핑크": (235, 160, 180),
    "옐로우": (235, 205, 60),
    "오렌지": (235, 110, 30),
    "퍼플": (120, 70, 160),
}


@dataclass(frozen=True)
class ImageFacts:
    """What the pixels say."""

    colours: list[str]  # dominant canonical colours, most area first
    brightness: str  # "밝은" / "중간" / "어두운"
    temperature: str  # "웜" / "쿨" / "뉴트럴"

    def describe(self) -> str:
        """One Korean line for prompts and answers."""
        names = ", ".join(self.colours[:3]) or "뚜렷하지 않은 색"
        tone = f"{self.brightness} {self.temperature}"
        return f"사진의 주요 색은 {names}이고, 전체적으로 {tone} 톤이에요."


_ALIASES = {"카멜": "베이지"}


def _nearest(rgb: np.ndarray) -> str:
    best, best_distance = "그레이", float("inf")
    for name, ref in _REFERENCE.items():
        # "Redmean" weighting: closer to perceived difference than plain RGB distance.
        r_mean = (rgb[0] + ref[0]) / 2
        dr, dg, db = rgb - np.array(ref, dtype=float)
        distance = (2 + r_mean / 256) * dr**2 + 4 * dg**2 + (2 + (255 - r_mean) / 256) * db**2
        if distance < best_distance:
            best, best_distance = name, float(distance)
    return _ALIASES.get(best, best)


def analyse_image(data: bytes) -> ImageFacts:
    """Dominant colours, brightness and warmth of an image (raises ValueError if unreadable)."""
    try:
        image = Image.open(io.BytesIO(data))
        image.draft("RGB", (256, 256))  # JPEGs decode at reduced size: fast and bounded
        image = image.convert("RGB")
    except Exception as error:  # Pillow raises many types for bad input
        raise ValueError("unreadable image") from error
    image.thumbnail((96, 96))
    grid = np.asarray(image, dtype=float)
    # A photo of a person or a garment has its subject in the middle and a backdrop at the
    # edges: colours close to the border's median are backdrop, not clothes.
    border = np.concatenate([grid[0], grid[-1], grid[:, 0], grid[:, -1]])
    backdrop = np.median(border, axis=0)
    uniform_backdrop = float(np.mean(np.abs(border - backdrop))) < 20
    h, w = grid.shape[:2]
    centre = Image.fromarray(grid[h // 8 : h - h // 10, w // 6 : w - w // 6].astype(np.uint8))
    pixels = grid.reshape(-1, 3)
    quantised = centre.quantize(colors=6, method=Image.Quantize.MEDIANCUT)
    palette = np.array(quantised.getpalette()[: 6 * 3], dtype=float).reshape(-1, 3)
    counts = np.bincount(np.asarray(quantised).ravel(), minlength=len(palette))
    order = np.argsort(counts)[::-1]
    colours: list[str] = []
    backdrop_colours: list[str] = []
    for index in order:
        if counts[index] / counts.sum() < 0.06:
            break
        name = _nearest(palette[index])
        near_backdrop = float(np.sum((palette[index] - backdrop) ** 2)) < 30**2
        target = backdrop_colours if uniform_backdrop and near_backdrop else colours
        if name not in target:
            target.append(name)
    # A subject the colour of its backdrop (all dark, all white) is still that colour.
    colours = colours or backdrop_colours
    luminance = float(np.mean(pixels @ np.array([0.299, 0.587, 0.114])))
    brightness = "밝은" if luminance > 160 else "어두운" if luminance < 90 else "중간"
    # Warmth over saturated pixels only: greys say nothing about warm or cool.
    saturation = pixels.max(axis=1) - pixels.min(axis=1)
    vivid = pixels[saturation > 30]
    if len(vivid) < len(pixels) * 0.05:
        temperature = "뉴트럴"
    else:
        warmth = float(np.mean(vivid[:, 0] - vivid[:, 2]))
        temperature = "웜" if warmth > 15 else "쿨" if warmth < -15 else "뉴트럴"
    return ImageFacts(colours=colours, brightness=brightness, temperature=temperature)
