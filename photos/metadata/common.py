"""What the metadata modules share: sizes, errors."""

CHUNK_SIZE = 256 * 1024
REENCODE_QUALITY = 95
SPOOL_BYTES = 8 * 1024 * 1024  # a re-encoded copy past this size waits on disk
MAX_EXIF_BYTES = 4 * 1024 * 1024  # bigger Exif blocks (PNG, WebP) are dropped unread


class MetadataError(Exception):
    """No copy without private metadata could be made of this file."""


class Malformed(ValueError):
    """The file's structure is not what its format says; we re-encode it instead."""
