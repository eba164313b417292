"""Originals as attendees get them: without private metadata (photos/metadata.py).

Organisers download the file exactly as uploaded (``photos.media.serve_photo_file``);
the attendee's single download and zip both come through :func:`open_attendee_copy`.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings

from photos.metadata import MetadataError, without_private_metadata
from photos.models import Photo

logger = logging.getLogger(__name__)


class FileChunks:
    """Iterates a copy's chunks, then closes the stored file it reads from.

    ``close()`` closes it too, started or not: Django's streaming responses call it
    when the client goes away.
    """

    def __init__(self, chunks: Iterator[bytes], handle) -> None:
        self._chunks = chunks
        self._handle = handle

    def __iter__(self) -> "FileChunks":
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except StopIteration:
            self.close()
            raise

    def close(self) -> None:
        if hasattr(self._chunks, "close"):
            self._chunks.close()
        self._handle.close()


@dataclass
class AttendeeCopy:
    filename: str
    content_type: str
    chunks: FileChunks


def open_attendee_copy(*, photo: Photo) -> AttendeeCopy:
    """The photo's original without GPS, serial numbers and the like, ready to stream.

    HEIC photos (and files too damaged to rewrite) become JPEGs and their file name
    ends in .jpg. Raises FileNotFoundError when the file is gone, and MetadataError
    (logged) when no clean copy can be made: the original is never sent instead.
    """
    try:
        if not photo.file.name:
            raise FileNotFoundError("no file name")
        handle = photo.file.storage.open(photo.file.name, "rb")
    except FileNotFoundError:
        logger.warning("Photo %s: its file %r is missing", photo.pk, photo.file.name)
        raise
    try:
        copy = without_private_metadata(handle, max_pixels=settings.PHOTOS_MAX_PIXELS)
    except MetadataError:
        handle.close()
        logger.exception("Photo %s: no copy without private metadata", photo.pk)
        raise
    except BaseException:
        handle.close()
        raise
    return AttendeeCopy(
        filename=copy.filename_for(download_name(photo)),
        content_type=copy.content_type,
        chunks=FileChunks(copy.chunks, handle),
    )


def download_name(photo: Photo) -> str:
    """The uploaded file's name without its folders."""
    name = photo.original_filename.replace("\\", "/").rsplit("/", 1)[-1]
    return name or f"photo-{photo.pk}.jpg"
