"""PNG and WebP, rewritten losslessly: metadata chunks dropped (Exif cleaned), every
chunk that holds or shapes pixels copied through untouched."""

import io
import logging
import struct
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from photos.metadata.common import CHUNK_SIZE, MAX_EXIF_BYTES, Malformed
from photos.metadata.exif import clean_exif

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

logger = logging.getLogger(__name__)


def png_pieces(fp: BinaryIO) -> list[Piece]:
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


def webp_pieces(fp: BinaryIO) -> list[Piece]:
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


def copy_pieces(fp: BinaryIO, pieces: list[Piece]) -> Iterator[bytes]:
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
