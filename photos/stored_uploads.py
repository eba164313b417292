"""Files the browser put straight into the bucket (photos.direct_uploads), handed to the
usual pipeline without the web process reading them.

The web request reads only the object's first bytes: a zip becomes a ZipImport whose
file is that object, unpacked by a worker as any archive; a photo becomes a Photo
whose file is that object, "unchecked" (a placeholder content hash, no dimensions),
and a worker then checks it as an upload would (:func:`check_photo`: the content hash,
duplicates, a readable image within the limits) before queueing its processing.
"""

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_q.tasks import async_task

from photos import capture_facts, direct_uploads, imports
from photos.images import ImageError, open_image
from photos.models import Album, Photo, content_hash
from photos.services import UploadResult, delete_photos, request_processing
from photos.units import megabytes

logger = logging.getLogger(__name__)

# Content hash of a photo not checked yet: unique (the hash is unique in an event),
# never a SHA-256 (64 hex digits), so the check task finds these.
UNCHECKED = "unchecked-"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def add_stored_file(*, album: Album, key: str, name: str, size: int) -> list[UploadResult]:
    """Add the stored object ``key`` to ``album``: a zip is unpacked by the workers, a
    photo is added and checked by a worker. Returns what the page shows."""
    if direct_uploads.read_start(key) in ZIP_MAGIC:
        job = imports.start_stored(album=album, key=key, name=name)
        note = gettext("the archive is unpacked by the workers")
        logger.info("Zip import %s from the direct upload %s", job.pk, key)
        return [UploadResult(name, "unpacking", note)]
    if size > settings.PHOTOS_MAX_UPLOAD_BYTES:
        direct_uploads.delete_object(key)
        reason = gettext("This file is %(size)s; the limit is %(limit)s.") % {
            "size": megabytes(size),
            "limit": megabytes(settings.PHOTOS_MAX_UPLOAD_BYTES),
        }
        return [UploadResult(name, "rejected", reason)]
    with transaction.atomic():
        photo = Photo.objects.create(
            album=album,
            event_id=album.event_id,
            file=key,
            original_filename=name[-500:],
            content_hash=UNCHECKED + uuid.uuid4().hex,
            size_bytes=size,
            width=0,
            height=0,
        )
        transaction.on_commit(lambda: queue_check(photo.pk))
    return [UploadResult(name, "added", photo_id=photo.pk)]


def queue_check(photo_id: int) -> None:
    async_task("photos.tasks.check_stored_photo", photo_id, task_name=f"check-photo-{photo_id}")


def check_photo(*, photo_id: int) -> str:
    """What an upload checks, for a photo stored straight in the bucket (in a worker):
    a duplicate in the event is deleted, a file that is not a usable photo is marked
    failed with the reason, a good one gets its hash, size and date and is processed.
    Returns what happened."""
    photo = Photo.objects.filter(pk=photo_id, content_hash__startswith=UNCHECKED).first()
    if photo is None:
        return "gone"  # deleted, or checked already
    try:
        with photo.file.open("rb") as fp:
            file_hash = content_hash(fp)
            loaded = open_image(fp, max_pixels=settings.PHOTOS_MAX_PIXELS, decode_side=64)
    except ImageError as error:
        Photo.objects.filter(pk=photo.pk).update(
            processing_status=Photo.Status.FAILED, processing_error=str(error)
        )
        return "rejected"
    same = Photo.objects.filter(event_id=photo.event_id, content_hash=file_hash)
    if same.exclude(pk=photo.pk).exists():
        delete_photos(photos=[photo])
        return "duplicate"
    try:
        with transaction.atomic():
            Photo.objects.filter(pk=photo.pk).update(
                content_hash=file_hash,
                width=loaded.width,
                height=loaded.height,
                taken_at=capture_facts.taken_at(loaded.exif, timezone.get_current_timezone()),
                photographer=capture_facts.photographer(loaded.exif),
            )
            request_processing(photos=[photo])
    except IntegrityError:
        # The same file was added meanwhile (another upload): this one goes.
        delete_photos(photos=[photo])
        return "duplicate"
    return "added"


def requeue_unchecked() -> int:
    """Queue again the checks a dead worker or a lost task left behind."""
    q = settings.Q_CLUSTER
    before = timezone.now() - dt.timedelta(seconds=q["timeout"] + q["retry"])
    ids = list(
        Photo.objects.filter(
            content_hash__startswith=UNCHECKED,
            processing_status=Photo.Status.PENDING,
            uploaded_at__lt=before,
        ).values_list("pk", flat=True)
    )
    for photo_id in ids:
        queue_check(photo_id)
    return len(ids)
