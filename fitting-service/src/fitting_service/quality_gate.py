"""Checks every engine's picture before a person sees it: it must be the same photo (same
framing, the face untouched) with something new where the garments go. A picture that fails
is never shown: the task fails instead."""

import io

import numpy as np
from PIL import Image

from fitting_service.body import Body, Box, Landmark
from fitting_service.engines.base import EngineFailed, Slot

_FAILED = "가상 피팅 결과가 자연스럽지 않아 보여드리지 않았어요. 다른 사진으로 다시 시도해 주세요."
# Mean absolute difference (0..255) the face may change by (a learned engine redraws it a bit),
# and the garment region must change by at least.
_FACE_TOLERANCE = 14.0
_GARMENT_CHANGE = 10.0


def garment_region(body: Body, slot: Slot) -> Box:
    """Where a garment must show: the chest for a top, the hips and thighs for a bottom."""
    shoulders = body.shoulder_width
    center = body.shoulder_center if slot == "upper" else body.hip_center
    if slot == "upper":
        top, bottom = center[1] + 0.15 * shoulders, center[1] + 0.75 * shoulders
    else:
        top, bottom = center[1], center[1] + 0.5 * shoulders
    half = 0.3 * shoulders
    return Box(
        max(0.0, center[0] - half),
        max(0.0, top),
        min(float(body.width), center[0] + half),
        min(float(body.height), bottom),
    )


def _crop(pixels: np.ndarray, box: Box) -> np.ndarray:
    return pixels[int(box.y0) : int(box.y1), int(box.x0) : int(box.x1)].astype(np.float32)


def mean_difference(a: np.ndarray, b: np.ndarray, box: Box) -> float:
    first, second = _crop(a, box), _crop(b, box)
    return float(np.abs(first - second).mean()) if first.size else 0.0


def dress_regions(body: Body) -> list[Box]:
    """Where a dress must show: the chest, and the hips and thighs when the photo has them."""
    regions = [garment_region(body, "upper")]
    if body.visible(Landmark.LEFT_HIP, Landmark.RIGHT_HIP):
        legs = garment_region(body, "lower")
        # Hips at the photo's lower edge leave no thighs to look at: the chest alone counts.
        if legs.x1 - legs.x0 >= 2 and legs.y1 - legs.y0 >= 2:
            regions.append(legs)
    return regions


def check_result(
    photo: Image.Image, body: Body, result: bytes, slots: set[Slot], *, full_body: bool = False
) -> Image.Image:
    """The engine's picture at the photo's size; raises EngineFailed when it fails the gate.

    `full_body` (a dress) also requires the hips and thighs to change where the photo shows
    them."""
    try:
        picture = Image.open(io.BytesIO(result))
        picture.load()
        picture = picture.convert("RGB")
    except Exception as error:
        raise EngineFailed(_FAILED, cause=f"result is not an image: {error}") from None
    ratio = (picture.width / picture.height) / (photo.width / photo.height)
    if abs(ratio - 1) > 0.03:
        raise EngineFailed(_FAILED, cause=f"result framing differs (aspect ratio x{ratio:.3f})")
    if picture.size != photo.size:
        picture = picture.resize(photo.size, Image.Resampling.LANCZOS)
    before, after = np.asarray(photo), np.asarray(picture)
    if body.face is not None:
        change = mean_difference(before, after, body.face)
        if change > _FACE_TOLERANCE:
            raise EngineFailed(_FAILED, cause=f"face changed by {change:.1f}")
    regions = {slot: [garment_region(body, slot)] for slot in slots}
    if full_body:
        regions["upper"] = dress_regions(body)
    for slot, boxes in regions.items():
        for box in boxes:
            change = mean_difference(before, after, box)
            if change < _GARMENT_CHANGE:
                raise EngineFailed(_FAILED, cause=f"{slot} region barely changed ({change:.1f})")
    return picture
