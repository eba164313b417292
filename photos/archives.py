"""Reading photo archives (.zip) safely. Pure functions, no ORM.

Every entry is either yielded as a file to add or as a rejection with its reason:
absolute or ``..`` paths, nested archives, entries or totals over the limits, and
entries that inflate suspiciously (zip bombs) never get near the disk.
"""

import io
import logging
import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext

from photos.units import megabytes

logger = logging.getLogger(__name__)

# A photo compresses a few percent at most; text and zeros compress 100-1000x.
MAX_COMPRESSION_RATIO = 50
SKIPPED_PREFIXES = ("__MACOSX/",)


@dataclass
class ArchiveEntry:
    name: str
    data: bytes | None = None  # None when rejected
    rejection: str = ""
    index: int = 0  # its place among the archive's files (to resume after it)


class ArchiveError(ValueError):
    """The archive as a whole cannot be read; the message is shown to the user."""


def is_zip(fp) -> bool:
    position = fp.tell()
    fp.seek(0)
    magic = fp.read(4)
    fp.seek(position)
    return magic in (b"PK\x03\x04", b"PK\x05\x06")


def open_zip(fp) -> zipfile.ZipFile:
    """The archive, or ArchiveError with a message for the organiser."""
    try:
        return zipfile.ZipFile(fp)
    except (zipfile.BadZipFile, OSError) as error:
        logger.info("Unreadable zip file refused: %s: %s", type(error).__name__, error)
        raise ArchiveError(
            gettext(
                "This zip file cannot be opened: it may be damaged or not fully uploaded. "
                "Nothing in it was added."
            )
        ) from error


def zip_members(archive: zipfile.ZipFile, *, max_entries: int) -> list[zipfile.ZipInfo]:
    """The archive's files (not folders); ArchiveError when there are too many."""
    members = [info for info in archive.infolist() if not info.is_dir()]
    if len(members) > max_entries:
        raise ArchiveError(
            gettext("This zip file holds %(count)s files; the limit is %(limit)s per archive.")
            % {"count": len(members), "limit": max_entries}
        )
    return members


def read_zip(
    fp, *, max_entry_bytes: int, max_total_bytes: int, max_entries: int, start: int = 0
) -> Iterator[ArchiveEntry]:
    """Yield each file of the archive, read in memory, or its rejection, from its
    ``start``-th file on (the ones before count towards the total size as declared)."""
    archive = open_zip(fp)
    members = zip_members(archive, max_entries=max_entries)
    total = sum(info.file_size for info in members[:start])
    for index, info in enumerate(members[start:], start):
        name = info.filename
        if name.startswith(SKIPPED_PREFIXES) or posixpath.basename(name).startswith("."):
            continue
        rejection = _entry_problem(info, max_entry_bytes)
        if not rejection and total + info.file_size > max_total_bytes:
            rejection = gettext("the archive unpacks to more than the allowed total size")
        if rejection:
            yield ArchiveEntry(name, rejection=rejection, index=index)
            continue
        try:
            data = _read_capped(archive, info, max_entry_bytes)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            logger.info("Damaged zip entry %r: %s: %s", name, type(error).__name__, error)
            yield ArchiveEntry(
                name,
                rejection=gettext("damaged inside the archive, so it was skipped"),
                index=index,
            )
            continue
        total += len(data)
        if is_zip(io.BytesIO(data)):
            yield ArchiveEntry(
                name, rejection=gettext("archives inside archives are not accepted"), index=index
            )
            continue
        yield ArchiveEntry(name, data=data, index=index)


def _entry_problem(info: zipfile.ZipInfo, max_entry_bytes: int) -> str:
    name = info.filename.replace("\\", "/")
    parts = name.split("/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts:
        return gettext("unsafe path in the archive (absolute or going up with ..)")
    if info.flag_bits & 0x1:
        return gettext("encrypted entries are not accepted")
    if info.file_size > max_entry_bytes:
        return gettext("larger than the %(size)s limit per photo") % {
            "size": megabytes(max_entry_bytes)
        }
    if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO:
        return gettext("compressed suspiciously well for a photo (possible zip bomb)")
    return ""


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    # The header's sizes can lie: never read more than the limit, whatever it says.
    with archive.open(info) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise ValueError("larger than the limit per photo")
    return data
