"""Deleting stored files: the durable outbox of deletions and the sweep for orphans.

Rows and files cannot be deleted in one transaction. So the names of the files go
into ``FileDeletion`` in the same transaction as the rows that referenced them; the
files are deleted once it commits, and a storage delete that fails stays queued with
its error and is retried by a periodic task. A daily sweep then deletes whatever
still slipped through (a worker killed between writing a file and its row, a crash
before the outbox existed): files under ``events/`` that no photo references.
"""

import datetime as dt
import logging
import os
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.core.files.storage import FileSystemStorage, Storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task

from photos.models import Event, FileDeletion, Photo, ZipImport

logger = logging.getLogger(__name__)

# Deleted in the request (or task) that deleted the rows; more go to a background task.
IMMEDIATE_DELETIONS = 200
BATCH_SIZE = 500
# Uploads store the file before their row commits, and a worker writes renditions
# before it records them: a file younger than this may be about to be referenced.
SWEEP_MIN_AGE = dt.timedelta(days=1)
SWEEP_MAX_DELETIONS = 10_000
ERROR_LIMIT = 1000


def photo_storage() -> Storage:
    return Photo._meta.get_field("file").storage


# --- the outbox ---------------------------------------------------------------------


def queue_file_deletion(*, names: Iterable[str]) -> int:
    """Record stored files to delete, in the caller's transaction. Returns how many.

    The files are deleted once the transaction commits; a failed delete stays in the
    outbox with its error and is retried by ``photos.tasks.delete_queued_files``.
    """
    rows = FileDeletion.objects.bulk_create(FileDeletion(name=name) for name in names if name)
    ids = [row.pk for row in rows]
    if ids:
        transaction.on_commit(lambda: _delete_after_commit(ids), robust=True)
    return len(ids)


def _delete_after_commit(ids: list[int]) -> None:
    delete_queued_files(ids=ids[:IMMEDIATE_DELETIONS])
    if len(ids) > IMMEDIATE_DELETIONS:
        # A big album or event: thousands of storage calls don't belong in a request.
        async_task("photos.tasks.delete_queued_files")


@dataclass
class DeletionReport:
    deleted: int = 0
    failed: int = 0
    remaining: int = 0  # still queued after this run (failing, or beyond its budget)


def delete_queued_files(
    *, ids: list[int] | None = None, time_budget: float | None = None
) -> DeletionReport:
    """Delete queued files from storage: the given outbox rows, or all of them.

    Each row is tried once per run, oldest attempt first, in batches while
    ``time_budget`` (seconds) lasts. A name that a photo still references is dropped
    from the outbox without touching the file.
    """
    started, report = timezone.now(), DeletionReport()
    deadline = time.monotonic() + time_budget if time_budget else None
    queued = FileDeletion.objects.all() if ids is None else FileDeletion.objects.filter(pk__in=ids)
    untried = queued.filter(Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=started))
    while deadline is None or time.monotonic() < deadline:
        batch = list(
            untried.order_by(F("last_attempt_at").asc(nulls_first=True), "id")[:BATCH_SIZE]
        )
        if not batch:
            break
        deleted, failed = _delete_batch(batch)
        report.deleted += deleted
        report.failed += failed
    report.remaining = queued.count()
    return report


def _delete_batch(rows: list[FileDeletion]) -> tuple[int, int]:
    storage, now = photo_storage(), timezone.now()
    in_use = referenced_names({row.name for row in rows})
    done, failed = [], []
    for row in rows:
        try:
            if row.name not in in_use:
                storage.delete(row.name)
        except Exception as error:  # any backend's error (OSError, botocore...): retried
            logger.warning("Deleting stored file %s failed: %s", row.name, error)
            row.attempts += 1
            row.last_error = f"{type(error).__name__}: {error}"[:ERROR_LIMIT]
            row.last_attempt_at = now
            failed.append(row)
        else:
            done.append(row.pk)
    FileDeletion.objects.filter(pk__in=done).delete()
    FileDeletion.objects.bulk_update(failed, ["attempts", "last_error", "last_attempt_at"])
    return len(done), len(failed)


def referenced_names(names: set[str]) -> set[str]:
    """Which of ``names`` a photo references (as its file, thumbnail or preview)."""
    if not names:
        return set()
    uses = Q(file__in=names) | Q(thumbnail__in=names) | Q(preview__in=names)
    rows = Photo.objects.filter(uses).values_list("file", "thumbnail", "preview")
    return {name for row in rows for name in row} & names


# --- the sweep for orphans -------------------------------------------------------------


@dataclass
class SweepReport:
    dry_run: bool
    files_deleted: int = 0  # in a dry run: files that would be deleted
    bytes_deleted: int = 0
    files_too_recent: int = 0  # unreferenced but younger than the safety age: kept
    deleted_event_folders: int = 0  # folders of events that no longer exist
    errors: int = 0
    pending_deletions: int = 0  # outbox rows whose storage delete keeps failing
    is_complete: bool = True  # False when the run stopped at its deletion or time limit


def sweep_storage(
    *,
    dry_run: bool = False,
    min_age: dt.timedelta = SWEEP_MIN_AGE,
    max_deletions: int = SWEEP_MAX_DELETIONS,
    time_budget: float | None = None,
) -> SweepReport:
    """Delete files under ``events/`` that no photo references and that are older than
    ``min_age``, including whole folders of deleted events.

    Bounded: it stops after ``max_deletions`` files or ``time_budget`` seconds, and
    starts at a random event folder so that bounded runs cover every folder over time.
    """
    sweeper = _Sweeper(SweepReport(dry_run=dry_run), min_age, max_deletions, time_budget)
    folders = [folder for folder in _listdir(sweeper.storage, "events")[0] if folder.isdigit()]
    start = random.randrange(len(folders)) if folders else 0
    existing = Event.objects.filter(pk__in=[int(folder) for folder in folders])
    event_ids = set(existing.values_list("pk", flat=True))
    for folder in folders[start:] + folders[:start]:
        if sweeper.is_over():
            break
        sweeper.sweep_folder(int(folder), is_event_gone=int(folder) not in event_ids)
    # Also when it stopped just as it finished: the next run then finds nothing.
    sweeper.report.is_complete = not sweeper.is_over()
    sweeper.report.pending_deletions = FileDeletion.objects.filter(attempts__gt=0).count()
    return sweeper.report


class _Sweeper:
    def __init__(
        self,
        report: SweepReport,
        min_age: dt.timedelta,
        max_deletions: int,
        time_budget: float | None,
    ):
        self.storage, self.report, self.max_deletions = photo_storage(), report, max_deletions
        self.cutoff = timezone.now() - min_age
        self.deadline = time.monotonic() + time_budget if time_budget else None

    def is_over(self) -> bool:
        is_late = self.deadline is not None and time.monotonic() > self.deadline
        return is_late or self.report.files_deleted >= self.max_deletions

    def sweep_folder(self, event_id: int, *, is_event_gone: bool) -> None:
        path, referenced = f"events/{event_id}", set()
        if is_event_gone:
            self.report.deleted_event_folders += 1
        else:
            rows = Photo.objects.filter(event_id=event_id).values_list(
                "file", "thumbnail", "preview"
            )
            referenced = {name for row in rows for name in row}
            # Archives uploaded straight to the bucket wait here for their worker.
            archives = ZipImport.objects.filter(album__event_id=event_id).exclude(file="")
            referenced.update(archives.values_list("file", flat=True))
        candidates = []
        for name in _walk(self.storage, path):
            if name not in referenced and self._is_old(name):
                candidates.append(name)
            if len(candidates) >= BATCH_SIZE:
                self._delete_orphans(candidates)
                candidates = []
            if self.is_over():
                break
        self._delete_orphans(candidates)
        if is_event_gone and not self.report.dry_run:
            _remove_empty_folders(self.storage, path)

    def _is_old(self, name: str) -> bool:
        try:
            is_old = self.storage.get_modified_time(name) < self.cutoff
        except Exception as error:
            self.report.errors += 1
            logger.warning("Sweep: cannot read %s: %s", name, error)
            return False
        if not is_old:
            self.report.files_too_recent += 1
        return is_old

    def _delete_orphans(self, names: list[str]) -> None:
        # A photo moved to another event in the admin keeps its files in the first
        # event's folder: check every photo, not only this event's.
        in_use = referenced_names(set(names))
        for name in names:
            if name in in_use or self.report.files_deleted >= self.max_deletions:
                continue
            try:
                size = self.storage.size(name)
                if not self.report.dry_run:
                    self.storage.delete(name)
            except Exception as error:
                self.report.errors += 1
                logger.warning("Sweep: deleting %s failed: %s", name, error)
                continue
            self.report.files_deleted += 1
            self.report.bytes_deleted += size


def _listdir(storage: Storage, path: str) -> tuple[list[str], list[str]]:
    try:
        return storage.listdir(path)
    except FileNotFoundError:
        return [], []


def _walk(storage: Storage, path: str) -> Iterator[str]:
    folders, files = _listdir(storage, path)
    for name in sorted(files):
        yield f"{path}/{name}"
    for folder in sorted(folders):
        yield from _walk(storage, f"{path}/{folder}")


def _remove_empty_folders(storage: Storage, path: str) -> None:
    # Local storage keeps empty directories; object stores (S3) have none.
    if not isinstance(storage, FileSystemStorage):
        return
    for folder, _, _ in os.walk(storage.path(path), topdown=False):
        try:
            os.rmdir(folder)
        except OSError:  # not empty (a file too recent to sweep)
            pass
