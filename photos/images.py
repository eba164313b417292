"""Reading photos safely: one place for decoding, orientation and limits.

Pure image functions, no ORM. Everything that reads a photo (uploads, the face
engine, selfies, thumbnails, the commands) goes through :func:`open_image`.
"""

import logging
import struct
import warnings
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from django.utils.translation import gettext
from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC/HEIF from phones.
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - pillow-heif is in requirements
    pillow_heif = None

logger = logging.getLogger(__name__)

# Formats photographers and phones produce. Anything else is refused by name.
ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "HEIF": "HEIC/HEIF"}
# Pillow names a JPEG that carries a second picture (phones add a depth map or a
# preview in an MPF block) "MPO": it is a JPEG, read as its first picture.
SAME_FORMAT = {"MPO": "JPEG"}

# We check the header against the configured limit ourselves, before decoding. Pillow's
# own bomb check stays as a second line of defence: an error past 2x its limit, and a
# warning between 1x and 2x, which this filter makes an error too. Both are caught
# below (the warning arrives as an exception only where this filter is in force, i.e.
# in production but not under pytest's warning capture: tests/live.py runs the server).
Image.MAX_IMAGE_PIXELS = 200_000_000
warnings.simplefilter("error", Image.DecompressionBombWarning)
TOO_BIG = (Image.DecompressionBombError, Image.DecompressionBombWarning)


class ImageError(ValueError):
    """A file that cannot be used as a photo; the message is shown to the user."""


@dataclass
class LoadedImage:
    """An RGB image with EXIF orientation applied.

    ``image`` may be a reduced decode of a large photo; ``width`` and ``height`` are
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

    ``decode_side``: keep only about this much detail: large JPEGs are decoded at a
    reduced scale (much faster than a full decode), other formats are reduced right
    after decoding, before any conversion; either way the long side stays at least
    ``decode_side``. Raises ImageError with a message for the user; the technical
    cause goes to the log.
    """
    image = _open(fp)
    full_width, full_height = image.size
    _check_size(full_width, full_height, max_pixels)
    try:
        # Reading EXIF can walk a damaged file's chunks too: same error, same message.
        exif = image.getexif()
        orientation = exif.get(0x0112, 1)
        if decode_side and image.format == "JPEG":
            image.draft("RGB", (decode_side, decode_side))
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as error:
        logger.info("Damaged image refused: %s: %s", type(error).__name__, error)
        raise ImageError(gettext("This image is damaged or truncated, so it cannot be read."))
    except TOO_BIG as error:
        logger.info("Image refused by Pillow's size check: %s", error)
        raise ImageError(_too_large_message(max_pixels))
    if decode_side:
        image = _reduced(image, decode_side)
    rgb = _to_rgb(image)
    if orientation in (2, 3, 4, 5, 6, 7, 8):
        rgb.info["exif"] = exif.tobytes()
        rgb = ImageOps.exif_transpose(rgb)
    else:
        orientation = 1  # invalid orientation values are ignored, not trusted
    if orientation in (5, 6, 7, 8):
        full_width, full_height = full_height, full_width
    return LoadedImage(rgb, full_width, full_height, image.format, exif)


def check_header(fp: BinaryIO, *, max_pixels: int) -> None:
    """Check from its header alone (nothing decoded) that ``fp`` is an image we accept,
    within ``max_pixels``; rewinds it. Raises ImageError with a message for the user."""
    image = _open(fp)
    fp.seek(0)
    _check_size(*image.size, max_pixels)


def _check_size(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise ImageError(
            gettext(
                "This image is %(width)sx%(height)s pixels (%(megapixels)s megapixels); "
                "the limit is %(limit)s megapixels."
            )
            % {
                "width": width,
                "height": height,
                "megapixels": f"{width * height / 1e6:.0f}",
                "limit": f"{max_pixels / 1e6:.0f}",
            }
        )
    if width < 16 or height < 16:
        raise ImageError(
            gettext("This image is only %(width)sx%(height)s pixels.")
            % {"width": width, "height": height}
        )


def _open(fp: BinaryIO) -> Image.Image:
    """Pillow's lazy open (header only), with every refusal turned into ImageError."""
    try:
        image = Image.open(fp)
    except UnidentifiedImageError:
        raise ImageError(
            gettext("This file is not an image we can read (JPEG, PNG, WebP or HEIC).")
        )
    except TOO_BIG as error:
        logger.info("Image refused by Pillow's size check: %s", error)
        raise ImageError(_too_large_message(Image.MAX_IMAGE_PIXELS))
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as error:
        logger.info("Unreadable image refused: %s: %s", type(error).__name__, error)
        raise ImageError(gettext("This image could not be read: the file may be damaged."))
    image.format = SAME_FORMAT.get(image.format, image.format)
    if image.format not in ACCEPTED_FORMATS:
        if image.format:
            message = gettext(
                "%(format)s files are not accepted: upload JPEG, PNG, WebP or HEIC photos."
            ) % {"format": image.format}
        else:
            message = gettext(
                "This kind of file is not accepted: upload JPEG, PNG, WebP or HEIC photos."
            )
        raise ImageError(message)
    return image


def _too_large_message(max_pixels: int) -> str:
    return gettext("This image is too large to process: the limit is %(limit)s megapixels.") % {
        "limit": f"{max_pixels / 1e6:.0f}"
    }


def _reduced(image: Image.Image, min_side: int) -> Image.Image:
    """Shrink by a whole factor, in the image's own mode, keeping the long side
    >= ``min_side``: what JPEG's reduced decode does, for every other format."""
    factor = max(image.size) // min_side
    if factor < 2:
        return image
    try:
        reduced = image.reduce(factor)
    except ValueError:  # modes reduce() does not handle: palette, 1-bit, 16-bit
        size = (max(1, image.width // factor), max(1, image.height // factor))
        reduced = image.resize(size, Image.Resampling.NEAREST)
    reduced.format = image.format
    return reduced


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB for every mode: greyscale, 16/32-bit, palette, alpha, CMYK.

    High bit depths are brought to 8 bits with integer shifts (never a float copy:
    a float64 array costs 8 bytes per pixel on top of the image).
    """
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        image = _to_8_bit(image)
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return background
    if image.mode != "RGB":
        return image.convert("RGB")
    return image


def _to_8_bit(image: Image.Image) -> Image.Image:
    """Greyscale of 16 or 32 bits as 8 bits, scaled so its brightest pixel stays bright."""
    if image.mode == "F":
        return image.convert("L")
    array = np.asarray(image)
    if array.dtype.kind == "i":
        array = np.clip(array, 0, None)
    peak = int(array.max()) if array.size else 0
    shift = max(0, peak.bit_length() - 8)
    return Image.fromarray((array >> shift).astype(np.uint8), mode="L")


def resized_to_fit(image: Image.Image, max_side: int) -> Image.Image:
    """A copy no larger than ``max_side`` on its long side (the image itself if so)."""
    if max(image.size) <= max_side:
        return image
    ratio = max_side / max(image.size)
    size = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
