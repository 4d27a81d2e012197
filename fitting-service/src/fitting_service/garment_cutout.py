"""A garment picture as a cut-out: RGBA pixels cropped to the garment, plus where its shoulders
(or waistband) are. The demo catalog's pictures carry the garment mask in their alpha channel;
imported pictures on a plain background are cut from it here."""

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from fitting_service.engines.base import EngineFailed, Slot

_UNUSABLE = "상품 이미지를 입어볼 수 있는 형태로 읽지 못했어요. 다른 상품을 골라주세요."
# A picture whose alpha is this opaque nearly everywhere has no mask: cut it from its background.
_OPAQUE = 250
# Colour distance from the background (0..441) above which a pixel is garment.
_BACKGROUND_DISTANCE = 38.0


@dataclass(frozen=True)
class Cutout:
    """RGBA float32 (0..1) cropped to the garment, with its anchor row and span."""

    pixels: np.ndarray
    # The row of the shoulder line (tops) or the waistband (bottoms), and the garment's width
    # there (sleeves excluded), in the cut-out's own pixels.
    anchor_y: float
    anchor_left: float
    anchor_right: float
    # Tops: the columns of the body of the garment low down, where sleeves no longer join it.
    # Dresses: the columns of the bodice across the chest.
    torso_left: float = 0.0
    torso_right: float = 0.0
    # A dress: one garment from the shoulders to the hem, worn over the legs too.
    full_body: bool = False
    # A dress: the row across the chest, where `torso_left`..`torso_right` was measured.
    chest_y: float = 0.0

    @property
    def anchor_width(self) -> float:
        return self.anchor_right - self.anchor_left

    @property
    def anchor_center(self) -> tuple[float, float]:
        return ((self.anchor_left + self.anchor_right) / 2, self.anchor_y)


def cut_out(data: bytes, slot: Slot, *, full_body: bool = False) -> Cutout:
    """The garment in a catalog picture; raises EngineFailed when none can be found.

    `full_body` (a dress, in the upper slot) measures the bodice instead of a top's hem."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as error:
        raise EngineFailed(_UNUSABLE, cause=f"garment image unreadable: {error}") from None
    rgba = np.asarray(image.convert("RGBA"), dtype=np.uint8)
    alpha = rgba[..., 3]
    if (alpha < _OPAQUE).mean() < 0.05:
        alpha = _mask_from_background(rgba[..., :3])
    mask = alpha > 127
    if mask.sum() < 0.02 * mask.size:
        raise EngineFailed(_UNUSABLE, cause="no garment found in the product image")
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    pixels = rgba[y0:y1, x0:x1].astype(np.float32) / 255.0
    pixels[..., 3] = alpha[y0:y1, x0:x1].astype(np.float32) / 255.0
    return _with_anchor(pixels, slot, full_body=full_body)


def _mask_from_background(rgb: np.ndarray) -> np.ndarray:
    """Alpha 0/255 for a garment photographed on a plain background (its border's colour)."""
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.float32)
    background = np.median(border, axis=0)
    distance = np.linalg.norm(rgb.astype(np.float32) - background, axis=2)
    mask = (distance > _BACKGROUND_DISTANCE).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel, iterations=2)
    # The garment is the largest piece; holes inside it (a white print on a white shirt) are
    # filled by drawing its outer contour.
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(mask)
    if contours:
        largest = max(contours, key=cv2.contourArea)
        cv2.drawContours(filled, [largest], -1, 1, thickness=cv2.FILLED)
    return filled * 255


def _runs(row: np.ndarray, max_gap: int) -> list[list[int]]:
    """The row's stretches of garment, [start, end) each, joined across gaps up to `max_gap`."""
    columns = np.nonzero(row)[0]
    if columns.size == 0:
        return []
    runs: list[list[int]] = [[int(columns[0]), int(columns[0]) + 1]]
    for column in columns[1:]:
        if column - runs[-1][1] <= max_gap:
            runs[-1][1] = int(column) + 1
        else:
            runs.append([int(column), int(column) + 1])
    return runs


def _straps(row: np.ndarray) -> tuple[int, int] | None:
    """When the middle of the row is a neckline between two straps (a sleeveless top), the
    span from the outer edge of one strap to the outer edge of the other; None otherwise."""
    runs = _runs(row, max(2, len(row) // 10))
    center = len(row) / 2
    left = [r for r in runs if r[1] <= center]
    right = [r for r in runs if r[0] > center]
    if left and right and not any(r[0] <= center < r[1] for r in runs):
        return left[-1][0], right[0][1]
    return None


def _central_run(row: np.ndarray, max_gap: int | None = None) -> tuple[int, int] | None:
    """The stretch of garment around the row's middle (the torso, not the sleeves); gaps
    narrower than a tenth of the row (a neckline's notch, a placket) do not split it."""
    if max_gap is None:
        max_gap = max(2, len(row) // 10)
    runs = _runs(row, max_gap)
    if not runs:
        return None
    center = len(row) / 2
    left, right = min(
        runs,
        key=lambda run: (
            0 if run[0] <= center < run[1] else min(abs(run[0] - center), abs(run[1] - center))
        ),
    )
    return left, right


def _with_anchor(pixels: np.ndarray, slot: Slot, *, full_body: bool = False) -> Cutout:
    mask = pixels[..., 3] > 0.5
    height = mask.shape[0]
    # Tops: just under the collar, where the shoulder seams are. Bottoms: the waistband.
    row = round(height * (0.07 if slot == "upper" else 0.03))
    straps = _straps(mask[min(row, height - 1)])
    run = straps or _central_run(mask[min(row, height - 1)])
    if run is None or run[1] - run[0] < 4:
        raise EngineFailed(_UNUSABLE, cause="garment has no usable shoulder or waist line")
    if full_body:
        # The chest lies about half a shoulder line below the shoulders (a person's chest is
        # 0.6 shoulder joints down, and the shoulder line is drawn 1.12 joints wide); lower
        # down is the skirt, which is meant to flare.
        chest = min(height - 1, round(row + 0.54 * (run[1] - run[0])))
        torso = _central_run(mask[chest], max_gap=0) or run
        return Cutout(
            pixels=pixels,
            anchor_y=float(row),
            anchor_left=run[0],
            anchor_right=run[1],
            torso_left=max(torso[0], run[0]),
            torso_right=min(torso[1], run[1]),
            full_body=True,
            chest_y=float(chest),
        )
    torso = _central_run(mask[int(height * 0.75)], max_gap=0) or run
    if straps:
        # No sleeves: the whole body is torso, however much wider than the straps it is.
        return Cutout(pixels, float(row), run[0], run[1], torso[0], torso[1])
    return Cutout(
        pixels=pixels,
        anchor_y=float(row),
        anchor_left=run[0],
        anchor_right=run[1],
        torso_left=max(torso[0], run[0]),
        torso_right=min(torso[1], run[1]),
    )
