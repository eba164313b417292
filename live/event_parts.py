"""The live card of the organiser's event page (registered through photos.extensions):
the cameras' FTP accounts with what to type into each camera, and the live figures."""

from django.conf import settings
from django.urls import reverse

from live import services
from live.models import LiveWall
from photos import extensions


def ftp_host(request) -> str:
    """What a camera types as the server: FTP_HOST, else the host of this page."""
    return settings.FTP_HOST or request.get_host().rsplit(":", 1)[0]


def card(request, event) -> dict:
    return {
        "event": event,
        "accounts": list(event.camera_accounts.select_related("album")),
        "albums": list(event.albums.all()),
        "ftp_host": ftp_host(request),
        "ftp_port": settings.FTP_PORT,
        "ftp_tls": bool(settings.FTP_TLS_CERTFILE),
        "status": services.live_status(event),
        "wall_url": _wall_url(request, event),
    }


def _wall_url(request, event) -> str:
    found = LiveWall.objects.filter(event=event).first()
    return request.build_absolute_uri(reverse("live:wall", args=[found.token])) if found else ""


def register() -> None:
    extensions.add_part("event", "live/_event_card.html", context=card)
