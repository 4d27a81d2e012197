"""Person photos as they arrive: read as pictures (by their bytes, upright, no metadata), at
least big enough to find a person in, and bounded to the working size."""

import io
from dataclasses import dataclass

from PIL import Image

from tftkit.pictures import UnreadablePicture, read_picture

# Below this the person cannot be found reliably, whatever the engine.
_MIN_SIDE = 128

UnreadablePhoto = UnreadablePicture


@dataclass(frozen=True)
class Photo:
    image: Image.Image  # RGB, upright, long side at most the working size
    jpeg: bytes  # the same picture, without metadata


def read_photo(data: bytes, *, max_side: int) -> Photo:
    """The photo in `data`, upright and at most `max_side` on its long side."""
    image = read_picture(data).image.convert("RGB")
    if min(image.size) < _MIN_SIDE:
        raise UnreadablePhoto(
            f"사진이 너무 작아요. 가로세로 {_MIN_SIDE}px 이상인 사진을 보내주세요."
        )
    scale = max_side / max(image.size)
    if scale < 1:
        size = (round(image.width * scale), round(image.height * scale))
        image = image.resize(size, Image.Resampling.LANCZOS)
    return Photo(image=image, jpeg=encode_jpeg(image))


def encode_jpeg(image: Image.Image, quality: int = 92) -> bytes:
    """JPEG bytes with no metadata (EXIF and GPS are never copied)."""
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=False)
    return out.getvalue()
