"""Move events to another face embedder while their searches keep answering."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from faces import people_upkeep, reembedding, tasks, vector_refresh
from faces.analysis import current_rule
from faces.engines import KNOWN_EMBEDDERS, get_embedder
from faces.models import EventEmbedder
from ml.base import Embedder
from photos.models import Event


class Command(BaseCommand):
    help = (
        "Compute another embedder's vectors for every face of the events (all, or "
        "--event), in the background or here (--sync). Each event keeps answering from "
        "its current embedder until the new one covers it, then switches. --status shows "
        "where each event is; --drop NAME deletes vectors no event uses any more."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--embedder",
            choices=KNOWN_EMBEDDERS,
            help="The embedder to move to (settings name; arcface reads FACES_ARCFACE_MODEL).",
        )
        parser.add_argument("--event", metavar="SLUG", help="Only this event.")
        parser.add_argument("--sync", action="store_true", help="Compute here with a progress bar.")
        parser.add_argument("--status", action="store_true", help="Show each event's state.")
        parser.add_argument(
            "--drop",
            metavar="NAME",
            help="Delete the vectors of this stored embedder name (refused while in use).",
        )

    def handle(self, *args, **options):
        event_ids = self.event_ids(options["event"])
        if options["status"]:
            return self.print_status(event_ids)
        if options["drop"]:
            return self.drop(options["drop"])
        if not options["embedder"]:
            raise CommandError("Give --embedder NAME (or --status, or --drop NAME).")
        embedder = self.load(options["embedder"])
        started = reembedding.start_switch(embedder=embedder, event_ids=event_ids)
        if not started:
            self.stdout.write(f"Every event already answers from {embedder.name}.")
            return
        if not options["sync"]:
            for event_id in started:
                tasks.queue_reembedding(event_id, embedder.name)
            self.stdout.write(
                f"{len(started)} event(s) queued for {embedder.name}; the worker computes "
                "them and switches each when done (`reembed_faces --status`)."
            )
            return
        for event_id in started:
            self.run_event(event_id, embedder)

    def event_ids(self, slug: str | None) -> list[int] | None:
        if slug is None:
            return None
        event = Event.objects.filter(slug=slug).first()
        if event is None:
            raise CommandError(f"No event with slug {slug!r}.")
        return [event.pk]

    def load(self, key: str) -> Embedder:
        try:
            return get_embedder(key)
        except (ImproperlyConfigured, ImportError, OSError) as error:
            raise CommandError(str(error)) from error

    def run_event(self, event_id: int, embedder: Embedder) -> None:
        event = Event.objects.get(pk=event_id)
        missing = reembedding.photos_missing(event_id=event_id, embedder=embedder)
        problems: list[str] = []
        for photo_id in tqdm(missing, desc=event.slug, unit="photo", disable=None):
            problems += reembedding.reembed_photos(photo_ids=[photo_id], embedder=embedder)[1]
        reembedding.reseed_hidden_people(event_id=event_id, embedder=embedder)
        if reembedding.finish_if_covered(event_id=event_id):
            people_upkeep.group_event_faces(event_id=event_id)
            self.stdout.write(f"{event.slug}: now answers from {embedder.name}.")
            return
        state = reembedding.coverage(event_id)
        self.stderr.write(
            f"{event.slug}: {state.covered} of {state.faces} faces covered; it keeps "
            f"answering from {state.answering}."
        )
        for problem in problems:
            self.stderr.write(f"  {problem}")

    def print_status(self, event_ids: list[int] | None) -> None:
        rows = EventEmbedder.objects.select_related("event").order_by("event__slug")
        if event_ids is not None:
            rows = rows.filter(event_id__in=event_ids)
        configured = get_embedder()
        self.stdout.write(f"Configured embedder (new photos): {configured.name}")
        for row in rows:
            state = reembedding.coverage(row.event_id)
            line = f"{row.event.slug}: answers from {row.embedder}"
            if row.switching_to:
                line += (
                    f"; switching to {row.switching_to}: {state.covered} of {state.faces} "
                    f"faces ({state.share:.0%})"
                )
            elif row.embedder == configured.name:
                waiting = vector_refresh.waiting(event_id=row.event_id, embedder=configured)
                if waiting:
                    line += (
                        f"; {waiting} vectors from before {current_rule(configured)}"
                        ", being brought up to it in the background"
                    )
            self.stdout.write(line)

    def drop(self, name: str) -> None:
        try:
            count = reembedding.drop_vectors(embedder_name=name, configured=get_embedder().name)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{count} vectors of {name} deleted.")
