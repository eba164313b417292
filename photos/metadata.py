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

import io
import logging
import re
import struct
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image

from photos.images import ImageError, open_image

logger = logging.getLogger(__name__)

CHUNK_SIZE = 256 * 1024
REENCODE_QUALITY = 95
SPOOL_BYTES = 8 * 1024 * 1024  # a re-encoded copy past this size waits on disk
MAX_EXIF_BYTES = 4 * 1024 * 1024  # bigger Exif blocks (PNG, WebP) are dropped unread

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
ORIENTATION = 0x0112
# Removed from IFD0 and the Exif IFD. Artist and Copyright stay: they credit the
# photographer, who chose to put them there.
PRIVATE_TAGS = frozenset(
    {
        GPS_IFD,
        0x010E,  # ImageDescription: free text
        0x013C,  # HostComputer
        0x014A,  # SubIFDs: offsets we would not rewrite
        0x02BC,  # XMLPacket: XMP inside Exif
        0x83BB,  # IPTC-NAA
        0x8649,  # Photoshop image resources (IPTC again)
        0x9286,  # UserComment
        0x927C,  # MakerNote: serial numbers, and more
        0x9C9B,  # XPTitle
        0x9C9C,  # XPComment
        0x9C9D,  # XPAuthor
        0x9C9E,  # XPKeywords
        0x9C9F,  # XPSubject
        0xA420,  # ImageUniqueID
        0xA430,  # CameraOwnerName
        0xA431,  # BodySerialNumber
        0xA435,  # LensSerialNumber
        0xC62F,  # CameraSerialNumber (DNG)
    }
)


class MetadataError(Exception):
    """No copy without private metadata could be made of this file."""


class Malformed(ValueError):
    """The file's structure is not what its format says; we re-encode it instead."""


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
            return CleanCopy("JPEG", "image/jpeg", _jpeg_copy(fp))
        if kind == "PNG":
            return CleanCopy("PNG", "image/png", _copy_pieces(fp, _png_pieces(fp)))
        if kind == "WEBP":
            return CleanCopy("WEBP", "image/webp", _copy_pieces(fp, _webp_pieces(fp)))
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


# --- Exif ------------------------------------------------------------------------------


def clean_exif(source: bytes | Image.Exif, *, orientation: int | None = None) -> bytes | None:
    """The Exif block without private tags, starting ``Exif\\0\\0``; None if it cannot
    be read (the caller then drops it whole). ``orientation`` replaces the tag's value.

    The result is read back and checked, so a Pillow change cannot quietly let a
    private tag through.
    """
    try:
        exif = Image.Exif()
        exif.load(source.tobytes() if isinstance(source, Image.Exif) else source)
        # Only load sub-IFDs that exist: Pillow writes back every one it has loaded.
        sub_ifd = exif.get_ifd(EXIF_IFD) if EXIF_IFD in exif else {}
        for tag in PRIVATE_TAGS:
            exif.pop(tag, None)
            sub_ifd.pop(tag, None)
        if orientation is not None and ORIENTATION in exif:
            exif[ORIENTATION] = orientation
        cleaned = exif.tobytes()
        _check_clean(cleaned)
    # Pillow's Exif parser fails in many ways (struct.error, KeyError, TypeError...) on
    # damaged blocks; the answer is the same for all of them.
    except Exception as error:
        logger.warning("Dropped an Exif block we could not rewrite: %r", error)
        return None
    return cleaned


def _check_clean(data: bytes) -> None:
    exif = Image.Exif()
    exif.load(data)
    sub_ifd = exif.get_ifd(EXIF_IFD) if EXIF_IFD in exif else {}
    left = PRIVATE_TAGS & (set(exif) | set(sub_ifd))
    if left:
        raise ValueError(f"private tags still present: {sorted(left)}")


# --- JPEG: marker segments -------------------------------------------------------------

SOI, EOI, SOS, COM = 0xD8, 0xD9, 0xDA, 0xFE
APP0, APP1, APP2, APP14 = 0xE0, 0xE1, 0xE2, 0xEE
STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and RSTn carry no length
# Inside entropy-coded data a 0xFF is followed by 0x00 (stuffing) or RSTn; anything
# else starts a marker (0xFF 0xFF is fill before one).
MARKER_IN_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7]")


class _Reader:
    """Buffered reading of a file, a chunk at a time."""

    def __init__(self, fp: BinaryIO) -> None:
        self.fp = fp
        self.buffer = b""
        self.pos = 0

    def fill(self, size: int) -> bool:
        """Have ``size`` bytes buffered after ``pos``; False at the end of the file."""
        while len(self.buffer) - self.pos < size:
            more = self.fp.read(max(CHUNK_SIZE, size))
            if not more:
                return False
            self.buffer = self.buffer[self.pos :] + more
            self.pos = 0
        return True

    def read(self, size: int) -> bytes:
        if not self.fill(size):
            raise Malformed("the file ends too early")
        data = self.buffer[self.pos : self.pos + size]
        self.pos += size
        return data


def _jpeg_copy(fp: BinaryIO) -> Iterator[bytes]:
    """Read the header segments now (raising Malformed), stream the rest later."""
    fp.seek(0)
    reader = _Reader(fp)
    if reader.read(2) != b"\xff\xd8":
        raise Malformed("no start-of-image marker")
    head = [b"\xff\xd8"]
    while True:
        code = _next_marker(reader)
        if code in STANDALONE or code in (SOI, EOI):
            raise Malformed(f"marker {code:#x} before the image data")
        kept = _jpeg_segment(code, _segment_payload(reader))
        if kept:
            head.append(kept)
        if code == SOS:
            return _jpeg_stream(head, reader)


def _jpeg_stream(head: list[bytes], reader: _Reader) -> Iterator[bytes]:
    """The header, then the image data up to end-of-image; what follows is dropped.

    The header was understood, so damage after it ends the copy where it is (cut short
    like the original, with nothing private let through) rather than failing a
    download half-way.
    """
    yield from head
    try:
        while True:
            yield from _scan_data(reader)
            code = _next_marker(reader)
            if code == EOI:
                yield b"\xff\xd9"
                return
            if code in STANDALONE:
                yield bytes((0xFF, code))
                continue
            # Progressive JPEGs have tables (and sometimes APPn or COM) between scans.
            kept = _jpeg_segment(code, _segment_payload(reader))
            if kept:
                yield kept
    except Malformed as error:
        logger.warning("A JPEG copy ended before end-of-image: %s", error)


def _scan_data(reader: _Reader) -> Iterator[bytes]:
    """Entropy-coded bytes up to the next marker; leaves ``reader`` at that marker."""
    while True:
        match = MARKER_IN_SCAN.search(reader.buffer, reader.pos)
        if match:
            if match.start() > reader.pos:
                yield reader.buffer[reader.pos : match.start()]
            reader.pos = match.start()
            return
        # Pass the buffer on, keeping a last 0xFF: the next byte decides what it is.
        end = max(reader.pos, len(reader.buffer) - reader.buffer.endswith(b"\xff"))
        if end > reader.pos:
            yield reader.buffer[reader.pos : end]
        reader.pos = end
        if not reader.fill(len(reader.buffer) - end + 1):
            return


def _next_marker(reader: _Reader) -> int:
    if reader.read(1) != b"\xff":
        raise Malformed("data where a marker should be")
    code = reader.read(1)[0]
    while code == 0xFF:
        code = reader.read(1)[0]
    if code < 0xC0 and code not in STANDALONE:
        raise Malformed(f"invalid marker {code:#x}")
    return code


def _segment_payload(reader: _Reader) -> bytes:
    length = int.from_bytes(reader.read(2), "big")
    if length < 2:
        raise Malformed(f"segment length {length}")
    return reader.read(length - 2)


def _jpeg_segment(code: int, payload: bytes) -> bytes | None:
    """The segment to write for one marker segment, or None to drop it.

    APPn segments are kept only when decoding needs them; others hold metadata (Exif
    is rewritten, XMP, MPF, IPTC, FLIR, C2PA... are dropped), and so do comments.
    """
    if code == APP0 and payload.startswith(b"JFIF\0") and len(payload) >= 12:
        return _segment(code, payload[:12] + b"\0\0")  # without its thumbnail
    if code == APP1 and payload.startswith(b"Exif\0\0"):
        exif = clean_exif(payload)
        if exif and len(exif) > 0xFFFD:
            logger.warning("Dropped an Exif block that grew past a JPEG segment's size")
            return None
        return _segment(code, exif) if exif else None
    if (code == APP2 and payload.startswith(b"ICC_PROFILE\0")) or (
        code == APP14 and payload.startswith(b"Adobe")
    ):
        return _segment(code, payload)
    if APP0 <= code <= 0xEF or code == COM:
        return None
    return _segment(code, payload)


def _segment(code: int, payload: bytes) -> bytes:
    return bytes((0xFF, code)) + (len(payload) + 2).to_bytes(2, "big") + payload


# --- PNG and WebP: chunks ----------------------------------------------------------------

# A piece of output: literal bytes, or (offset, length) to copy from the source.
Piece = bytes | tuple[int, int]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Critical chunks and the ancillary ones that change how pixels look (colour, gamma,
# transparency, density, animation). Other ancillary chunks are metadata: dropped.
PNG_KEPT = frozenset(
    {
        *(b"IHDR", b"PLTE", b"IDAT", b"IEND"),
        *(b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"cICP", b"mDCV", b"cLLI"),
        *(b"mDCv", b"cLLi", b"bKGD", b"hIST", b"tRNS", b"pHYs", b"sPLT"),
        *(b"acTL", b"fcTL", b"fdAT"),
    }
)


def _png_pieces(fp: BinaryIO) -> list[Piece]:
    """Walk the chunk headers (seeking over data) up to IEND; raises Malformed."""
    file_size = fp.seek(0, io.SEEK_END)
    pieces: list[Piece] = [PNG_SIGNATURE]
    offset = len(PNG_SIGNATURE)
    while True:
        length, kind = struct.unpack(">I4s", _read_at(fp, offset, 8))
        end = offset + 12 + length
        if not kind.isalpha() or length > 0x7FFFFFFF or end > file_size:
            raise Malformed(f"chunk {kind!r} of {length} bytes at {offset}")
        if offset == len(PNG_SIGNATURE) and kind != b"IHDR":
            raise Malformed("IHDR is not the first chunk")
        if kind == b"eXIf":
            exif = _read_exif(fp, offset + 8, length)
            if exif:
                pieces.append(_png_chunk(b"eXIf", exif[6:]))
        elif kind in PNG_KEPT:
            pieces.append((offset, end - offset))
        elif not kind[0] & 0x20:
            raise Malformed(f"unknown critical chunk {kind!r}")
        if kind == b"IEND":
            return pieces  # anything after IEND is dropped
        offset = end


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack(">I4s", len(data), kind) + data + struct.pack(">I", crc)


# Chunks that hold or shape pixels. EXIF is rewritten; XMP and unknown chunks dropped.
WEBP_KEPT = frozenset({b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"})
WEBP_IMAGE = frozenset({b"VP8 ", b"VP8L", b"ANMF"})
VP8X_EXIF, VP8X_XMP = 0x08, 0x04


def _webp_pieces(fp: BinaryIO) -> list[Piece]:
    """Walk the RIFF chunks (seeking over data); raises Malformed."""
    file_size = fp.seek(0, io.SEEK_END)
    header = _read_at(fp, 0, 12)
    riff_end = min(8 + int.from_bytes(header[4:8], "little"), file_size)
    chunks: list[tuple[bytes, Piece]] = []
    offset = 12
    while offset + 8 <= riff_end:
        head = _read_at(fp, offset, 8)
        kind, size = head[:4], int.from_bytes(head[4:], "little")
        if offset + 8 + size > riff_end:
            raise Malformed(f"chunk {kind!r} of {size} bytes at {offset} overruns the file")
        if kind == b"VP8X" and size < 10:
            raise Malformed(f"VP8X chunk of {size} bytes")
        if kind == b"EXIF":
            exif = _read_exif(fp, offset + 8, size)
            if exif:
                chunks.append((kind, _riff_chunk(kind, exif[6:])))
        elif kind in WEBP_KEPT:
            chunks.append((kind, (offset, 8 + size)))
        offset += 8 + size + (size & 1)
    if not any(kind in WEBP_IMAGE for kind, _ in chunks):
        raise Malformed("no image chunk")
    return _webp_assembled(fp, chunks)


def _webp_assembled(fp: BinaryIO, chunks: list[tuple[bytes, Piece]]) -> list[Piece]:
    """Fix the VP8X flags and the RIFF size for the chunks kept."""
    has_exif = any(kind == b"EXIF" for kind, _ in chunks)
    if chunks[0][0] != b"VP8X":
        # Simple files have no flags; decoders would ignore an Exif chunk there anyway.
        chunks = [(kind, piece) for kind, piece in chunks if kind != b"EXIF"]
    pieces: list[Piece] = []
    for kind, piece in chunks:
        if kind == b"VP8X":
            offset, size = piece
            payload = bytearray(_read_at(fp, offset + 8, size - 8))
            payload[0] &= ~(VP8X_EXIF | VP8X_XMP) & 0xFF
            payload[0] |= VP8X_EXIF if has_exif else 0
            piece = _riff_chunk(kind, bytes(payload))
        pieces.append(piece)
        size = len(piece) if isinstance(piece, bytes) else piece[1]
        if size & 1:
            pieces.append(b"\0")  # chunk padding, which the last chunk may lack
    total = 4 + sum(len(p) if isinstance(p, bytes) else p[1] for p in pieces)
    return [b"RIFF" + total.to_bytes(4, "little") + b"WEBP", *pieces]


def _riff_chunk(kind: bytes, data: bytes) -> bytes:
    return kind + len(data).to_bytes(4, "little") + data


def _read_exif(fp: BinaryIO, offset: int, length: int) -> bytes | None:
    if length > MAX_EXIF_BYTES:
        logger.warning("Dropped an Exif block of %d bytes unread", length)
        return None
    return clean_exif(_read_at(fp, offset, length))


def _read_at(fp: BinaryIO, offset: int, length: int) -> bytes:
    fp.seek(offset)
    data = fp.read(length)
    if len(data) != length:
        raise Malformed(f"the file ends inside a chunk at {offset}")
    return data


def _copy_pieces(fp: BinaryIO, pieces: list[Piece]) -> Iterator[bytes]:
    for piece in pieces:
        if isinstance(piece, bytes):
            yield piece
            continue
        offset, remaining = piece
        fp.seek(offset)
        while remaining:
            data = fp.read(min(CHUNK_SIZE, remaining))
            if not data:
                raise OSError("the photo changed while it was being copied")
            remaining -= len(data)
            yield data


# --- anything else: re-encoded ----------------------------------------------------------


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
