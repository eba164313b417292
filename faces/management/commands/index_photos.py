"""Index photo files and folders into an event's album (the demo's indexing script)."""

import threading
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from faces import people_upkeep, processing
from faces.models import Face, FacePerson
from photos import services as photo_services
from photos.hot_folder import IGNORED_NAMES, HotFolder
from photos.images import ImageError
from photos.models import Event


class Command(BaseCommand):
    help = "Add photos (files or folders, recursively) to an album and find their faces."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", metavar="PATH")
        parser.add_argument("--event", required=True, help="Event slug (created if missing).")
        parser.add_argument(
            "--album",
            default="",
            help="Album title (created if missing; default: the event's name).",
        )
        parser.add_argument("--owner", help="Username owning a new event.")
        parser.add_argument(
            "--sync", action="store_true", help="Process in this command instead of queuing."
        )
        parser.add_argument(
            "--watch",
            metavar="FOLDER",
            help="A hot folder: add the files in it, then each new one as soon as it is "
            "complete, until stopped (Ctrl+C).",
        )

    def handle(self, *args, **options):
        if options["watch"]:
            return self.watch(options)
        files = list(collect_files(options["paths"]))
        if not files:
            raise CommandError("No files found in the given paths.")
        event = self.get_or_create_event(options["event"], options["owner"])
        album = photo_services.get_or_create_album(event=event, title=options["album"])
        summary = {"added": 0, "faces": 0, "duplicates": 0, "failed": []}
        for path, name in tqdm(files, desc="Indexing", unit="photo", disable=None):
            self.index_one(album, path, name, options["sync"], summary)
        self.report(summary, event, album, options["sync"])
        if options["sync"]:
            self.group_people(event)

    def watch(self, options, stop: threading.Event | None = None) -> None:
        """Add the hot folder's files as they are complete (photos.hot_folder)."""
        root = Path(options["watch"])
        if not root.is_dir():
            raise CommandError(f"No such folder: {root}")
        event = self.get_or_create_event(options["event"], options["owner"])
        album = photo_services.get_or_create_album(event=event, title=options["album"])
        stop = stop or threading.Event()
        self.stdout.write(f"Watching {root} for {event.slug} / {album.title} (Ctrl+C to stop).")

        def add(path: Path) -> None:
            summary = {"added": 0, "faces": 0, "duplicates": 0, "failed": []}
            name = str(path.relative_to(root))
            self.index_one(album, path, name, options["sync"], summary)
            if summary["failed"]:
                self.stdout.write(f"refused: {name}: {summary['failed'][0][1]}")
            else:
                self.stdout.write(f"{'added' if summary['added'] else 'duplicate'}: {name}")
            self.stdout.flush()

        try:
            HotFolder(root, add).run(stop)
        except KeyboardInterrupt:
            pass
        finally:
            connection.close()  # the watch may run in a thread of its own (tests)
        self.stdout.write("Stopped watching.")

    def index_one(self, album, path: Path, name: str, sync: bool, summary: dict) -> None:
        try:
            with path.open("rb") as fp:
                added = photo_services.add_photo(
                    album=album, fp=fp, original_filename=name, queue=not sync
                )
        except (ImageError, OSError) as error:
            summary["failed"].append((name, str(error)))
            return
        if added.is_duplicate:
            summary["duplicates"] += 1
            return
        summary["added"] += 1
        if sync:
            photo = processing.process_photo(photo_id=added.photo.pk)
            if photo.processing_status == photo.Status.FAILED:
                summary["failed"].append((name, photo.processing_error))
            else:
                summary["faces"] += Face.objects.filter(photo=photo).count()

    def group_people(self, event: Event) -> None:
        """Group the faces into people now, as the worker's minute job would, so that
        find_photos right after this answers with person matching like the site."""
        count = people_upkeep.group_event_faces(event_id=event.pk)
        if count is None:
            count = FacePerson.objects.filter(event=event).values("person").distinct().count()
            self.stdout.write(f"The event's faces were already grouped into {count} people.")
        else:
            self.stdout.write(f"Grouped the event's faces into {count} people.")

    def get_or_create_event(self, slug: str, owner_name: str | None) -> Event:
        event = Event.objects.filter(slug=slug).first()
        if event:
            return event
        owner = find_owner(owner_name)
        return Event.objects.create(owner=owner, slug=slug, name=slug.replace("-", " ").title())

    def report(self, summary: dict, event: Event, album, sync: bool) -> None:
        added = summary["added"]
        line = f"{event.slug} / {album.title}: {added} photos added"
        line += f", {summary['faces']} faces found" if sync else " and queued for face detection"
        line += f", {summary['duplicates']} skipped as duplicates, {len(summary['failed'])} failed."
        self.stdout.write(line)
        for name, reason in summary["failed"]:
            self.stdout.write(f"  failed: {name}: {reason}")


def collect_files(paths: list[str]):
    """(path, name kept as the original filename) for every file, folders recursively."""
    for raw in paths:
        root = Path(raw)
        if root.is_file():
            yield root, root.name
        elif root.is_dir():
            for path in sorted(root.rglob("*")):
                if (
                    path.is_file()
                    and path.name not in IGNORED_NAMES
                    and not path.name.startswith(".")
                ):
                    yield path, str(path.relative_to(root))
        else:
            raise CommandError(f"No such file or folder: {raw}")


def find_owner(username: str | None):
    users = get_user_model().objects
    if username:
        try:
            return users.get(username=username)
        except users.model.DoesNotExist:
            raise CommandError(f"No user named {username!r}.")
    superusers = list(users.filter(is_superuser=True).order_by("pk")[:2])
    if len(superusers) == 1:
        return superusers[0]
    raise CommandError("The event does not exist yet: pass --owner USERNAME to create it.")
