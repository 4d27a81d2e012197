"""What every try-on engine is given, what it answers, and how it fails."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from PIL import Image

    from fitting_service.body import Body

Slot = Literal["upper", "lower"]
# A dress goes in the upper slot and covers the legs as well: nothing is worn under it there.
DRESS_WITH_LOWER = "원피스는 하의 없이 입어 보는 옷이에요. 하의를 빼고 원피스만 골라 주세요."
# Reports progress 0..100 of the engine's own work.
Progress = Callable[[int], Awaitable[None]]


@dataclass(frozen=True)
class Garment:
    """One catalog garment to dress the person in."""

    product_id: str
    slot: Slot
    # The catalog picture as stored (PNG with an alpha mask for the demo catalog; any image for
    # imported products).
    image: bytes
    name: str = ""
    color_hex: str = ""
    # A dress (catalog category DRESS): in the upper slot, from the shoulders to its hem.
    full_body: bool = False


@dataclass(frozen=True)
class RenderJob:
    """A checked person photo and the garments (at most one per slot; a dress alone)."""

    photo: "Image.Image"  # RGB, orientation applied
    photo_jpeg: bytes  # the same picture, encoded (for engines that upload it)
    body: "Body"  # where the person is (pose, person mask, faces)
    garments: tuple[Garment, ...]
    hd: bool = False

    def __post_init__(self) -> None:
        upper = self.garment("upper")
        if upper is not None and upper.full_body and self.garment("lower") is not None:
            raise EngineFailed(DRESS_WITH_LOWER, cause="a dress with a lower garment")

    @property
    def full_body(self) -> bool:
        """Whether a dress is worn (its legs must change too)."""
        return any(g.full_body for g in self.garments)

    def garment(self, slot: Slot) -> Garment | None:
        return next((g for g in self.garments if g.slot == slot), None)


class EngineFailed(Exception):
    """The engine could not produce a picture. `message` is safe to show the person (Korean);
    the cause stays in the logs."""

    def __init__(self, message: str, *, cause: str = "") -> None:
        super().__init__(cause or message)
        self.message = message


class EngineTimedOut(EngineFailed):
    """The engine did not finish within its deadline."""


class TryOnEngine(Protocol):
    name: str

    async def render(self, job: RenderJob, *, progress: Progress) -> bytes:
        """The try-on picture (encoded image bytes of any common format)."""
        ...
