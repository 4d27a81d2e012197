"""Garment outlines in unit coordinates (0..1, y down), one function per garment shape.

Each returns a `Silhouette`: polygons and thick lines that make the garment's mask (its alpha
channel, which the try-on engine uses as the cut-out), plus detail strokes drawn on top
(collars, seams, buttons, laces) in a darker or lighter shade of the garment's colour.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from math import cos, pi, sin

Point = tuple[float, float]


@dataclass
class Silhouette:
    polygons: list[list[Point]] = field(default_factory=list)
    # (points, width) lines that belong to the mask: straps, handles.
    bands: list[tuple[list[Point], float]] = field(default_factory=list)
    ellipses: list[tuple[float, float, float, float]] = field(default_factory=list)
    # Holes cut out of the mask (necklines, the gap between handles).
    holes: list[list[Point]] = field(default_factory=list)
    # Details: (points, width, tone) with tone "dark" or "light"; a 1-point line is a dot.
    details: list[tuple[list[Point], float, str]] = field(default_factory=list)
    # A part in a fixed colour (soles, buckles): (polygon, rgb).
    fixed: list[tuple[list[Point], tuple[int, int, int]]] = field(default_factory=list)


def mirror(points: list[Point]) -> list[Point]:
    """The left half of a symmetric outline followed by its mirror image, in drawing order."""
    return points + [(1 - x, y) for x, y in reversed(points)]


def _top(
    *, sleeve: str, hem: float, half_width: float, neck: float = 0.07, shoulder: float = 0.19
) -> list[Point]:
    left_shoulder = 0.5 - half_width - 0.02
    if sleeve == "short":
        arm = [(left_shoulder - 0.13, 0.36), (left_shoulder - 0.04, 0.41)]
    elif sleeve == "none":
        arm = []
    else:
        arm = [(left_shoulder - 0.12, 0.78), (left_shoulder - 0.02, 0.79)]
    left = [
        (0.5 - neck, 0.14),
        (left_shoulder, shoulder),
        *arm,
        (0.5 - half_width, 0.38),
        (0.5 - half_width, hem),
    ]
    return mirror(left)


def tshirt() -> Silhouette:
    s = Silhouette(polygons=[_top(sleeve="short", hem=0.86, half_width=0.19)])
    s.holes.append([(0.43, 0.13), (0.5, 0.2), (0.57, 0.13)])
    s.details.append(([(0.43, 0.14), (0.5, 0.2), (0.57, 0.14)], 0.012, "dark"))
    return s


def polo() -> Silhouette:
    s = tshirt()
    s.details += [
        ([(0.43, 0.14), (0.47, 0.23), (0.5, 0.19)], 0.01, "dark"),
        ([(0.57, 0.14), (0.53, 0.23), (0.5, 0.19)], 0.01, "dark"),
        ([(0.5, 0.2), (0.5, 0.32)], 0.008, "dark"),
        ([(0.5, 0.25)], 0.012, "light"),
        ([(0.5, 0.3)], 0.012, "light"),
    ]
    return s


def shirt() -> Silhouette:
    s = Silhouette(polygons=[_top(sleeve="long", hem=0.88, half_width=0.18)])
    s.details += [
        ([(0.43, 0.13), (0.46, 0.24), (0.5, 0.18), (0.54, 0.24), (0.57, 0.13)], 0.012, "dark"),
        ([(0.5, 0.19), (0.5, 0.88)], 0.006, "dark"),
        *[([(0.52, y)], 0.011, "light") for y in (0.28, 0.4, 0.52, 0.64, 0.76)],
        ([(0.33, 0.3), (0.42, 0.3), (0.42, 0.38), (0.33, 0.38), (0.33, 0.3)], 0.005, "dark"),
    ]
    return s


def blouse() -> Silhouette:
    s = Silhouette(polygons=[_top(sleeve="long", hem=0.8, half_width=0.2, neck=0.08)])
    s.holes.append([(0.42, 0.13), (0.5, 0.24), (0.58, 0.13)])
    s.details += [
        ([(0.42, 0.14), (0.5, 0.25), (0.58, 0.14)], 0.012, "dark"),
        ([(0.45, 0.24), (0.5, 0.3), (0.55, 0.24)], 0.01, "light"),
        ([(0.24, 0.7), (0.21, 0.79)], 0.008, "dark"),
        ([(0.76, 0.7), (0.79, 0.79)], 0.008, "dark"),
    ]
    return s


def sweater() -> Silhouette:
    s = Silhouette(polygons=[_top(sleeve="long", hem=0.84, half_width=0.2)])
    s.holes.append([(0.43, 0.13), (0.5, 0.19), (0.57, 0.13)])
    s.details += [
        ([(0.42, 0.14), (0.5, 0.21), (0.58, 0.14)], 0.025, "dark"),
        ([(0.31, 0.8), (0.69, 0.8)], 0.03, "dark"),
        ([(0.17, 0.75), (0.27, 0.76)], 0.025, "dark"),
        ([(0.73, 0.76), (0.83, 0.75)], 0.025, "dark"),
    ]
    return s


def sweatshirt() -> Silhouette:
    s = sweater()
    s.details.append(([(0.46, 0.2), (0.5, 0.25), (0.54, 0.2)], 0.01, "dark"))
    return s


def hoodie() -> Silhouette:
    s = Silhouette(polygons=[_top(sleeve="long", hem=0.86, half_width=0.2)])
    s.polygons.append([(0.36, 0.2), (0.38, 0.07), (0.5, 0.03), (0.62, 0.07), (0.64, 0.2)])
    s.details += [
        ([(0.41, 0.2), (0.43, 0.1), (0.5, 0.07), (0.57, 0.1), (0.59, 0.2)], 0.012, "dark"),
        ([(0.46, 0.2), (0.46, 0.36)], 0.008, "light"),
        ([(0.54, 0.2), (0.54, 0.36)], 0.008, "light"),
        ([(0.37, 0.58), (0.63, 0.58), (0.66, 0.74), (0.34, 0.74), (0.37, 0.58)], 0.008, "dark"),
        ([(0.32, 0.82), (0.68, 0.82)], 0.025, "dark"),
    ]
    return s


def _outer(*, hem: float, half_width: float = 0.21) -> Silhouette:
    s = Silhouette(polygons=[_top(sleeve="long", hem=hem, half_width=half_width)])
    s.details.append(([(0.5, 0.2), (0.5, hem)], 0.008, "dark"))
    return s


def jacket() -> Silhouette:
    s = _outer(hem=0.76)
    s.details += [
        ([(0.42, 0.13), (0.5, 0.2), (0.58, 0.13)], 0.02, "dark"),
        ([(0.31, 0.72), (0.69, 0.72)], 0.025, "dark"),
        ([(0.35, 0.42), (0.44, 0.42)], 0.008, "dark"),
        ([(0.56, 0.42), (0.65, 0.42)], 0.008, "dark"),
    ]
    return s


def windbreaker() -> Silhouette:
    s = jacket()
    s.polygons.append([(0.4, 0.17), (0.42, 0.07), (0.5, 0.05), (0.58, 0.07), (0.6, 0.17)])
    s.details.append(([(0.22, 0.45), (0.78, 0.45)], 0.02, "light"))
    return s


def blazer() -> Silhouette:
    s = _outer(hem=0.84)
    s.holes.append([(0.44, 0.13), (0.5, 0.45), (0.56, 0.13)])
    s.details += [
        ([(0.43, 0.13), (0.4, 0.27), (0.5, 0.46)], 0.014, "dark"),
        ([(0.57, 0.13), (0.6, 0.27), (0.5, 0.46)], 0.014, "dark"),
        ([(0.5, 0.55)], 0.015, "dark"),
        ([(0.5, 0.65)], 0.015, "dark"),
        ([(0.33, 0.62), (0.42, 0.62)], 0.008, "dark"),
        ([(0.58, 0.62), (0.67, 0.62)], 0.008, "dark"),
        ([(0.58, 0.33), (0.65, 0.33)], 0.008, "dark"),
    ]
    return s


def coat() -> Silhouette:
    s = blazer()
    s.polygons = [_top(sleeve="long", hem=0.97, half_width=0.21)]
    s.details.append(([(0.5, 0.46), (0.5, 0.97)], 0.008, "dark"))
    return s


def trench() -> Silhouette:
    s = coat()
    s.details += [
        ([(0.29, 0.55), (0.71, 0.55)], 0.03, "dark"),
        ([(0.46, 0.52), (0.54, 0.52), (0.54, 0.58), (0.46, 0.58), (0.46, 0.52)], 0.008, "light"),
        *[([(x, y)], 0.012, "dark") for x in (0.45, 0.55) for y in (0.35, 0.45, 0.65)],
    ]
    return s


def cardigan() -> Silhouette:
    s = _outer(hem=0.82, half_width=0.2)
    s.holes.append([(0.44, 0.13), (0.5, 0.4), (0.56, 0.13)])
    s.details += [
        ([(0.44, 0.13), (0.5, 0.41), (0.56, 0.13)], 0.02, "dark"),
        *[([(0.52, y)], 0.012, "light") for y in (0.46, 0.55, 0.64, 0.73)],
        ([(0.31, 0.79), (0.69, 0.79)], 0.03, "dark"),
    ]
    return s


def puffer() -> Silhouette:
    s = _outer(hem=0.84, half_width=0.23)
    s.polygons.append([(0.38, 0.2), (0.4, 0.08), (0.6, 0.08), (0.62, 0.2)])
    s.details += [([(0.27, y), (0.73, y)], 0.012, "dark") for y in (0.3, 0.42, 0.54, 0.66, 0.78)]
    s.details += [([(0.13, y), (0.24, y + 0.01)], 0.01, "dark") for y in (0.45, 0.6)]
    s.details += [([(0.76, y + 0.01), (0.87, y)], 0.01, "dark") for y in (0.45, 0.6)]
    return s


def _legs(*, hem: float, flare: float, gap: float = 0.03, waist: float = 0.17) -> list[Point]:
    return [
        (0.5 - waist, 0.08),
        (0.5 + waist, 0.08),
        (0.5 + waist + flare, hem),
        (0.5 + gap, hem),
        (0.5, 0.4),
        (0.5 - gap, hem),
        (0.5 - waist - flare, hem),
    ]


def trousers() -> Silhouette:
    s = Silhouette(polygons=[_legs(hem=0.95, flare=0.02)])
    s.details += [
        ([(0.33, 0.12), (0.67, 0.12)], 0.01, "dark"),
        ([(0.41, 0.2), (0.41, 0.94)], 0.006, "dark"),
        ([(0.59, 0.2), (0.59, 0.94)], 0.006, "dark"),
        ([(0.5, 0.12), (0.5, 0.3)], 0.006, "dark"),
    ]
    return s


def jeans() -> Silhouette:
    s = Silhouette(polygons=[_legs(hem=0.95, flare=0.03)])
    s.details += [
        ([(0.33, 0.12), (0.67, 0.12)], 0.012, "light"),
        ([(0.35, 0.13), (0.42, 0.22)], 0.008, "light"),
        ([(0.65, 0.13), (0.58, 0.22)], 0.008, "light"),
        ([(0.5, 0.12), (0.5, 0.32)], 0.008, "light"),
        ([(0.31, 0.9), (0.47, 0.9)], 0.008, "light"),
        ([(0.53, 0.9), (0.69, 0.9)], 0.008, "light"),
    ]
    return s


def shorts() -> Silhouette:
    s = Silhouette(polygons=[_legs(hem=0.55, flare=0.05, gap=0.02)])
    s.details += [
        ([(0.33, 0.12), (0.67, 0.12)], 0.012, "dark"),
        ([(0.5, 0.12), (0.5, 0.3)], 0.006, "dark"),
    ]
    return s


def joggers() -> Silhouette:
    s = Silhouette(polygons=[_legs(hem=0.92, flare=-0.04)])
    s.details += [
        ([(0.33, 0.11), (0.67, 0.11)], 0.03, "dark"),
        ([(0.47, 0.12), (0.46, 0.2)], 0.006, "light"),
        ([(0.53, 0.12), (0.54, 0.2)], 0.006, "light"),
        ([(0.3, 0.9), (0.45, 0.9)], 0.03, "dark"),
        ([(0.55, 0.9), (0.7, 0.9)], 0.03, "dark"),
    ]
    return s


def skirt() -> Silhouette:
    s = Silhouette(polygons=[[(0.36, 0.12), (0.64, 0.12), (0.76, 0.8), (0.24, 0.8)]])
    s.details += [([(0.36, 0.15), (0.64, 0.15)], 0.02, "dark")]
    s.details += [([(x, 0.18), (0.5 + (x - 0.5) * 1.9, 0.79)], 0.005, "dark") for x in (0.44, 0.56)]
    return s


def _bodice(*, neck: float = 0.06, shoulder: float = 0.15) -> list[Point]:
    """The left half of a dress from the neckline to the waist, with a short cap sleeve that
    hangs down the upper arm (so it sits right on a person whose arms hang down)."""
    return [
        (0.5 - neck, 0.11),
        (0.5 - shoulder, 0.15),
        (0.5 - shoulder - 0.055, 0.25),
        (0.5 - shoulder - 0.015, 0.27),
        (0.5 - shoulder + 0.02, 0.245),
        (0.5 - shoulder + 0.025, 0.33),
        (0.375, 0.43),
    ]


def _dress(
    *, hem: float, hem_half_width: float, hip: tuple[float, float] | None = None
) -> Silhouette:
    """A fitted bodice, a seam at the natural waist and a skirt to `hem`."""
    left = _bodice()
    if hip:
        left.append(hip)
    left.append((0.5 - hem_half_width, hem))
    s = Silhouette(polygons=[mirror(left)])
    s.holes.append([(0.44, 0.1), (0.46, 0.15), (0.5, 0.165), (0.54, 0.15), (0.56, 0.1)])
    s.details += [
        ([(0.44, 0.11), (0.46, 0.155), (0.5, 0.17), (0.54, 0.155), (0.56, 0.11)], 0.01, "dark"),
        ([(0.375, 0.43), (0.625, 0.43)], 0.014, "dark"),
        ([(0.318, 0.255), (0.335, 0.27)], 0.006, "dark"),
        ([(0.682, 0.255), (0.665, 0.27)], 0.006, "dark"),
    ]
    return s


def dress() -> Silhouette:
    """An A-line dress: the skirt flares from the waist to below the knee."""
    s = _dress(hem=0.95, hem_half_width=0.27)
    # Soft folds of the flared skirt.
    s.details += [([(x, 0.45), (0.5 + (x - 0.5) * 2.3, 0.93)], 0.005, "dark") for x in (0.44, 0.56)]
    return s


def sheath_dress() -> Silhouette:
    """An H-line dress: close to the hips, then straight down, with a short slit at the hem."""
    s = _dress(hem=0.93, hem_half_width=0.15, hip=(0.35, 0.56))
    s.details.append(([(0.5, 0.84), (0.5, 0.93)], 0.006, "dark"))
    return s


def pleated_dress() -> Silhouette:
    """A dress with a pleated skirt: many fine pleats fanning out from the waist."""
    s = _dress(hem=0.95, hem_half_width=0.27)
    s.details += [
        ([(x, 0.445), (0.5 + (x - 0.5) * 2.1, 0.94)], 0.004, "dark")
        for x in (0.395, 0.42, 0.445, 0.47, 0.5, 0.53, 0.555, 0.58, 0.605)
    ]
    return s


def tank() -> Silhouette:
    """A sleeveless top: narrow straps, a scoop neck and deep armholes."""
    left = [(0.41, 0.12), (0.335, 0.12), (0.325, 0.23), (0.3, 0.33), (0.3, 0.84)]
    s = Silhouette(polygons=[mirror(left)])
    s.holes.append([(0.41, 0.11), (0.42, 0.22), (0.5, 0.27), (0.58, 0.22), (0.59, 0.11)])
    s.details += [
        ([(0.41, 0.12), (0.42, 0.225), (0.5, 0.275), (0.58, 0.225), (0.59, 0.12)], 0.012, "dark"),
        ([(0.335, 0.125), (0.325, 0.23), (0.305, 0.325)], 0.009, "dark"),
        ([(0.665, 0.125), (0.675, 0.23), (0.695, 0.325)], 0.009, "dark"),
    ]
    return s


def suit_jacket() -> Silhouette:
    """A tailored jacket: notch lapels, chest pocket, flap pockets and two buttons (what tells
    it from a casual jacket at a glance)."""
    s = _outer(hem=0.82, half_width=0.2)
    s.holes.append([(0.45, 0.13), (0.5, 0.42), (0.55, 0.13)])
    s.details += [
        # Lapels with their notch.
        ([(0.44, 0.13), (0.41, 0.2), (0.43, 0.22), (0.41, 0.27), (0.5, 0.43)], 0.014, "dark"),
        ([(0.56, 0.13), (0.59, 0.2), (0.57, 0.22), (0.59, 0.27), (0.5, 0.43)], 0.014, "dark"),
        ([(0.5, 0.5)], 0.014, "dark"),
        ([(0.5, 0.6)], 0.014, "dark"),
        ([(0.59, 0.34), (0.66, 0.33)], 0.01, "dark"),
        ([(0.33, 0.6), (0.43, 0.6), (0.43, 0.63), (0.33, 0.63), (0.33, 0.6)], 0.006, "dark"),
        ([(0.57, 0.6), (0.67, 0.6), (0.67, 0.63), (0.57, 0.63), (0.57, 0.6)], 0.006, "dark"),
        *[([(x, 0.74)], 0.007, "dark") for x in (0.2, 0.215, 0.785, 0.8)],
    ]
    return s


def suit_trousers() -> Silhouette:
    """Suit trousers: a slim straight leg with a pressed crease down its middle."""
    s = Silhouette(polygons=[_legs(hem=0.95, flare=0.0, waist=0.16)])
    s.details += [
        ([(0.34, 0.12), (0.66, 0.12)], 0.012, "dark"),
        *[([(x, 0.085), (x, 0.125)], 0.006, "dark") for x in (0.38, 0.45, 0.55, 0.62)],
        ([(0.5, 0.13), (0.5, 0.3)], 0.006, "dark"),
        ([(0.425, 0.16), (0.425, 0.94)], 0.004, "light"),
        ([(0.575, 0.16), (0.575, 0.94)], 0.004, "light"),
        ([(0.35, 0.14), (0.4, 0.24)], 0.006, "dark"),
        ([(0.65, 0.14), (0.6, 0.24)], 0.006, "dark"),
    ]
    return s


def pencil_skirt() -> Silhouette:
    """An H-line skirt: straight from the hips to the knee, a waistband and a back slit."""
    s = Silhouette(polygons=[[(0.37, 0.12), (0.63, 0.12), (0.655, 0.3), (0.65, 0.8),
                              (0.35, 0.8), (0.345, 0.3)]])  # fmt: skip
    s.details += [
        ([(0.37, 0.15), (0.63, 0.15)], 0.02, "dark"),
        ([(0.5, 0.68), (0.5, 0.8)], 0.006, "dark"),
        ([(0.42, 0.18), (0.43, 0.3)], 0.005, "dark"),
        ([(0.58, 0.18), (0.57, 0.3)], 0.005, "dark"),
    ]
    return s


def cargo() -> Silhouette:
    """Cargo trousers: a roomy leg with a big flap pocket on each thigh."""
    s = Silhouette(polygons=[_legs(hem=0.95, flare=0.03, waist=0.18)])
    s.details += [
        ([(0.32, 0.12), (0.68, 0.12)], 0.014, "dark"),
        ([(0.5, 0.12), (0.5, 0.3)], 0.006, "dark"),
        ([(0.26, 0.45), (0.4, 0.45), (0.4, 0.62), (0.265, 0.62), (0.26, 0.45)], 0.007, "dark"),
        ([(0.6, 0.45), (0.74, 0.45), (0.735, 0.62), (0.6, 0.62), (0.6, 0.45)], 0.007, "dark"),
        ([(0.26, 0.5), (0.4, 0.5)], 0.007, "dark"),
        ([(0.6, 0.5), (0.74, 0.5)], 0.007, "dark"),
        ([(0.28, 0.9), (0.46, 0.9)], 0.01, "dark"),
        ([(0.54, 0.9), (0.72, 0.9)], 0.01, "dark"),
    ]
    return s


def leggings() -> Silhouette:
    """Leggings: a high waistband and legs that narrow to the ankle."""
    s = Silhouette(polygons=[_legs(hem=0.95, flare=-0.075, gap=0.015, waist=0.15)])
    s.details += [
        ([(0.36, 0.12), (0.64, 0.12)], 0.035, "dark"),
        ([(0.37, 0.2), (0.44, 0.93)], 0.004, "light"),
        ([(0.63, 0.2), (0.56, 0.93)], 0.004, "light"),
    ]
    return s


def necktie() -> Silhouette:
    """A tie as it hangs: the knot, then a blade widening to a point."""
    s = Silhouette(polygons=[
        [(0.455, 0.1), (0.545, 0.1), (0.53, 0.19), (0.47, 0.19)],
        [(0.475, 0.19), (0.525, 0.19), (0.575, 0.8), (0.5, 0.9), (0.425, 0.8)],
    ])  # fmt: skip
    s.details += [
        ([(0.47, 0.19), (0.53, 0.19)], 0.008, "dark"),
        ([(0.5, 0.11), (0.5, 0.18)], 0.004, "light"),
    ]
    return s


def _shoe(*, top: float, sole: tuple[int, int, int], sole_height: float) -> Silhouette:
    upper = [(0.12, 0.66), (0.14, 0.5), (0.2, top), (0.36, top), (0.46, 0.46), (0.7, 0.52),
             (0.86, 0.57), (0.89, 0.66)]  # fmt: skip
    s = Silhouette(polygons=[upper])
    s.fixed.append(
        ([(0.1, 0.66), (0.9, 0.66), (0.9, 0.66 + sole_height), (0.1, 0.66 + sole_height)], sole)
    )
    return s


def sneaker() -> Silhouette:
    s = _shoe(top=0.4, sole=(245, 245, 240), sole_height=0.07)
    s.details += [([(0.4 + i * 0.05, 0.47 + i * 0.012), (0.44 + i * 0.05, 0.44 + i * 0.015)],
                   0.008, "light") for i in range(4)]  # fmt: skip
    s.details.append(([(0.22, 0.6), (0.5, 0.55), (0.7, 0.6)], 0.01, "dark"))
    return s


def runner() -> Silhouette:
    s = _shoe(top=0.42, sole=(235, 235, 235), sole_height=0.1)
    s.details.append(([(0.2, 0.62), (0.45, 0.52), (0.75, 0.6)], 0.025, "light"))
    return s


def loafer() -> Silhouette:
    s = _shoe(top=0.5, sole=(60, 40, 30), sole_height=0.03)
    s.details.append(([(0.48, 0.5), (0.62, 0.53)], 0.02, "dark"))
    return s


def oxford() -> Silhouette:
    s = _shoe(top=0.46, sole=(30, 25, 22), sole_height=0.035)
    s.details += [
        ([(0.4 + i * 0.04, 0.49), (0.42 + i * 0.04, 0.46)], 0.007, "light") for i in range(3)
    ]
    s.details.append(([(0.36, 0.46), (0.5, 0.62)], 0.006, "dark"))
    return s


def heel() -> Silhouette:
    s = Silhouette(polygons=[[(0.14, 0.42), (0.24, 0.42), (0.5, 0.62), (0.88, 0.66), (0.9, 0.7),
                              (0.45, 0.7), (0.2, 0.55), (0.16, 0.55)]])  # fmt: skip
    s.polygons.append([(0.16, 0.5), (0.21, 0.5), (0.2, 0.82), (0.18, 0.82)])
    return s


def boot() -> Silhouette:
    s = _shoe(top=0.16, sole=(40, 32, 28), sole_height=0.05)
    s.polygons[0] = [(0.14, 0.66), (0.16, 0.16), (0.42, 0.16), (0.44, 0.46), (0.7, 0.52),
                     (0.86, 0.57), (0.89, 0.66)]  # fmt: skip
    s.details.append(([(0.2, 0.3), (0.38, 0.3)], 0.012, "dark"))
    return s


def sandal() -> Silhouette:
    s = Silhouette(fixed=[([(0.1, 0.62), (0.9, 0.62), (0.9, 0.68), (0.1, 0.68)], (200, 180, 150))])
    s.bands += [([(0.2, 0.62), (0.3, 0.48), (0.4, 0.62)], 0.05), ([(0.5, 0.62), (0.6, 0.5),
                (0.72, 0.62)], 0.05)]  # fmt: skip
    return s


def tote() -> Silhouette:
    s = Silhouette(polygons=[[(0.22, 0.38), (0.78, 0.38), (0.84, 0.88), (0.16, 0.88)]])
    s.bands += [([(0.34, 0.39), (0.36, 0.16), (0.5, 0.12), (0.64, 0.16), (0.66, 0.39)], 0.035)]
    s.details += [([(0.2, 0.46), (0.8, 0.46)], 0.006, "dark")]
    return s


def crossbody() -> Silhouette:
    s = Silhouette(polygons=[[(0.28, 0.5), (0.72, 0.5), (0.74, 0.84), (0.26, 0.84)]])
    s.bands += [([(0.29, 0.51), (0.2, 0.1), (0.8, 0.1), (0.71, 0.51)], 0.02)]
    s.details += [([(0.27, 0.5), (0.5, 0.66), (0.73, 0.5)], 0.01, "dark"), ([(0.5, 0.66)], 0.02,
                   "light")]  # fmt: skip
    return s


def backpack() -> Silhouette:
    s = Silhouette(polygons=[[(0.28, 0.22), (0.4, 0.14), (0.6, 0.14), (0.72, 0.22), (0.74, 0.9),
                              (0.26, 0.9)]])  # fmt: skip
    s.bands += [([(0.44, 0.15), (0.5, 0.08), (0.56, 0.15)], 0.02)]
    s.details += [([(0.33, 0.55), (0.67, 0.55), (0.67, 0.84), (0.33, 0.84), (0.33, 0.55)], 0.01,
                   "dark"), ([(0.33, 0.62), (0.67, 0.62)], 0.008, "light")]  # fmt: skip
    return s


def _dome(left: float, right: float, top: float, bottom: float, steps: int = 16) -> list[Point]:
    """The upper half of an ellipse, left to right."""
    centre, radius_x, radius_y = (left + right) / 2, (right - left) / 2, bottom - top
    return [
        (centre - radius_x * cos(pi * i / steps), bottom - radius_y * sin(pi * i / steps))
        for i in range(steps + 1)
    ]


def cap() -> Silhouette:
    s = Silhouette(polygons=[_dome(0.22, 0.7, 0.3, 0.56)])
    s.polygons.append([(0.5, 0.52), (0.9, 0.55), (0.88, 0.62), (0.5, 0.58)])
    s.details += [([(0.46, 0.31), (0.42, 0.55)], 0.006, "dark"), ([(0.46, 0.31)], 0.02, "dark")]
    s.details.append(([(0.5, 0.56), (0.88, 0.59)], 0.006, "dark"))
    return s


def beanie() -> Silhouette:
    s = Silhouette(ellipses=[(0.26, 0.18, 0.74, 0.8)])
    s.holes.append([(0.2, 0.66), (0.8, 0.66), (0.8, 0.9), (0.2, 0.9)])
    s.polygons.append([(0.25, 0.52), (0.75, 0.52), (0.76, 0.68), (0.24, 0.68)])
    s.details += [([(x, 0.54), (x, 0.66)], 0.008, "dark") for x in (0.32, 0.4, 0.48, 0.56, 0.64)]
    return s


def belt() -> Silhouette:
    s = Silhouette(polygons=[[(0.08, 0.46), (0.86, 0.46), (0.92, 0.5), (0.86, 0.54), (0.08, 0.54)]])
    s.fixed.append(([(0.12, 0.43), (0.22, 0.43), (0.22, 0.57), (0.12, 0.57)], (190, 190, 180)))
    s.details += [([(x, 0.5)], 0.01, "dark") for x in (0.6, 0.66, 0.72)]
    return s


def muffler() -> Silhouette:
    s = Silhouette(bands=[([(0.3, 0.34), (0.5, 0.2), (0.7, 0.34)], 0.11)])
    s.polygons += [
        [(0.36, 0.3), (0.49, 0.3), (0.48, 0.88), (0.35, 0.88)],
        [(0.5, 0.32), (0.63, 0.32), (0.66, 0.78), (0.53, 0.78)],
    ]
    s.details += [([(x, 0.88), (x, 0.94)], 0.005, "dark") for x in (0.37, 0.4, 0.43, 0.46)]
    s.details += [([(x, 0.78), (x + 0.005, 0.84)], 0.005, "dark") for x in (0.55, 0.58, 0.61, 0.64)]
    return s


SHAPES: dict[str, Callable[[], Silhouette]] = {
    "tshirt": tshirt, "polo": polo, "shirt": shirt, "blouse": blouse, "sweater": sweater,
    "sweatshirt": sweatshirt, "hoodie": hoodie, "jacket": jacket, "windbreaker": windbreaker,
    "blazer": blazer, "coat": coat, "trench": trench, "cardigan": cardigan, "puffer": puffer,
    "trousers": trousers, "jeans": jeans, "shorts": shorts, "joggers": joggers, "skirt": skirt,
    "sneaker": sneaker, "runner": runner, "loafer": loafer, "oxford": oxford, "heel": heel,
    "boot": boot, "sandal": sandal, "tote": tote, "crossbody": crossbody, "backpack": backpack,
    "cap": cap, "beanie": beanie, "belt": belt, "muffler": muffler, "dress": dress,
    "sheath_dress": sheath_dress, "pleated_dress": pleated_dress, "tank": tank,
    "suit_jacket": suit_jacket, "suit_trousers": suit_trousers, "pencil_skirt": pencil_skirt,
    "cargo": cargo, "leggings": leggings, "necktie": necktie,
}  # fmt: skip
