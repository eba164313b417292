"""How many selfie searches attendees may make: sized for a venue on one Wi-Fi.

At an event, hundreds of guests share one public address (the venue's Wi-Fi, a phone
carrier's NAT), so a limit per address that stops a script also stops the guests. The
limits are therefore counted per *browser*, with an address-wide ceiling sized for a
crowd (docs/security.md, "Rate limits"):

- per browser: ``ATTENDEE_SEARCHES_PER_BROWSER`` (10) per window. A browser is a random
  id in a signed cookie that the attendee page gives out; it cannot be forged without
  ``SECRET_KEY``, so a script must fetch the page for every new id.
- without a valid browser cookie: a strict bucket per address ("cookieless", the same
  size as the per-browser one). A script that keeps no cookies is stopped there, while
  300 real browsers behind one address each have their own bucket.
- per address: ``ATTENDEE_SEARCHES_PER_ADDRESS`` (400), bounding a script that mints a
  new browser id for each search.
- per event: ``ATTENDEE_SEARCHES_PER_EVENT`` (600), bounding the work one event's link
  can cause, from any number of addresses.

Buckets are counted narrowest first and counting stops at the first refusal, so a
refused browser does not use up its address's or its event's allowance for others.
"""

import functools
import math
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core import ratelimit

COOKIE_NAME = "attendee_browser"
COOKIE_SALT = "faces.limits.browser-id"
# Long enough to cover an event and the days after it; refreshed on every visit.
COOKIE_MAX_AGE = 30 * 24 * 3600


@dataclass(frozen=True)
class Refusal:
    """Why a search was refused, in words for the attendee, and when to come back."""

    message: str
    retry_after: int


MESSAGES = {
    "selfie-browser": _(
        "Too many searches from this browser in a short time. Please wait up to "
        "{minutes}, then try again with a clear, well-lit selfie."
    ),
    "selfie-cookieless": _(
        "Too many searches from here in a short time. Please allow cookies for this "
        "site (they only count searches), reload the page and try again, or wait up to "
        "{minutes}."
    ),
    "selfie-address": _(
        "Too many searches from your network in a short time. Please wait up to "
        "{minutes} and try again, or search over mobile data instead of this Wi-Fi."
    ),
    "selfie-event": _(
        "This event's photos have been searched very often in the last few minutes. "
        "Please wait up to {minutes} and try again."
    ),
}


def count_search(request, *, event) -> Refusal | None:
    """Count one selfie search for this browser, address and event; a Refusal if over."""
    browser = browser_id(request)
    address = ratelimit.client_key(request)
    per_browser = settings.ATTENDEE_SEARCHES_PER_BROWSER
    buckets = [
        ("selfie-browser", browser, per_browser)
        if browser
        else ("selfie-cookieless", address, per_browser),
        ("selfie-address", address, settings.ATTENDEE_SEARCHES_PER_ADDRESS),
        ("selfie-event", str(event.pk), settings.ATTENDEE_SEARCHES_PER_EVENT),
    ]
    window = settings.ATTENDEE_RATE_WINDOW_SECONDS
    for scope, key, limit in buckets:
        if not ratelimit.hit(scope, key, limit=limit, window_seconds=window):
            return Refusal(str(MESSAGES[scope]).format(minutes=_minutes(window)), window)
    return None


def browser_id(request) -> str | None:
    """The id in the browser's signed cookie, or None if it has none (or a forged one)."""
    return request.get_signed_cookie(
        COOKIE_NAME, default=None, salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE
    )


def with_browser_id(view):
    """Give the browser its id (a new one if it has none) on every answer but a 404.

    Only holders of a working attendee link get ids, and a browser that reached the
    search without one (a page from before this cookie, cookies cleared) has one for its
    next search.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code != 404:
            response.set_signed_cookie(
                COOKIE_NAME,
                browser_id(request) or secrets.token_urlsafe(16),
                salt=COOKIE_SALT,
                max_age=COOKIE_MAX_AGE,
                path="/e/",
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    return wrapper


def _minutes(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
