"""Hostile and broken files, built by the tests."""

import io
import struct
import zlib

from PIL import Image

from tests.sample_images import no_face_image


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_huge_header(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny file claiming to be a 10-gigapixel PNG (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


def sixteen_bit_grey_png(width: int, height: int) -> bytes:
    """A valid 16-bit greyscale PNG of zeros: tiny on disk, width x height when decoded."""
    return _png_of_zeros(width, height, bit_depth=16, colour_type=0, bytes_per_pixel=2)


def _png_of_zeros(width, height, *, bit_depth, colour_type, bytes_per_pixel) -> bytes:
    """A valid PNG whose every pixel is zero, compressed row by row (never whole)."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + width * bytes_per_pixel)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", body)
        + _png_chunk(b"IEND", b"")
    )


def pillow_warning_range_png() -> bytes:
    """A tiny PNG header claiming 300 megapixels: past Pillow's 200 MP warning limit
    but under its 400 MP error limit (the DecompressionBombWarning range)."""
    return png_with_huge_header(20_000, 15_000)


def truncated_jpeg() -> bytes:
    data = io.BytesIO()
    no_face_image((800, 600)).save(data, "JPEG", quality=95)
    return data.getvalue()[: len(data.getvalue()) // 2]


def html_renamed_jpg() -> bytes:
    return b"<!doctype html><html><script>alert(1)</script></html>"


def gif_image() -> bytes:
    data = io.BytesIO()
    frames = [Image.new("RGB", (64, 64), color) for color in ("red", "blue")]
    frames[0].save(data, "GIF", save_all=True, append_images=frames[1:])
    return data.getvalue()


def _encoded(image: Image.Image, fmt: str, **options) -> bytes:
    data = io.BytesIO()
    image.save(data, fmt, **options)
    return data.getvalue()


def truncated(fmt: str) -> bytes:
    data = _encoded(no_face_image((800, 600)), fmt)
    return data[: len(data) // 2]


def png_bomb() -> bytes:
    """A real, valid 20000x20000 PNG of zeros: a few hundred kB that inflate to 1.2 GB."""
    return _png_of_zeros(20_000, 20_000, bit_depth=8, colour_type=2, bytes_per_pixel=3)


def svg_with_script() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def huge_exif_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x010E] = "x" * 60_000  # ImageDescription: 60 kB of EXIF
    return _encoded(no_face_image((640, 480), seed=11), "JPEG", exif=exif.tobytes())


def wrong_orientation_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 99
    return _encoded(no_face_image((640, 480), seed=12), "JPEG", exif=exif.tobytes())


def cmyk_jpeg() -> bytes:
    return _encoded(no_face_image((640, 480), seed=13).convert("CMYK"), "JPEG")


def sixteen_bit_png() -> bytes:
    import numpy as np

    grey = np.asarray(no_face_image((640, 480), seed=14).convert("L"), dtype=np.uint16) * 257
    return _encoded(Image.fromarray(grey), "PNG")


def multi_picture_jpeg() -> bytes:
    """A JPEG with a second picture in an MPF block, as phones write (Pillow: "MPO")."""
    first, second = no_face_image((640, 480), seed=15), no_face_image((320, 240), seed=16)
    return _encoded(first, "MPO", save_all=True, append_images=[second])


# name, bytes, expected: "accepted" or the start of the rejection reason
CORPUS = [
    ("zero.jpg", lambda: b"", "This file is empty"),
    ("cut.jpg", lambda: truncated("JPEG"), "This image is damaged or truncated"),
    ("cut.png", lambda: truncated("PNG"), "This image is damaged or truncated"),
    ("cut.webp", lambda: truncated("WEBP"), "This image"),
    ("header-bomb.png", png_with_huge_header, "This image is too large"),
    ("zlib-bomb.png", png_bomb, "This image is 20000x20000 pixels"),
    ("page.jpg", html_renamed_jpg, "This file is not an image"),
    ("drawing.jpg", svg_with_script, "This file is not an image"),
    ("animated.gif", gif_image, "GIF files are not accepted"),
    ("huge-exif.jpg", huge_exif_jpeg, "accepted"),
    ("bad-orientation.jpg", wrong_orientation_jpeg, "accepted"),
    ("cmyk.jpg", cmyk_jpeg, "accepted"),
    ("sixteen-bit.png", sixteen_bit_png, "accepted"),
    ("phone-mpo.jpg", multi_picture_jpeg, "accepted"),
]


# Selfies built to cost memory or crash a decoder: each must get a clear 400 or 413.
HOSTILE_SELFIES = [
    *[(name, make) for name, make, _ in CORPUS],
    ("warning-range.png", pillow_warning_range_png),
    ("grey16-100mp.png", lambda: sixteen_bit_grey_png(10_000, 10_000)),
    ("grey16-49mp.png", lambda: sixteen_bit_grey_png(7_000, 7_000)),
]
