"""Zip archives of photos, unpacked by the workers rather than in the web request.

The upload request only checks that the file is a readable zip within the limits and
stores it (streamed: a 5 GB archive never sits in memory); a task then adds its photos
entry by entry (:func:`unpack`), saving its place and counts as it goes. A task works
for at most ``UNPACK_SECONDS_PER_TASK`` and queues the rest as a new task, so a long
archive never meets the task timeout, and an interrupted one resumes after the last
entry it saved (a photo added twice is a duplicate, skipped by its content hash).
"""

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django_q.tasks import async_task

from photos.archives import ArchiveError, open_zip, read_zip, zip_members
from photos.models import Album, ZipImport
from photos.storage_cleanup import queue_file_deletion
from photos.units import megabytes

logger = logging.getLogger(__name__)

UNPACK_SECONDS_PER_TASK = 60
PROBLEMS_KEPT = 500
FAILED_MESSAGE = gettext_lazy(
    "Unpacking stopped because of a problem on our side; the photos added so far are "
    "kept. Upload the archive again to add the rest (photos already added are skipped)."
)


def start(*, album: Album, fp: BinaryIO, name: str) -> ZipImport:
    """Check the archive can be read, store it, and queue its unpacking (after the
    transaction commits). Raises ArchiveError, with a message for the organiser, for
    an archive that cannot be opened or holds too many files."""
    size = fp.seek(0, 2)
    if size > settings.PHOTOS_MAX_ZIP_BYTES:
        raise ArchiveError(
            gettext(
                "This zip file is %(size)s; the limit is %(limit)s per archive. Split it in parts."
            )
            % {"size": megabytes(size), "limit": megabytes(settings.PHOTOS_MAX_ZIP_BYTES)}
        )
    fp.seek(0)
    members = zip_members(open_zip(fp), max_entries=settings.PHOTOS_MAX_ZIP_ENTRIES)
    fp.seek(0)
    with transaction.atomic():
        job = ZipImport(album=album, name=name[:255], entries_total=len(members))
        job.file.save("archive.zip", File(fp), save=False)
        job.save()
        transaction.on_commit(lambda: queue(job.pk))
    return job


def start_stored(*, album: Album, key: str, name: str) -> ZipImport:
    """An archive already in storage (a direct upload to the bucket: photos.
    stored_uploads): its import, queued after the transaction commits. Not opened
    here, which would read it: the worker counts its files and checks its limits."""
    with transaction.atomic():
        job = ZipImport.objects.create(album=album, name=name[:255], file=key)
        transaction.on_commit(lambda: queue(job.pk))
    return job


def queue(import_id: int) -> None:
    async_task("photos.tasks.unpack_zip", import_id, task_name=f"zip-import-{import_id}")


# Adds one photo (album, its bytes, its name) and says what became of it: an
# UploadResult of photos.services (passed in: services hands zips to this module).
AddEntry = Callable[[Album, bytes, str], object]


def unpack(
    *, import_id: int, add_entry: AddEntry, budget_seconds: float = UNPACK_SECONDS_PER_TASK
) -> ZipImport | None:
    """Add the next entries of the archive to its album for up to ``budget_seconds``;
    queue the rest as a new task. Returns the import (None when another worker has it
    or it is finished)."""
    if not _claim(import_id):
        return None
    job = ZipImport.objects.select_related("album").get(pk=import_id)
    deadline = time.monotonic() + budget_seconds
    try:
        finished = _unpack_until(job, add_entry, deadline)
    except ArchiveError as error:
        return _finish(job, ZipImport.Status.FAILED, str(error))
    except Exception:
        logger.exception("Unpacking zip import %s failed", import_id)
        return _finish(job, ZipImport.Status.FAILED, str(FAILED_MESSAGE))
    if finished:
        job.refresh_from_db()
        if not (job.added or job.duplicates or job.problems):
            return _finish(job, ZipImport.Status.FAILED, gettext("This zip file holds no photos."))
        return _finish(job, ZipImport.Status.DONE, "")
    ZipImport.objects.filter(pk=import_id).update(status=ZipImport.Status.WAITING)
    queue(import_id)
    return job


def _claim(import_id: int) -> bool:
    """Take the import, unless a live worker has it (one that died long ago has not)."""
    stale = timezone.now() - dt.timedelta(seconds=settings.Q_CLUSTER["timeout"])
    claimable = Q(status=ZipImport.Status.WAITING) | Q(
        status=ZipImport.Status.UNPACKING, started_at__lt=stale
    )
    return bool(
        ZipImport.objects.filter(claimable, pk=import_id).update(
            status=ZipImport.Status.UNPACKING, started_at=timezone.now()
        )
    )


def _unpack_until(job: ZipImport, add_entry: AddEntry, deadline: float) -> bool:
    """Add entries from where the import stopped; True once the archive is done."""
    with job.file.open("rb") as fp:
        if not job.entries_total:  # stored straight in the bucket: not counted yet
            members = zip_members(open_zip(fp), max_entries=settings.PHOTOS_MAX_ZIP_ENTRIES)
            job.entries_total = len(members)
            ZipImport.objects.filter(pk=job.pk).update(entries_total=job.entries_total)
            fp.seek(0)
        entries = read_zip(
            fp,
            max_entry_bytes=settings.PHOTOS_MAX_UPLOAD_BYTES,
            max_total_bytes=settings.PHOTOS_MAX_ZIP_BYTES,
            max_entries=settings.PHOTOS_MAX_ZIP_ENTRIES,
            start=job.entries_done,
        )
        for entry in entries:
            if entry.data is None:
                _record(job, entry.index, problem=(entry.name, entry.rejection))
            else:
                result = add_entry(job.album, entry.data, entry.name)
                _record(job, entry.index, result=result)
            if time.monotonic() > deadline:
                return False
    return True


def _record(job: ZipImport, index: int, *, result=None, problem=None) -> None:
    """Save the import's place after entry ``index`` and what became of it."""
    changes = {"entries_done": index + 1}
    if result is not None and result.status == "added":
        changes["added"] = F("added") + 1
    elif result is not None and result.status == "duplicate":
        changes["duplicates"] = F("duplicates") + 1
    elif result is not None:
        problem = (result.name, result.reason)
    if problem is not None and len(job.problems) < PROBLEMS_KEPT:
        job.problems.append({"name": problem[0], "reason": problem[1]})
        changes["problems"] = job.problems
    ZipImport.objects.filter(pk=job.pk).update(**changes)


def _finish(job: ZipImport, status: str, error: str) -> ZipImport:
    with transaction.atomic():
        changes = {"status": status, "error": error, "finished_at": timezone.now()}
        if status == ZipImport.Status.DONE:
            changes["entries_done"] = job.entries_total
            if job.file.name:
                queue_file_deletion(names=[job.file.name])  # the archive is not kept
                changes["file"] = ""
        ZipImport.objects.filter(pk=job.pk).update(**changes)
    job.refresh_from_db()
    return job


def requeue_stalled() -> int:
    """Queue again the imports nobody is working on: waiting or unpacking for longer
    than a task may take plus its re-delivery (a worker that died, a task lost with the
    broker). A second task for a live import finds it claimed and does nothing."""
    q = settings.Q_CLUSTER
    before = timezone.now() - dt.timedelta(seconds=q["timeout"] + q["retry"])
    stalled = ZipImport.objects.filter(
        Q(status=ZipImport.Status.UNPACKING, started_at__lt=before)
        | Q(status=ZipImport.Status.WAITING, created_at__lt=before)
        & (Q(started_at__isnull=True) | Q(started_at__lt=before))
    )
    ids = list(stalled.values_list("pk", flat=True))
    for import_id in ids:
        queue(import_id)
    return len(ids)


def recent_imports(*, album: Album) -> list[dict]:
    """The album's imports under way, and those finished in the last hour."""
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    imports = album.imports.filter(Q(finished_at__isnull=True) | Q(finished_at__gte=hour_ago))
    return [job.as_dict() for job in imports[:20]]
