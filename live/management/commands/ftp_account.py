"""A camera account for scripts: ``manage.py ftp_account --event SLUG [--album TITLE]
[--json]`` prints the user, password, host and port (creating the account the first
time; the same account afterwards)."""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from live import services
from live.models import CameraAccount
from photos.models import Event
from photos.services import get_or_create_album


class Command(BaseCommand):
    help = "Print (creating it if needed) the FTP account cameras use for an event's album."

    def add_arguments(self, parser):
        parser.add_argument("--event", required=True, help="Event slug.")
        parser.add_argument("--album", default="", help="Album title (default: the event's name).")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        event = Event.objects.filter(slug=options["event"]).first()
        if event is None:
            raise CommandError(f"No event with the slug {options['event']!r}.")
        album = get_or_create_album(event=event, title=options["album"])
        account = CameraAccount.objects.filter(album=album).first()
        if account is None:
            account = services.create_account(album=album)
        details = {
            "user": account.username,
            "password": account.password,
            "host": settings.FTP_HOST or "localhost",
            "port": settings.FTP_PORT,
            "tls": bool(settings.FTP_TLS_CERTFILE),
            "event": event.slug,
            "album": album.title,
        }
        if options["json"]:
            self.stdout.write(json.dumps(details))
            return
        for key, value in details.items():
            self.stdout.write(f"{key:9}{value}")
