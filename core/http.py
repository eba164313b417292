"""Headers shared by every response behind a secret link (attendee, share and wall
links): kept out of caches and search engines."""

from django.http import HttpResponse


def private(response: HttpResponse) -> HttpResponse:
    """No cache, no index: for pages and files reached through a secret link."""
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
