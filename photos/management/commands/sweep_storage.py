"""Delete stored files that no photo references: queued deletions, then orphans."""

from django.core.management.base import BaseCommand

from photos import storage_cleanup


class Command(BaseCommand):
    help = (
        "Retry the queued file deletions, then delete files under events/ that no photo "
        "references and that are older than a day (and folders of deleted events)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted."
        )
        parser.add_argument(
            "--max-deletions",
            type=int,
            default=storage_cleanup.SWEEP_MAX_DELETIONS,
            help="Stop after this many orphan files (default %(default)s).",
        )

    def handle(self, *args, dry_run=False, max_deletions=0, **options):
        if not dry_run:
            queued = storage_cleanup.delete_queued_files()
            self.stdout.write(
                f"Queued deletions: {queued.deleted} done, {queued.failed} failed "
                f"(still queued: {queued.remaining})."
            )
        report = storage_cleanup.sweep_storage(dry_run=dry_run, max_deletions=max_deletions)
        verb = "would be deleted" if dry_run else "deleted"
        self.stdout.write(
            f"Orphan files {verb}: {report.files_deleted} "
            f"({report.bytes_deleted / 1e6:.1f} MB), in {report.deleted_event_folders} "
            f"folders of deleted events. Kept as too recent: {report.files_too_recent}. "
            f"Errors: {report.errors}. Deletions still failing: {report.pending_deletions}."
        )
        if not report.is_complete:
            self.stdout.write("Stopped at --max-deletions; run it again to go on.")
