"""The live wall: an event's newest photos as a slideshow for a screen at the venue.

The organiser starts it (a secret address, /w/<token>/, to open on the screen) and
stops it (the address stops working at once and says so). It shows only processed
photos without a hidden face, rechecked at every poll and for every image: a photo
whose face is hidden while it is on the wall leaves it at the next poll.
"""

import secrets

from django.db.models import QuerySet

from core import links
from faces import api
from live.models import LiveWall
from photos.models import Event, Photo

NEWEST = 30  # the photos the slideshow goes round


def start(event: Event) -> LiveWall:
    wall, _ = LiveWall.objects.get_or_create(
        event=event, defaults={"token": secrets.token_urlsafe(32)}
    )
    return wall


def stop(event: Event) -> None:
    wall = LiveWall.objects.filter(event=event).first()
    if wall is not None:
        links.revoke(wall.token)
        wall.delete()


def wall_for_token(token: str) -> LiveWall | None:
    if len(token) < 32:
        return None
    return LiveWall.objects.filter(token=token).select_related("event").first()


def showable(event: Event) -> QuerySet:
    """The event's photos the wall may show: processed, no hidden face."""
    photos = Photo.objects.filter(event=event, processing_status=Photo.Status.DONE)
    return api.photos_without_hidden_faces(photos)


def newest(event: Event) -> list[int]:
    """The ids of the newest showable photos, newest first (by arrival: a live event's
    photos arrive in the order they were taken)."""
    return list(
        showable(event).order_by("-processed_at", "-id").values_list("id", flat=True)[:NEWEST]
    )
