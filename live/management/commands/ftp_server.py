"""The cameras' FTP receiver: ``manage.py ftp_server [--port N]`` (docs/live.md)."""

import logging

from django.conf import settings
from django.core.management.base import BaseCommand

from live.ftp import make_server


class Command(BaseCommand):
    help = "Receive photos from cameras by FTP (each event's camera accounts)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=settings.FTP_PORT)
        parser.add_argument("--host", default=settings.FTP_LISTEN, help="Address to listen on.")

    def handle(self, *args, **options):
        logging.getLogger("pyftpdlib").setLevel(logging.WARNING)  # one line per command else
        server = make_server(options["host"], options["port"])
        tls = " with FTPS" if settings.FTP_TLS_CERTFILE else ""
        self.stdout.write(f"FTP receiver on {options['host']}:{options['port']}{tls}")
        try:
            server.serve_forever(handle_exit=True)
        finally:
            server.close_all()
