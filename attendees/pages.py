"""What every page behind a secret link shares: finding the event and the answer to a
link that does not work (the headers that keep them out of caches: core.http)."""

from django.http import HttpResponse
from django.shortcuts import render

from core import links
from photos.models import Event


def event_for_token(token: str) -> Event | None:
    # Tokens are 43 characters of a 256-bit secret: anything shorter is not one.
    if len(token) < 32:
        return None
    return Event.objects.filter(attendee_token=token).first()


def unknown_link(request, token: str) -> HttpResponse:
    """The page for a link that does not work (attendee or share link): "stopped by the
    organiser" (410) when it was replaced, taken back or its event deleted, else "may be
    mistyped" (404)."""
    stopped = links.was_revoked(token)
    response = render(
        request,
        "attendees/attendee_unknown.html",
        {"stopped": stopped},
        status=410 if stopped else 404,
    )
    response["X-Robots-Tag"] = "noindex"
    return response
