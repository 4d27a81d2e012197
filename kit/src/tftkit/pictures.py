"""Pictures people send (uploads, try-on photos): decoded by their bytes, never by a client's
name or type, with a decompression-bomb guard, turned upright, and re-encoded so that no
metadata (EXIF, GPS, maker notes) survives."""

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

register_heif_opener()

# Formats taken; HEIC/HEIF (phones) is converted to JPEG.
_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
_OUTPUT = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}
# Past this many pixels a picture is refused before its pixels are decoded.
MAX_PIXELS = 50_000_000


class UnreadablePicture(ValueError):
    """Not a picture we take (or a broken one); the message says so in Korean."""


@dataclass(frozen=True)
class Picture:
    image: Image.Image  # upright; RGB, or RGBA for pictures with transparency
    format: str  # JPEG, PNG or WEBP: what it is re-encoded as

    @property
    def extension(self) -> str:
        return _OUTPUT[self.format][0]

    @property
    def content_type(self) -> str:
        return _OUTPUT[self.format][1]


def read_picture(data: bytes, *, max_pixels: int = MAX_PIXELS) -> Picture:
    """The picture in `data`; raises UnreadablePicture."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=_FORMATS)
            if image.width * image.height > max_pixels:
                raise Image.DecompressionBombError("too many pixels")
            image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UnreadablePicture(
            "사진을 읽을 수 없어요. JPEG, PNG, WebP 또는 HEIC 사진을 보내주세요."
        ) from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise UnreadablePicture("사진 파일이 손상되었어요. 다른 사진을 보내주세요.") from None
    kind = image.format if image.format in _OUTPUT else "JPEG"
    upright = ImageOps.exif_transpose(image)
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    upright = upright.convert("RGBA" if has_alpha and kind != "JPEG" else "RGB")
    return Picture(image=upright, format=kind)


def encode(picture: Picture, *, quality: int = 90) -> bytes:
    """The picture's pixels only: no EXIF, GPS, ICC or text chunks are written."""
    out = io.BytesIO()
    if picture.format == "JPEG":
        picture.image.save(out, "JPEG", quality=quality)
    elif picture.format == "WEBP":
        picture.image.save(out, "WEBP", quality=quality)
    else:
        picture.image.save(out, "PNG", optimize=False)
    return out.getvalue()
