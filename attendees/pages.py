"""What every page behind a secret link shares: finding the event, the answer to a
link that does not work, and headers that keep the pages out of caches and indexes."""

from django.http import HttpResponse
from django.shortcuts import render

from photos.models import Event


def event_for_token(token: str) -> Event | None:
    # Tokens are 43 characters of a 256-bit secret: anything shorter is not one.
    if len(token) < 32:
        return None
    return Event.objects.filter(attendee_token=token).first()


def unknown_link(request) -> HttpResponse:
    """The page for an unknown, replaced or revoked link (attendee or share link)."""
    response = render(request, "attendees/attendee_unknown.html", status=404)
    response["X-Robots-Tag"] = "noindex"
    return response


def private(response: HttpResponse) -> HttpResponse:
    """No cache, no index: for pages and files reached through a secret link."""
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
