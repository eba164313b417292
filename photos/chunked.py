"""Resumable uploads: a big file (a photographer's zip over hotel Wi-Fi) arrives in
pieces, and a dropped connection costs only the piece in flight.

The protocol, in the spirit of tus (which needs a server of its own) but within
Django's views and CSRF protection:

1. ``start``: the album page declares a file (name, size) and gets a token;
2. ``append``: it sends pieces in order, each with the offset it starts at
   (``Upload-Offset``); a piece for another offset is refused with the offset the
   server has, so the page resends from there; pieces are streamed to disk;
3. after a dropped connection the page asks for the offset (``status``) and goes on;
4. the last piece completes the file, which goes through ``services.add_file``
   like any upload (a photo is added, a zip is handed to the workers).

What has arrived is kept in ``PHOTOS_CHUNKS_DIR`` on the web server's disk (shared by
its processes; several web machines need it on shared storage), and deleted when the
upload completes or after a day (:func:`delete_stale`).

With S3 storage the pieces skip the web server: ``start`` creates an S3 multipart
upload and the page sends the parts to the bucket itself (photos.direct_uploads);
:func:`finish_direct` completes it. Cancelling and the daily clean-up abort it.
"""

import datetime as dt
import logging
import os
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from photos import direct_uploads, stored_uploads
from photos.models import Album, ChunkedUpload
from photos.units import megabytes

logger = logging.getLogger(__name__)

STREAM_BYTES = 1024 * 1024


class ChunkError(ValueError):
    """A piece or a declaration that is refused; the message is for the organiser."""


class OffsetMismatch(ChunkError):
    def __init__(self, received: int) -> None:
        super().__init__(
            gettext("The server has %(received)s bytes of this file; send from there.")
            % {"received": received}
        )
        self.received = received


def part_path(upload: ChunkedUpload) -> Path:
    return Path(settings.PHOTOS_CHUNKS_DIR) / f"{upload.token}.part"


def start(*, album: Album, owner, name: str, size: int) -> ChunkedUpload:
    """Declare a file to come in pieces: to the bucket when photos are in S3 (raises
    DirectUploadError when it cannot start), else to this server's disk. Refuses
    empty files and files over the archive limit (the largest file the site takes)."""
    if size <= 0:
        raise ChunkError(gettext("This file is empty."))
    if size > settings.PHOTOS_MAX_ZIP_BYTES:
        raise ChunkError(
            gettext("This file is %(size)s; the limit is %(limit)s. Split it in parts.")
            % {"size": megabytes(size), "limit": megabytes(settings.PHOTOS_MAX_ZIP_BYTES)}
        )
    upload = ChunkedUpload.objects.create(album=album, owner=owner, name=name[:255], size=size)
    if direct_uploads.is_enabled():
        try:
            direct_uploads.begin(upload)
        except direct_uploads.DirectUploadError:
            upload.delete()
            raise
        return upload
    path = part_path(upload)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return upload


def append(*, upload: ChunkedUpload, offset: int, stream: BinaryIO, length: int) -> int:
    """Add the piece that starts at ``offset`` (``length`` bytes read from ``stream``,
    never all in memory). Returns how many bytes the server now has."""
    with transaction.atomic():
        # Locked: two copies of one piece (a retry racing its original) never both write.
        upload = ChunkedUpload.objects.select_for_update().get(pk=upload.pk)
        if upload.is_direct:
            raise ChunkError(gettext("This file goes straight to the storage, not here."))
        if offset != upload.received:
            raise OffsetMismatch(upload.received)
        if length <= 0 or upload.received + length > upload.size:
            raise ChunkError(gettext("This piece goes past the end of the file declared."))
        written = _write(part_path(upload), upload.received, stream, length)
        if written != length:
            raise ChunkError(gettext("The piece arrived incomplete; send it again."))
        upload.received += written
        upload.save(update_fields=["received", "updated_at"])
    return upload.received


def _write(path: Path, offset: int, stream: BinaryIO, length: int) -> int:
    """Write the piece at ``offset`` (a piece cut short is cut off again, so the file
    always ends where ``received`` says)."""
    written = 0
    with path.open("r+b") as part:
        part.seek(offset)
        while written < length:
            block = stream.read(min(STREAM_BYTES, length - written))
            if not block:
                break
            part.write(block)
            written += len(block)
        part.truncate(offset + written if written == length else offset)
    return written if written == length else 0


def is_complete(upload: ChunkedUpload) -> bool:
    return upload.received == upload.size


def finish(*, upload: ChunkedUpload, handle) -> list:
    """Hand the whole file to ``handle(fp, name)`` (an upload of the album), then
    delete what was kept. Returns what ``handle`` returns."""
    path = part_path(upload)
    try:
        with path.open("rb") as fp:
            return handle(fp, upload.name)
    finally:
        _discard(upload)


def finish_direct(*, upload: ChunkedUpload) -> list:
    """Complete an upload to the bucket and hand the stored file to the album (as
    ``finish`` does). Raises DirectUploadError; MissingParts keeps the upload (the page
    sends those parts and asks again), a file of the wrong size ends it."""
    try:
        key = direct_uploads.complete(upload)
    except direct_uploads.SizeMismatch:
        upload.delete()  # completed, then deleted: nothing left to abort
        raise
    # The multipart upload is now an object: nothing to resume or abort any more (if
    # handing it over fails, the sweep deletes the unreferenced object after a day).
    upload.delete()
    return stored_uploads.add_stored_file(
        album=upload.album, key=key, name=upload.name, size=upload.size
    )


def cancel(upload: ChunkedUpload) -> None:
    """The organiser gave up this file: what arrived is deleted (S3: aborted)."""
    _discard(upload)


def _discard(upload: ChunkedUpload) -> None:
    if upload.is_direct:
        direct_uploads.abort(upload)
    else:
        try:
            os.remove(part_path(upload))
        except FileNotFoundError:
            pass
    upload.delete()


def delete_stale(*, older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
    """Forget uploads that stopped long ago (scheduled daily). Returns how many."""
    stale = ChunkedUpload.objects.filter(updated_at__lt=timezone.now() - older_than)
    count = 0
    for upload in stale:
        _discard(upload)
        count += 1
    return count
