"""JPEG, rewritten losslessly: the marker segments before the image data are filtered,
the image data is copied through a chunk at a time, up to the end-of-image marker."""

import logging
import re
from collections.abc import Iterator
from typing import BinaryIO

from photos.metadata.common import CHUNK_SIZE, Malformed
from photos.metadata.exif import clean_exif

SOI, EOI, SOS, COM = 0xD8, 0xD9, 0xDA, 0xFE
APP0, APP1, APP2, APP14 = 0xE0, 0xE1, 0xE2, 0xEE
STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and RSTn carry no length
# Inside entropy-coded data a 0xFF is followed by 0x00 (stuffing) or RSTn; anything
# else starts a marker (0xFF 0xFF is fill before one).
MARKER_IN_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7]")

logger = logging.getLogger(__name__)


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


def jpeg_copy(fp: BinaryIO) -> Iterator[bytes]:
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
