"""(Re)compute the smart search vectors (CLIP) of processed photos."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ml.clip import ClipUnavailable
from photos.models import Event
from smart import services as smart_search
from smart.services import get_clip


class Command(BaseCommand):
    help = "Compute smart search (CLIP) vectors for processed photos, with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("--event", help="Only this event (slug).")
        parser.add_argument(
            "--recompute", action="store_true", help="Drop the existing vectors first."
        )
        parser.add_argument(
            "--status", action="store_true", help="Only show how many photos have vectors."
        )

    def handle(self, *args, **options):
        event_ids = None
        if options["event"]:
            event = Event.objects.filter(slug=options["event"]).first()
            if event is None:
                raise CommandError(f"No event with the slug {options['event']!r}.")
            event_ids = [event.pk]
        try:
            model = get_clip()
        except ClipUnavailable as error:
            raise CommandError(str(error)) from error
        if options["status"]:
            return self.show_status(event_ids, model.name)
        todo = smart_search.photos_to_embed(model_name=model.name, event_ids=event_ids).count()
        if options["recompute"]:
            todo = smart_search.embedding_counts(event_ids=event_ids, model_name=model.name)[1]
        with tqdm(total=todo, desc="Smart search", unit="photo", disable=None) as bar:
            report = smart_search.embed_pending_photos(
                event_ids=event_ids, recompute=options["recompute"], on_batch=bar.update
            )
        self.stdout.write(
            f"{report.embedded} photos embedded with {model.name}, "
            f"{report.unreadable} unreadable, {report.remaining} still waiting."
        )
        self.show_status(event_ids, model.name)

    def show_status(self, event_ids, model_name) -> None:
        events = Event.objects.order_by("name")
        if event_ids is not None:
            events = events.filter(pk__in=event_ids)
        for event in events:
            done, total = smart_search.embedding_counts(event_ids=[event.pk], model_name=model_name)
            self.stdout.write(f"{event.slug}: {done} of {total} processed photos have vectors")
