"""Copies of photos without private metadata, for attendees. Pure functions, no ORM.

Organisers keep the file as uploaded. Attendees get a copy whose Exif block keeps what
describes the picture (orientation, date taken, camera make and model, exposure, the
photographer's credit) and loses what locates or identifies a person or a camera: the
GPS block, serial numbers, the owner's name, the unique image id, the maker note
(vendors keep serials there), free-text fields and embedded XMP/IPTC. Every other
metadata block is dropped: XMP, IPTC, comments, PNG text chunks, the Exif thumbnail, and
anything after the end of the image (motion-photo videos, extra MPF pictures, vendor
trailers). Blocks that decoding needs (ICC profiles, JFIF, Adobe colour transform) stay.

JPEG, PNG and WebP are rewritten losslessly: their blocks are walked and the image data
is copied through untouched, a chunk at a time, whatever the file's size. HEIC has no
such route here and becomes a JPEG (quality 95, orientation applied); so does a JPEG,
PNG or WebP whose structure we do not follow (the upload check decoded it, so it
usually decodes again). Re-encoding decodes the whole picture: about 3 bytes a pixel
(36 MB for a 12 MP phone photo) plus the decoder's own buffers, for one photo at a time.
"""

import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from photos.images import ImageError, open_image
from photos.metadata.chunks import PNG_SIGNATURE, copy_pieces, png_pieces, webp_pieces
from photos.metadata.common import (
    CHUNK_SIZE,
    REENCODE_QUALITY,
    SPOOL_BYTES,
    Malformed,
    MetadataError,
)
from photos.metadata.exif import clean_exif
from photos.metadata.jpeg import jpeg_copy

logger = logging.getLogger(__name__)

__all__ = ["CleanCopy", "MetadataError", "clean_exif", "without_private_metadata"]


@dataclass
class CleanCopy:
    """A photo's bytes without private metadata; ``chunks`` reads the source lazily."""

    format: str  # "JPEG", "PNG" or "WEBP"
    content_type: str
    chunks: Iterator[bytes]
    is_reencoded: bool = False

    def filename_for(self, original_name: str) -> str:
        """``original_name``, ending in .jpg if the copy was re-encoded."""
        if not self.is_reencoded:
            return original_name
        stem = original_name.rpartition(".")[0]
        return f"{stem or original_name}.jpg"


def without_private_metadata(fp: BinaryIO, *, max_pixels: int) -> CleanCopy:
    """A copy of the photo in ``fp`` without private metadata (see the module doc).

    The format is read from the content, never a name. The file's structure is read
    before this returns; its image data as ``chunks`` is consumed, so ``fp`` (seekable)
    must stay open until then. Raises MetadataError when the file can be neither
    rewritten nor decoded.
    """
    kind = _sniff(fp)
    try:
        if kind == "JPEG":
            return CleanCopy("JPEG", "image/jpeg", jpeg_copy(fp))
        if kind == "PNG":
            return CleanCopy("PNG", "image/png", copy_pieces(fp, png_pieces(fp)))
        if kind == "WEBP":
            return CleanCopy("WEBP", "image/webp", copy_pieces(fp, webp_pieces(fp)))
    except Malformed as error:
        logger.warning("Re-encoding a %s whose structure we cannot follow: %s", kind, error)
    return _reencoded(fp, max_pixels=max_pixels)


def _sniff(fp: BinaryIO) -> str:
    fp.seek(0)
    head = fp.read(12)
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(PNG_SIGNATURE):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return "other"


def _reencoded(fp: BinaryIO, *, max_pixels: int) -> CleanCopy:
    """A full-size JPEG, orientation applied, with the cleaned Exif and the ICC profile."""
    fp.seek(0)
    try:
        loaded = open_image(fp, max_pixels=max_pixels)
    except ImageError as error:
        raise MetadataError(f"The photo could not be decoded: {error}") from error
    exif = clean_exif(loaded.exif, orientation=1) or b""
    output = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    loaded.image.save(
        output,
        "JPEG",
        quality=REENCODE_QUALITY,
        exif=exif,
        icc_profile=loaded.image.info.get("icc_profile"),
        comment=b"",  # Pillow would copy the source's comment otherwise
    )
    return CleanCopy("JPEG", "image/jpeg", _read_spooled(output), is_reencoded=True)


def _read_spooled(output) -> Iterator[bytes]:
    with output:
        output.seek(0)
        yield from iter(lambda: output.read(CHUNK_SIZE), b"")
