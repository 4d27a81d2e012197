"""Person photos as they arrive: decoded by their bytes (JPEG, PNG, WebP, HEIC), turned upright,
bounded in size, and re-encoded without metadata before anything stores or sends them."""

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

register_heif_opener()

_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
# A decompression bomb is refused before its pixels are decoded (Pillow checks the header).
_MAX_PIXELS = 50_000_000
# Below this the person cannot be found reliably, whatever the engine.
_MIN_SIDE = 128
Image.MAX_IMAGE_PIXELS = _MAX_PIXELS


class UnreadablePhoto(ValueError):
    """The bytes are not a photo we take; the message is for the person."""


@dataclass(frozen=True)
class Photo:
    image: Image.Image  # RGB, upright, long side at most the working size
    jpeg: bytes  # the same picture, without metadata


def read_photo(data: bytes, *, max_side: int) -> Photo:
    """The photo in `data`, upright and at most `max_side` on its long side."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=_FORMATS)
            image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UnreadablePhoto(
            "사진을 읽을 수 없어요. JPEG, PNG, WebP 또는 HEIC 사진을 보내주세요."
        ) from None
    except (OSError, ValueError, SyntaxError):
        raise UnreadablePhoto("사진 파일이 손상되었어요. 다른 사진을 보내주세요.") from None
    image = ImageOps.exif_transpose(image).convert("RGB")
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
