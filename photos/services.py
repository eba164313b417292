"""Events, albums and photos: everything that writes rows or touches storage."""

import datetime as dt
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from core import links
from photos import capture_facts, extensions, imports
from photos.archives import ArchiveError, is_zip
from photos.images import ImageError, LoadedImage, open_image, resized_to_fit
from photos.models import (
    CAPTURE_ORDER,
    Album,
    Event,
    Photo,
    ZipImport,
    content_hash,
    new_attendee_token,
)
from photos.signals import processing_requested
from photos.storage_cleanup import queue_file_deletion
from photos.units import megabytes

logger = logging.getLogger(__name__)

THUMBNAIL_SIDE = 400
PREVIEW_SIDE = 1600


@dataclass
class AddedPhoto:
    photo: Photo
    is_duplicate: bool


@dataclass(frozen=True)
class PlaceInAlbum:
    """Where a photo is in its album, in the album's order (by capture time)."""

    number: int  # 1-based
    total: int
    previous_id: int | None
    next_id: int | None


def place_in_album(photo: Photo) -> PlaceInAlbum:
    """The photo's number in its album and its neighbours, for previous/next. One query
    of ids: 3,000 photos are 3,000 integers, a few milliseconds."""
    ids = list(photo.album.photos.order_by(*CAPTURE_ORDER).values_list("id", flat=True))
    index = ids.index(photo.pk)
    return PlaceInAlbum(
        number=index + 1,
        total=len(ids),
        previous_id=ids[index - 1] if index > 0 else None,
        next_id=ids[index + 1] if index + 1 < len(ids) else None,
    )


def get_or_create_album(*, event: Event, title: str = "") -> Album:
    """The event's album of that title, created if needed. No title: the album named
    after the event (its first album), a name that means something in a screen
    reader's "Photo in …" and in a zip's folders, unlike a generic "Photos"."""
    album, _ = Album.objects.get_or_create(event=event, title=title.strip() or event.name)
    return album


def add_photo(
    *, album: Album, fp: BinaryIO, original_filename: str, queue: bool = True
) -> AddedPhoto:
    """Check, store and register one photo, and queue its processing (if ``queue``).

    Returns the new photo, or the existing one when the same file is already in the
    event (``is_duplicate``). Raises ImageError when the file is not a usable photo;
    nothing is stored then.
    """
    file_hash = content_hash(fp)
    existing = Photo.objects.filter(event_id=album.event_id, content_hash=file_hash).first()
    if existing:
        return AddedPhoto(existing, is_duplicate=True)
    size = fp.seek(0, io.SEEK_END)
    fp.seek(0)
    if size == 0:
        raise ImageError(gettext("This file is empty."))
    if size > settings.PHOTOS_MAX_UPLOAD_BYTES:
        raise ImageError(
            gettext("This file is %(size)s; the limit is %(limit)s.")
            % {"size": megabytes(size), "limit": megabytes(settings.PHOTOS_MAX_UPLOAD_BYTES)}
        )
    loaded = open_image(fp, max_pixels=settings.PHOTOS_MAX_PIXELS, decode_side=64)
    fp.seek(0)
    photo = Photo(
        album=album,
        event_id=album.event_id,
        original_filename=original_filename[-500:],
        content_hash=file_hash,
        size_bytes=size,
        width=loaded.width,
        height=loaded.height,
        taken_at=capture_facts.taken_at(loaded.exif, timezone.get_current_timezone()),
        photographer=capture_facts.photographer(loaded.exif),
    )
    extension = loaded.format.lower().replace("heif", "heic")
    return _store_photo(photo, fp, extension=extension, queue=queue)


def _store_photo(photo: Photo, fp: BinaryIO, *, extension: str, queue: bool) -> AddedPhoto:
    photo.file.save(f"photo.{extension}", File(fp), save=False)
    try:
        with transaction.atomic():
            photo.save()
            if queue:
                request_processing(photos=[photo])
    except IntegrityError:
        # The same file arrived twice at once: the other request stored it.
        photo.file.delete(save=False)
        existing = Photo.objects.get(event_id=photo.event_id, content_hash=photo.content_hash)
        return AddedPhoto(existing, is_duplicate=True)
    except BaseException:
        photo.file.delete(save=False)
        raise
    return AddedPhoto(photo, is_duplicate=False)


def request_processing(*, photos) -> int:
    """Mark photos as waiting and ask for their processing (faces, renditions) once the
    transaction commits, through ``photos.signals.processing_requested``. A new upload,
    "Find faces again", a retry: all start here. Returns how many photos."""
    ids = [photo.pk for photo in photos]
    Photo.objects.filter(pk__in=ids).update(
        processing_status=Photo.Status.PENDING, processing_error=""
    )
    if ids:
        transaction.on_commit(lambda: processing_requested.send(sender=Photo, photo_ids=ids))
    return len(ids)


def make_renditions(*, photo: Photo, loaded: LoadedImage) -> None:
    """Save a thumbnail and a screen-size preview (JPEG) of an oriented photo.

    The renditions it replaces are queued for deletion. Raises Photo.DoesNotExist when
    the photo was deleted meanwhile; the files just written are queued for deletion.
    """
    save_renditions(photo=photo, renditions=render_renditions(loaded))


def render_renditions(loaded: LoadedImage) -> dict[str, bytes]:
    """The preview and thumbnail JPEGs of an oriented photo, in memory. Pure pixels, no
    database or storage: a worker runs it in a thread while the face models work
    (Pillow lets other threads run while it resizes and encodes)."""
    preview = resized_to_fit(loaded.image, PREVIEW_SIDE)
    # From the preview, not the original: the same thumbnail, a quarter of the pixels.
    thumbnail = resized_to_fit(preview, THUMBNAIL_SIDE)
    renditions = {}
    for field, image in (("thumbnail", thumbnail), ("preview", preview)):
        data = io.BytesIO()
        # No metadata: Pillow would otherwise copy the original's JPEG comment.
        image.save(data, "JPEG", quality=82, optimize=True, exif=b"", comment=b"")
        renditions[field] = data.getvalue()
    return renditions


def save_renditions(*, photo: Photo, renditions: dict[str, bytes]) -> None:
    """Store :func:`render_renditions`' JPEGs as the photo's thumbnail and preview."""
    old_names = {photo.thumbnail.name, photo.preview.name}
    for field, data in renditions.items():
        getattr(photo, field).save(f"{photo.pk}-{field}.jpg", ContentFile(data), save=False)
    new_names = {photo.thumbnail.name, photo.preview.name}
    with transaction.atomic():
        # delete_photos locks the row before reading its names, so either it sees
        # these renditions or this update finds no row.
        updated = Photo.objects.filter(pk=photo.pk).update(
            thumbnail=photo.thumbnail.name, preview=photo.preview.name
        )
        queue_file_deletion(names=(old_names - new_names) if updated else new_names)
    if not updated:
        raise Photo.DoesNotExist(f"Photo {photo.pk} was deleted while it was processed.")


def delete_photos(*, photos: QuerySet[Photo] | Iterable[Photo]) -> int:
    """Delete photos with their faces, smart search vectors and stored files.

    ``photos`` is a queryset or a list. One bulk delete; the names of the files go
    into the FileDeletion outbox in the same transaction, and the files are deleted
    once it commits (retried later if the storage fails). Returns how many photos.
    """
    ids = photos.values("pk") if isinstance(photos, QuerySet) else [p.pk for p in photos]
    with transaction.atomic():
        # Locked in id order: a worker recording renditions waits, then finds no row.
        locked = Photo.objects.filter(pk__in=ids).order_by("pk").select_for_update()
        rows = list(locked.values_list("pk", "file", "thumbnail", "preview"))
        queue_file_deletion(names=[name for row in rows for name in row[1:]])
        Photo.objects.filter(pk__in=[row[0] for row in rows]).delete()
    return len(rows)


# --- events and albums -------------------------------------------------------------


def create_event(*, owner, name: str, **fields) -> Event:
    """A new event owned by ``owner``, with a unique slug and a fresh attendee token."""
    event = Event(owner=owner, name=name, slug=Event.unique_slug_for(name), **fields)
    event.full_clean()
    event.save()
    return event


def regenerate_attendee_token(*, event: Event) -> Event:
    """Issue a new attendee link; the old one stops working at once (and says so)."""
    links.revoke(event.attendee_token)
    event.attendee_token = new_attendee_token()
    event.save(update_fields=["attendee_token", "updated_at"])
    return event


def delete_event(*, event: Event) -> None:
    """Delete an event with its albums, photos, faces and every stored file."""
    # Photos first, then the event: the order in which a worker storing faces locks
    # them (photo, then the event's version). A photo whose upload commits in between
    # goes with the event, and its files with the daily sweep.
    with transaction.atomic():
        delete_photos(photos=Photo.objects.filter(event=event))
        _delete_archives(ZipImport.objects.filter(album__event=event))
        links.revoke(event.attendee_token)
        event.delete()


def delete_album(*, album: Album) -> None:
    """Delete an album with its photos, faces and their stored files."""
    with transaction.atomic():
        delete_photos(photos=Photo.objects.filter(album=album))
        _delete_archives(album.imports.all())
        album.delete()


def _delete_archives(imports: QuerySet) -> None:
    """Archives still waiting to be unpacked go too (their worker then finds nothing)."""
    queue_file_deletion(names=imports.exclude(file="").values_list("file", flat=True))


# --- uploads -------------------------------------------------------------------------


@dataclass
class UploadResult:
    name: str
    # "added", "duplicate", "rejected", "failed" (our fault: retry), or "unpacking" (a
    # zip, stored for a worker: photos.imports)
    status: str
    reason: str = ""
    photo_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "photo_id": self.photo_id,
        }


def add_file(*, album: Album, fp: BinaryIO, name: str) -> list[UploadResult]:
    """Add one uploaded file: a photo at once; a .zip of photos is stored and unpacked
    by a worker (photos.imports), its progress on the album page."""
    if is_zip(fp):
        try:
            job = imports.start(album=album, fp=fp, name=name)
        except ArchiveError as error:
            return [UploadResult(name, "rejected", str(error))]
        except OSError as error:
            logger.exception("Storing the archive %s failed", name)
            return [UploadResult(name, "failed", _not_stored(error))]
        note = ngettext("%(count)s file to unpack", "%(count)s files to unpack", job.entries_total)
        return [UploadResult(name, "unpacking", note % {"count": job.entries_total})]
    return [_add_and_report(album, fp, name)]


def add_archive_entry(album: Album, data: bytes, name: str) -> UploadResult:
    """One photo of an archive (photos.imports), with what became of it."""
    return _add_and_report(album, io.BytesIO(data), name)


def _not_stored(error: OSError) -> str:
    text = gettext("The file could not be stored (%(error)s); nothing was saved. Try again.")
    return text % {"error": error.strerror or error}


def _add_and_report(album: Album, fp: BinaryIO, name: str) -> UploadResult:
    try:
        added = add_photo(album=album, fp=fp, original_filename=name)
    except ImageError as error:
        return UploadResult(name, "rejected", str(error))
    except OSError as error:
        logger.exception("Storing %s failed", name)
        return UploadResult(name, "failed", _not_stored(error))
    if added.is_duplicate:
        same = gettext("Already in this event (same file).")
        return UploadResult(name, "duplicate", same, added.photo.pk)
    return UploadResult(name, "added", photo_id=added.photo.pk)


# --- progress ------------------------------------------------------------------------


def album_progress(*, album: Album) -> dict:
    """Counts per processing state, what other apps count in the photos (faces found:
    photos.extensions), failures and an estimate of time left."""
    photos = Photo.objects.filter(album=album)
    counts = photos.status_counts()
    remaining = counts["pending"] + counts["processing"]
    failed = photos.filter(processing_status=Photo.Status.FAILED).order_by("id")
    return {
        "total": sum(counts.values()),
        **counts,
        "counts": {count["name"]: count["value"] for count in extensions.counts_of(photos)},
        "eta_seconds": _eta_seconds(album.event_id, remaining),
        "imports": imports.recent_imports(album=album),
        "failed_photos": [
            {"id": p.pk, "name": p.original_filename, "error": p.processing_error}
            for p in failed.only("id", "album_id", "original_filename", "processing_error")[:100]
        ],
    }


def _eta_seconds(event_id: int, remaining: int) -> int | None:
    """From the rate the workers finished this event's photos over the last 10 minutes."""
    if not remaining:
        return 0
    window = timezone.now() - dt.timedelta(minutes=10)
    recent = Photo.objects.filter(event_id=event_id, processed_at__gte=window)
    stats = recent.aggregate(n=Count("id"), first=Min("processed_at"))
    if stats["n"] < 2:
        return None
    elapsed = (timezone.now() - stats["first"]).total_seconds()
    rate = stats["n"] / max(elapsed, 1.0)
    return round(remaining / rate)
