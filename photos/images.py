"""Reading photos safely: one place for decoding, orientation and limits.

Pure image functions, no ORM. Everything that reads a photo (uploads, the face
engine, selfies, thumbnails, the commands) goes through :func:`open_image`.
"""

import struct
import warnings
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC/HEIF from phones.
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - pillow-heif is in requirements
    pillow_heif = None

# Formats photographers and phones produce. Anything else is refused by name.
ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "HEIF": "HEIC/HEIF"}

# Pillow's own bomb check is a warning up to 2x its limit; we check the header
# ourselves against the configured limit, and make Pillow's check a hard error as a
# second line of defence.
Image.MAX_IMAGE_PIXELS = 200_000_000
warnings.simplefilter("error", Image.DecompressionBombWarning)


class ImageError(ValueError):
    """A file that cannot be used as a photo; the message is shown to the user."""


@dataclass
class LoadedImage:
    """An RGB image with EXIF orientation applied.

    ``image`` may be a reduced decode of a large JPEG; ``width`` and ``height`` are
    always the full oriented size, and ``scale`` is image pixels per full pixel.
    """

    image: Image.Image
    width: int
    height: int
    format: str
    exif: Image.Exif

    @property
    def scale(self) -> float:
        return self.image.width / self.width

    def as_array(self) -> np.ndarray:
        return np.asarray(self.image)


def open_image(fp: BinaryIO, *, max_pixels: int, decode_side: int | None = None) -> LoadedImage:
    """Open, check and decode a photo, with EXIF orientation applied.

    ``decode_side``: decode large JPEGs at a reduced scale whose long side is still
    at least this many pixels (much faster than a full decode). Raises ImageError
    with a message for the user.
    """
    try:
        image = Image.open(fp)
    except UnidentifiedImageError:
        raise ImageError("This file is not an image we can read (JPEG, PNG, WebP or HEIC).")
    except Image.DecompressionBombError as error:
        raise ImageError(f"This image is too large to process safely ({error}).")
    except OSError as error:
        raise ImageError(f"This image could not be read: {error}.")
    if image.format not in ACCEPTED_FORMATS:
        raise ImageError(
            f"{image.format or 'This'} files are not accepted: "
            "upload JPEG, PNG, WebP or HEIC photos."
        )
    full_width, full_height = image.size
    if full_width * full_height > max_pixels:
        raise ImageError(
            f"This image is {full_width}x{full_height} pixels "
            f"({full_width * full_height / 1e6:.0f} megapixels); "
            f"the limit is {max_pixels / 1e6:.0f} megapixels."
        )
    if full_width < 16 or full_height < 16:
        raise ImageError(f"This image is only {full_width}x{full_height} pixels.")
    try:
        # Reading EXIF can walk a damaged file's chunks too: same error, same message.
        exif = image.getexif()
        orientation = exif.get(0x0112, 1)
        if decode_side and image.format == "JPEG":
            image.draft("RGB", (decode_side, decode_side))
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as error:
        raise ImageError(f"This image is damaged or truncated ({error}).")
    except Image.DecompressionBombError as error:
        raise ImageError(f"This image is too large to process safely ({error}).")
    rgb = _to_rgb(image)
    if orientation in (2, 3, 4, 5, 6, 7, 8):
        rgb.info["exif"] = exif.tobytes()
        rgb = ImageOps.exif_transpose(rgb)
    else:
        orientation = 1  # invalid orientation values are ignored, not trusted
    if orientation in (5, 6, 7, 8):
        full_width, full_height = full_height, full_width
    return LoadedImage(rgb, full_width, full_height, image.format, exif)


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB for every mode: greyscale, 16-bit, palette, alpha, CMYK."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        peak = array.max() or 1.0
        image = Image.fromarray((array * (255.0 / peak)).clip(0, 255).astype(np.uint8))
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return background
    if image.mode != "RGB":
        return image.convert("RGB")
    return image


def resized_to_fit(image: Image.Image, max_side: int) -> Image.Image:
    """A copy no larger than ``max_side`` on its long side (the image itself if so)."""
    if max(image.size) <= max_side:
        return image
    ratio = max_side / max(image.size)
    size = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
