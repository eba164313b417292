"""Find the photos of the person in a selfie (the demo's search script)."""

import datetime as dt
import json
from dataclasses import replace

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from faces import selfies
from faces.engines import embedder_named, event_embedder_name
from faces.matching import MatchRules
from faces.models import EventGrouping
from faces.search import find_matches
from ml.base import Embedder
from photos.filters import SearchFilters
from photos.models import Album, Event, Photo

GROUPING_OUT_OF_DATE = (
    "The event's faces changed since they were last grouped into people: results may "
    "miss photos until the worker regroups them (or run index_photos --sync)."
)


class Command(BaseCommand):
    help = "Print the photos of an event where the selfie's person appears, best first."

    def add_arguments(self, parser):
        parser.add_argument("selfie", metavar="SELFIE")
        parser.add_argument("--event", required=True, help="Event slug.")
        parser.add_argument("--album", help="Only this album (title).")
        parser.add_argument(
            "--from", dest="taken_from", help="Taken on or after (date or datetime)."
        )
        parser.add_argument("--to", dest="taken_to", help="Taken on or before (date or datetime).")
        parser.add_argument("--threshold", type=float, help="Largest distance that matches.")
        parser.add_argument("--limit", type=int, default=0, help="At most this many photos.")
        parser.add_argument("--json", action="store_true", help="Print JSON.")
        parser.add_argument(
            "--maybe", action="store_true", help="Also print the less certain matches."
        )
        parser.add_argument(
            "--single", action="store_true", help="Single nearest-neighbour matching only."
        )

    def handle(self, *args, **options):
        event = Event.objects.filter(slug=options["event"]).first()
        if event is None:
            raise CommandError(f"No event with slug {options['event']!r}.")
        filters = SearchFilters(
            event_ids=[event.pk],
            album_id=self.album_id(event, options["album"]),
            taken_from=parse_moment(options["taken_from"], end_of_day=False),
            taken_to=parse_moment(options["taken_to"], end_of_day=True),
        )
        embedder = embedder_named(event_embedder_name(event.pk))
        selfie = self.read_selfie(options["selfie"], embedder)
        rules = self.rules(options, embedder.name)
        decision = find_matches(
            selfie.vector(embedder.name), embedder=embedder.name, filters=filters, rules=rules
        )
        matches = [(m, "sure") for m in decision.sure]
        if options["maybe"]:
            matches += [(m, "maybe") for m in decision.maybe]
        if options["limit"]:
            matches = matches[: options["limit"]]
        # Person matching reads the grouping, which the worker's minute job keeps up to
        # date; faces indexed since then are only found through single matching.
        grouping = EventGrouping.objects.filter(event=event).first()
        out_of_date = grouping is not None and grouping.is_out_of_date
        if out_of_date and rules.mode == "person":
            self.stderr.write(GROUPING_OUT_OF_DATE)
        self.print_matches(matches, as_json=options["json"], grouping_out_of_date=out_of_date)

    def rules(self, options, embedder: str) -> MatchRules:
        rules = MatchRules.for_embedder(embedder)
        if options["threshold"]:
            threshold = options["threshold"]
            rules = replace(
                rules,
                sure=threshold,
                sure_alone=threshold,
                maybe=max(rules.maybe, threshold),
            )
        if options["single"]:
            rules = replace(rules, mode="single")
        return rules

    def album_id(self, event: Event, title: str | None) -> int | None:
        if title is None:
            return None
        album = Album.objects.filter(event=event, title=title).first()
        if album is None:
            raise CommandError(f"No album {title!r} in event {event.slug!r}.")
        return album.pk

    def read_selfie(self, path: str, embedder: Embedder) -> selfies.Selfie:
        try:
            with open(path, "rb") as fp:
                selfie = selfies.read_selfie(fp=fp, embedders=[embedder])
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}.")
        except selfies.SelfieError as error:
            raise CommandError(str(error))
        if selfie.face_count > 1:
            box = selfie.face.box
            self.stderr.write(
                f"{selfie.face_count} faces in the selfie: using the largest "
                f"({box.width}x{box.height} px at {box.x},{box.y})."
            )
        return selfie

    def print_matches(self, matches, *, as_json: bool, grouping_out_of_date: bool) -> None:
        photos = Photo.objects.select_related("album").in_bulk([m.photo_id for m, _ in matches])
        rows = [
            {
                "photo_id": match.photo_id,
                "face_id": match.face_id,
                "original_filename": photos[match.photo_id].original_filename,
                "album": photos[match.photo_id].album.title,
                "taken_at": _iso(photos[match.photo_id].taken_at),
                "distance": round(match.distance, 4),
                "match": kind,
            }
            for match, kind in matches
        ]
        if as_json:
            output = {"grouping_out_of_date": grouping_out_of_date, "photos": rows}
            self.stdout.write(json.dumps(output, indent=2))
            return
        if not rows:
            self.stdout.write("No matching photos.")
        for row in rows:
            self.stdout.write(
                f"{row['distance']:.3f} {row['match']:5}  {row['album']}/{row['original_filename']}"
                f"  (photo {row['photo_id']}, taken {row['taken_at'] or 'unknown'})"
            )


def parse_moment(value: str | None, *, end_of_day: bool) -> dt.datetime | None:
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"Not a date: {value!r} (use YYYY-MM-DD or an ISO datetime).")
        moment = dt.datetime.combine(day, dt.time.max if end_of_day else dt.time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None
