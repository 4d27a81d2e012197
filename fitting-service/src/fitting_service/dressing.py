"""Puts cut-out garments on a person: each garment is placed by the pose (shoulder line for
tops, waistband for bottoms), lit by the photo's own light, and blended in; the face, head,
hands and arms in front of the body keep the photo's pixels, and so does everything the
garments do not cover."""

import itertools
from dataclasses import dataclass

import cv2
import numpy as np

from fitting_service.body import Body, Landmark
from fitting_service.engines.base import Slot
from fitting_service.garment_cutout import Cutout

# Garments sit a little wider than the shoulder joints MediaPipe finds.
_SHOULDER_SPAN = 1.12
# The waistband sits this far (of the torso) above the hip joints, and this wide (of the hips).
_WAIST_RISE = 0.2
_WAIST_SPAN = 1.6
# How much of the photo's light and shade the garment takes on (0: flat, 1: all of it).
_SHADING = 0.65
_HANDS = (15, 16, 17, 18, 19, 20, 21, 22)


@dataclass(frozen=True)
class Dressed:
    image: np.ndarray  # uint8 RGB, the photo's size
    mask: np.ndarray  # float32 0..1: how much of each pixel is garment


def dress(photo: np.ndarray, body: Body, garments: dict[Slot, Cutout]) -> Dressed:
    """The photo with the garments on (bottom first, so a top covers the waistband). A dress
    goes in the upper slot and covers the legs down to its hem (RenderJob keeps it alone)."""
    height, width = photo.shape[:2]
    canvas = photo.astype(np.float32) / 255.0
    coverage = np.zeros((height, width), np.float32)
    light = _light(photo, body)
    keep = _kept_regions(body)
    for slot in ("lower", "upper"):
        cutout = garments.get(slot)
        if cutout is None:
            continue
        if slot == "upper":
            cutout = _fit_dress(body, cutout) if cutout.full_body else _fit_top(body, cutout)
        matrix = _placement(body, cutout, slot)
        layer = cv2.warpAffine(
            cutout.pixels,
            matrix,
            (width, height),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(0, 0, 0, 0),
        )
        alpha = layer[..., 3] * (1.0 - keep)
        if slot == "upper":
            alpha *= 1.0 - _forearms_in_front(body)
        # A soft edge of about a pixel, as a camera would see the cloth's border.
        alpha = cv2.GaussianBlur(alpha, (0, 0), sigmaX=max(0.6, width / 1200))
        rgb = layer[..., :3] * _garment_light(light, alpha)[..., None]
        canvas = canvas * (1.0 - alpha[..., None]) + np.clip(rgb, 0, 1) * alpha[..., None]
        coverage = np.maximum(coverage, alpha)
    image = np.clip(np.rint(canvas * 255.0), 0, 255).astype(np.uint8)
    # Where no garment lies the photo's own pixels stay, bit for bit.
    untouched = coverage < 1.0 / 512
    image[untouched] = photo[untouched]
    return Dressed(image=image, mask=coverage)


def _affine(
    source: tuple[float, float], target: np.ndarray, angle: float, sx: float, sy: float
) -> np.ndarray:
    """Scales about `source`, turns by `angle` and moves `source` onto `target`."""
    cos, sin = np.cos(angle), np.sin(angle)
    linear = np.array([[cos * sx, -sin * sy], [sin * sx, cos * sy]], np.float64)
    offset = np.asarray(target, np.float64) - linear @ np.asarray(source, np.float64)
    return np.hstack([linear, offset[:, None]])


def _placement(body: Body, cutout: Cutout, slot: Slot) -> np.ndarray:
    left, right = body.point(Landmark.LEFT_SHOULDER), body.point(Landmark.RIGHT_SHOULDER)
    across = left - right  # from the picture's left to its right for a person facing us
    shoulders = float(np.linalg.norm(across))
    up = np.array([across[1], -across[0]]) / max(shoulders, 1e-6)
    if slot == "upper":
        scale = _SHOULDER_SPAN * shoulders / cutout.anchor_width
        target = body.shoulder_center + up * 0.04 * shoulders
        if cutout.full_body:
            return _dress_placement(body, cutout, target, across / max(shoulders, 1e-6), scale)
        angle = float(np.arctan2(across[1], across[0]))
        return _affine(cutout.anchor_center, target, angle, scale, scale)
    hips = body.point(Landmark.LEFT_HIP) - body.point(Landmark.RIGHT_HIP)
    hip_width = float(np.linalg.norm(hips))
    torso = float(np.linalg.norm(body.hip_center - body.shoulder_center))
    span = max(_WAIST_SPAN * hip_width, 0.8 * shoulders)
    scale = span / cutout.anchor_width
    target = body.hip_center + up * _WAIST_RISE * torso
    # Trousers hang along the thighs when the knees are seen, upright otherwise: the hip line
    # tilts with every turn of the body and would tip them over.
    angle = 0.0
    if body.visible(Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE):
        knees = (body.point(Landmark.LEFT_KNEE) + body.point(Landmark.RIGHT_KNEE)) / 2
        thighs = knees - body.hip_center
        angle = float(np.arctan2(-thighs[0], thighs[1]))
    stretch = scale
    if body.visible(Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE):
        ankles = (body.point(Landmark.LEFT_ANKLE) + body.point(Landmark.RIGHT_ANKLE)) / 2
        reach = float(np.linalg.norm(ankles - target))
        length = cutout.pixels.shape[0] - cutout.anchor_y
        # Full-length bottoms end at the ankles whatever the person's proportions.
        if length * scale > 0.8 * reach:
            stretch = 1.03 * reach / length
    return _affine(cutout.anchor_center, target, angle, scale, stretch)


def _dress_placement(
    body: Body, cutout: Cutout, target: np.ndarray, across: np.ndarray, scale: float
) -> np.ndarray:
    """A dress: as wide as a top along the shoulder line, and hanging down the torso, towards
    the hips when they are seen (someone leaning forward wears it leaning too). It is as long
    as its picture shows, but a maxi dress on someone shorter (or further from the camera)
    ends at the ankles, not on the floor below them."""
    down = np.array([-across[1], across[0]])  # perpendicular to the shoulders
    if body.visible(Landmark.LEFT_HIP, Landmark.RIGHT_HIP):
        axis = body.hip_center - body.shoulder_center
        length = float(np.linalg.norm(axis))
        if length > 1e-6 and float(axis @ down) > 0.5 * length:
            down = axis / length
    stretch = scale
    if body.visible(Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE):
        ankles = (body.point(Landmark.LEFT_ANKLE) + body.point(Landmark.RIGHT_ANKLE)) / 2
        reach = float(np.linalg.norm(ankles - target))
        drawn = cutout.pixels.shape[0] - cutout.anchor_y
        stretch = min(scale, 1.02 * reach / max(drawn, 1.0))
    # The picture's across goes along the shoulders and its down along the torso (a shear
    # when the two are not square, as on a person bending forward).
    linear = np.column_stack([across * scale, down * stretch])
    offset = np.asarray(target, np.float64) - linear @ np.asarray(cutout.anchor_center)
    return np.hstack([linear, offset[:, None]])


def _fit_top(body: Body, cutout: Cutout) -> Cutout:
    """The top reshaped for this body, in its own picture's space: the body of the garment
    widened to the person's torso (so the clothes under it do not show at the sides), and each
    sleeve turned about its shoulder to follow the upper arm."""
    pixels = cutout.pixels
    height, width = pixels.shape[:2]
    shoulders = body.shoulder_width
    scale = _SHOULDER_SPAN * shoulders / cutout.anchor_width
    torso_width = (cutout.torso_right - cutout.torso_left) * scale
    widen = float(np.clip(_torso_width(body) / max(torso_width, 1.0), 1.0, 1.5))
    pad = width // 2 + 1
    canvas_width = width + 2 * pad
    center = pad + (cutout.anchor_left + cutout.anchor_right) / 2
    torso_matrix = np.array([[widen, 0, center * (1 - widen)], [0, 1, 0]], np.float64)
    columns = np.arange(width)
    is_torso = (columns >= cutout.torso_left - 1) & (columns <= cutout.torso_right + 1)
    padded = np.zeros((height, canvas_width, 4), np.float32)
    padded[:, pad : pad + width] = pixels * is_torso[None, :, None]
    result = cv2.warpAffine(padded, torso_matrix, (canvas_width, height), flags=cv2.INTER_LINEAR)
    across = body.point(Landmark.LEFT_SHOULDER) - body.point(Landmark.RIGHT_SHOULDER)
    body_angle = float(np.arctan2(across[1], across[0]))
    picture_sides = sorted(
        (
            (Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW),
            (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW),
        ),
        key=lambda side: body.point(side[0])[0],
    )
    for (shoulder, elbow), keep, pivot_x in zip(
        picture_sides,
        (columns < cutout.torso_left - 1, columns > cutout.torso_right + 1),
        (cutout.anchor_left, cutout.anchor_right),
        strict=True,
    ):
        sleeve = np.zeros_like(padded)
        sleeve[:, pad : pad + width] = pixels * keep[None, :, None]
        weights = sleeve[..., 3]
        if weights.sum() < 4:
            continue
        ys, xs = np.mgrid[0:height, 0:canvas_width]
        pivot = np.array([pad + pivot_x, cutout.anchor_y])
        moved = np.array([center + (pivot[0] - center) * widen, pivot[1]])
        mean = np.array([(xs * weights).sum(), (ys * weights).sum()]) / weights.sum()
        drawn = float(np.arctan2(*(mean - pivot)[::-1]))
        arm = body.point(elbow) - body.point(shoulder)
        if body.landmarks[elbow, 2] < 0.3:
            # Arm unseen: hanging down, a little away from the body.
            outward = -1.0 if pivot_x < width / 2 else 1.0
            arm = np.array([0.25 * outward, 1.0])
        turn = float(np.arctan2(arm[1], arm[0])) - body_angle - drawn
        cos, sin = np.cos(turn), np.sin(turn)
        linear = np.array([[cos, -sin], [sin, cos]])
        matrix = np.hstack([linear, (moved - linear @ pivot)[:, None]])
        turned = cv2.warpAffine(sleeve, matrix, (canvas_width, height), flags=cv2.INTER_LINEAR)
        # The sleeve goes behind the body of the garment.
        alpha = result[..., 3:4]
        result = result + turned * (1 - alpha)
    shift = pad
    return Cutout(
        pixels=result,
        anchor_y=cutout.anchor_y,
        anchor_left=center + (cutout.anchor_left + shift - center) * widen,
        anchor_right=center + (cutout.anchor_right + shift - center) * widen,
        torso_left=center + (cutout.torso_left + shift - center) * widen,
        torso_right=center + (cutout.torso_right + shift - center) * widen,
    )


def _fit_dress(body: Body, cutout: Cutout) -> Cutout:
    """The dress reshaped for this body, in its own picture's space: from the chest down it is
    widened to the person's torso (as a top's body is), while the shoulder line keeps its
    width so the shoulders still sit on the person's; the rows between blend from one to the
    other. Its short sleeves and its skirt come along as drawn."""
    pixels = cutout.pixels
    height, width = pixels.shape[:2]
    scale = _SHOULDER_SPAN * body.shoulder_width / cutout.anchor_width
    torso_width = (cutout.torso_right - cutout.torso_left) * scale
    widen = float(np.clip(_torso_width(body) / max(torso_width, 1.0), 1.0, 1.5))
    if widen <= 1.0:
        return cutout
    pad = int(np.ceil(width * (widen - 1) / 2)) + 1
    center = (cutout.anchor_left + cutout.anchor_right) / 2
    rows = np.arange(height, dtype=np.float32)
    reach = max(cutout.chest_y - cutout.anchor_y, 1.0)
    row_widen = 1 + (widen - 1) * np.clip((rows - cutout.anchor_y) / reach, 0.0, 1.0)
    # Each output pixel takes the source pixel nearer the centre by that row's factor.
    xs = np.arange(width + 2 * pad, dtype=np.float32) - pad
    map_x = center + (xs[None, :] - center) / row_widen[:, None]
    map_y = np.repeat(rows[:, None], xs.size, axis=1)
    widened = cv2.remap(
        pixels,
        map_x.astype(np.float32),
        map_y.astype(np.float32),
        interpolation=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(0, 0, 0, 0),
    )
    return Cutout(
        pixels=widened,
        anchor_y=cutout.anchor_y,
        anchor_left=cutout.anchor_left + pad,
        anchor_right=cutout.anchor_right + pad,
        torso_left=center + pad + (cutout.torso_left - center) * widen,
        torso_right=center + pad + (cutout.torso_right - center) * widen,
        full_body=True,
        chest_y=cutout.chest_y,
    )


def _torso_width(body: Body) -> float:
    """The person's width across the chest, arms left out."""
    shoulders = body.shoulder_width
    person = (body.person_mask > 0.5).astype(np.uint8)
    for shoulder, elbow, wrist in (
        (Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST),
        (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST),
    ):
        points = [body.point(shoulder)]
        for mark in (elbow, wrist):
            if body.landmarks[mark, 2] >= 0.3:
                points.append(body.point(mark))
        for start, end in itertools.pairwise(points):
            cv2.line(
                person,
                tuple(int(v) for v in start),
                tuple(int(v) for v in end),
                0,
                thickness=max(2, int(0.3 * shoulders)),
            )
    down = body.shoulder_center + np.array([0.0, 0.6 * shoulders])
    y = int(np.clip(down[1], 0, body.height - 1))
    row = person[y]
    x = int(np.clip(down[0], 0, body.width - 1))
    if not row[x]:
        return 0.0
    left = x
    while left > 0 and row[left - 1]:
        left -= 1
    right = x
    while right < body.width - 1 and row[right + 1]:
        right += 1
    return float(right - left)


def _kept_regions(body: Body) -> np.ndarray:
    """1 where the photo must stay as it is whatever is worn: the face and head, the hands."""
    keep = np.zeros((body.height, body.width), np.float32)
    shoulders = body.shoulder_width
    if body.face is not None:
        face = body.face.grown(0.12, body.width, body.height)
        cv2.rectangle(
            keep, (int(face.x0), int(face.y0)), (int(face.x1), int(face.y1)), 1.0, cv2.FILLED
        )
    # Above the collar line: head, hair, neck.
    left, right = body.point(Landmark.LEFT_SHOULDER), body.point(Landmark.RIGHT_SHOULDER)
    across = left - right
    up = np.array([across[1], -across[0]]) / max(float(np.linalg.norm(across)), 1e-6)
    collar = body.shoulder_center + up * 0.22 * shoulders
    ys, xs = np.mgrid[0 : body.height, 0 : body.width]
    above = (xs - collar[0]) * up[0] + (ys - collar[1]) * up[1] > 0
    keep[above] = 1.0
    person = body.person_mask > 0.5
    hands = np.zeros_like(keep)
    for mark in _HANDS:
        x, y, seen = body.landmarks[mark]
        if seen >= 0.5:
            cv2.circle(hands, (int(x), int(y)), int(0.12 * shoulders), 1.0, cv2.FILLED)
    keep = np.maximum(keep, hands * person)
    return cv2.GaussianBlur(keep, (0, 0), sigmaX=1.0)


def _forearms_in_front(body: Body) -> np.ndarray:
    """Forearms that cross in front of the torso (the top goes behind them)."""
    arms = np.zeros((body.height, body.width), np.float32)
    shoulders = body.shoulder_width
    xs = sorted((body.point(Landmark.LEFT_SHOULDER)[0], body.point(Landmark.RIGHT_SHOULDER)[0]))
    for elbow, wrist in (
        (Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST),
        (Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST),
    ):
        if not body.visible(elbow, wrist):
            continue
        wx = body.point(wrist)[0]
        inside = xs[0] + 0.15 * shoulders < wx < xs[1] - 0.15 * shoulders
        if inside:
            start = tuple(int(v) for v in body.point(elbow))
            end = tuple(int(v) for v in body.point(wrist))
            cv2.line(arms, start, end, 1.0, thickness=max(2, int(0.24 * shoulders)))
    return arms * (body.person_mask > 0.5)


def _light(photo: np.ndarray, body: Body) -> np.ndarray:
    """The photo's broad light and shade (no detail: the old clothes' print must not show)."""
    gray = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    sigma = max(2.0, 0.025 * max(body.width, body.height))
    return cv2.GaussianBlur(gray, (0, 0), sigmaX=sigma)


def _garment_light(light: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Relative brightness under the garment: 1 on average, brighter or darker where the photo
    is lit or shaded."""
    weight = float(alpha.sum())
    mean = float((light * alpha).sum() / weight) if weight > 1 else float(light.mean())
    relative = light / max(mean, 0.05)
    return np.clip(relative, 0.55, 1.3) ** _SHADING
