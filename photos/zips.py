"""Photos as one zip, streamed piece by piece (never whole in memory).

Served by ``photos.media.serve_zip``: attendees and share links get copies without
private metadata (``downloads.open_attendee_copy``); organisers get the files exactly
as they uploaded them (:func:`open_original`).
"""

import logging
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing

from django.utils import timezone

from photos.downloads import AttendeeCopy, FileChunks, download_name
from photos.metadata import MetadataError
from photos.models import Photo

logger = logging.getLogger(__name__)

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold
LEFT_OUT_NOTE = "photos-not-included.txt"  # in a zip that lacks some photos
CHUNK_BYTES = 1024 * 1024


class _Sink:
    """A write-only buffer that zipfile can stream into (it is not seekable)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def open_original(*, photo: Photo) -> AttendeeCopy:
    """The file as uploaded, ready to stream (FileNotFoundError when it is gone)."""
    if not photo.file.name:
        raise FileNotFoundError("no file name")
    handle = photo.file.storage.open(photo.file.name, "rb")
    chunks = iter(lambda: handle.read(CHUNK_BYTES), b"")
    return AttendeeCopy(
        download_name(photo), "application/octet-stream", FileChunks(chunks, handle)
    )


def stream_zip(
    photos: Iterable[Photo],
    *,
    open_copy: Callable[..., AttendeeCopy] = open_original,
    album_folders: bool = False,
) -> Iterator[bytes]:
    """The photos as one zip (with ``album_folders``, each in a folder named after its
    album). A photo whose file is missing (or, for attendee copies, cannot be cleaned)
    is left out, logged, and named in a note inside the zip."""
    sink = _Sink()
    used_names: set[str] = set()
    left_out: list[str] = []
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED) as archive:
        for photo in photos:
            try:
                copy = open_copy(photo=photo)
            except (MetadataError, FileNotFoundError):
                logger.warning("Photo %s left out of a zip: no file to send", photo.pk)
                left_out.append(download_name(photo))
                continue
            folder = f"{_safe(photo.album.title)}/" if album_folders else ""
            name = _unique_name(folder + copy.filename, photo.pk, used_names)
            entry = zipfile.ZipInfo(name, date_time=_entry_time(photo))
            with closing(copy.chunks), archive.open(entry, "w", force_zip64=True) as target:
                for chunk in copy.chunks:
                    target.write(chunk)
                    yield sink.take()
            yield sink.take()
        if left_out:
            archive.writestr(_unique_name(LEFT_OUT_NOTE, 0, used_names), _left_out_text(left_out))
    yield sink.take()


def _entry_time(photo: Photo) -> tuple[int, int, int, int, int, int]:
    """The date a file manager shows for the photo: when it was taken, else when it was
    uploaded, in the site's time zone (zip times have no zone; the earliest is 1980)."""
    moment = photo.taken_at or photo.uploaded_at
    if moment is None:
        return ZIP_EPOCH
    local = timezone.localtime(moment)
    return max(
        ZIP_EPOCH, (local.year, local.month, local.day, local.hour, local.minute, local.second)
    )


def _left_out_text(names: list[str]) -> str:
    return (
        "These photos could not be prepared for download; ask the organiser for them:\n"
        + "".join(f"{name}\n" for name in names)
    )


def _unique_name(base: str, photo_id: int, used: set[str]) -> str:
    name = base
    if name in used:
        stem, _, extension = base.rpartition(".")
        name = f"{stem}-{photo_id}.{extension}" if stem else f"{base}-{photo_id}"
    used.add(name)
    return name


def _safe(title: str) -> str:
    """An album title as a folder name: no slashes, no dots alone."""
    cleaned = title.replace("/", "-").replace("\\", "-").strip(" .")
    return cleaned or "album"
