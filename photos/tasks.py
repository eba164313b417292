"""django-q2 tasks of the photos app: ids in, one service call, one log line."""

import logging

from django.conf import settings

from core.schedules import Periodic
from photos import chunked, imports, languages, services, storage_cleanup, stored_uploads

logger = logging.getLogger(__name__)


def unpack_zip(import_id: int) -> str | None:
    """Add the photos of an uploaded .zip to its album (a part of it per task)."""
    with languages.of_import(import_id):
        job = imports.unpack(import_id=import_id, add_entry=services.add_archive_entry)
    if job is None:
        return None
    logger.info(
        "Zip import %s (%s): %s, %s of %s files, %s added",
        import_id,
        job.name,
        job.status,
        job.entries_done,
        job.entries_total,
        job.added,
    )
    return job.status


def check_stored_photo(photo_id: int) -> str:
    """Check a photo uploaded straight to the bucket, as an upload would, then process it."""
    with languages.of_photo(photo_id):
        outcome = stored_uploads.check_photo(photo_id=photo_id)
    logger.info("Photo %s stored straight in the bucket: %s", photo_id, outcome)
    return outcome


def delete_queued_files() -> int:
    """Delete the files waiting in the FileDeletion outbox (scheduled every 10 minutes).

    Returns how many were deleted; failures stay queued with their error.
    """
    report = storage_cleanup.delete_queued_files(time_budget=_time_budget())
    if report.deleted or report.failed:
        logger.info(
            "Stored files: %s deleted, %s failed, %s still queued",
            report.deleted,
            report.failed,
            report.remaining,
        )
    return report.deleted


def sweep_storage() -> int:
    """Delete unreferenced files older than a day (scheduled daily). Returns how many."""
    report = storage_cleanup.sweep_storage(time_budget=_time_budget())
    logger.info(
        "Storage sweep: %s orphan files (%s bytes) deleted, %s deleted-event folders, "
        "%s errors, %s deletions still failing%s",
        report.files_deleted,
        report.bytes_deleted,
        report.deleted_event_folders,
        report.errors,
        report.pending_deletions,
        "" if report.is_complete else "; stopped at its limit, the next run goes on",
    )
    return report.files_deleted


def _time_budget() -> float:
    # Well under the task timeout, or the broker would hand the task to a second worker.
    return settings.Q_CLUSTER["timeout"] * 0.6


def requeue_stalled_imports() -> int:
    """Zip imports, and checks of photos uploaded straight to the bucket, left behind
    by a worker that died (scheduled every 10 minutes)."""
    count = imports.requeue_stalled()
    checks = stored_uploads.requeue_unchecked()
    if count or checks:
        logger.info("Queued %s stalled zip imports and %s photo checks again", count, checks)
    return count + checks


def delete_stale_uploads() -> int:
    """Forget resumable uploads that stopped more than a day ago (scheduled daily)."""
    count = chunked.delete_stale()
    if count:
        logger.info("Deleted %s unfinished uploads older than a day", count)
    return count


PERIODIC = [
    Periodic("delete queued files", delete_queued_files, "minutes", 10),
    Periodic("forget unfinished uploads", delete_stale_uploads, "daily"),
    Periodic("requeue stalled zip imports", requeue_stalled_imports, "minutes", 10),
    Periodic("sweep storage for orphan files", sweep_storage, "daily"),
]
