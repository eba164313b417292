"""How many selfie searches attendees may make: sized for a venue on one Wi-Fi, and so
that nobody can use the limits to lock the venue out (docs/security.md, "Rate limits").

At an event, hundreds of guests share one public address (the venue's Wi-Fi, a phone
carrier's NAT), so the strict limit is per *browser*; what is shared (an address, a
network, the event) is counted only for searches that cost real work, and an event
under pressure slows down before it refuses a guest it has never seen.

**Before the upload is read** (:func:`count_attempt`), every search POST counts:

- per browser: ``ATTENDEE_SEARCHES_PER_BROWSER`` (10) per window. A browser is a random
  id in a signed cookie that the attendee pages give out; it cannot be forged, only
  fetched, so a script that fetches a fresh one for each post gets past this bucket,
  and the buckets below are what bound it;
- without a valid browser cookie: a strict bucket per address ("cookieless", the same
  size), so a script that keeps no cookies is stopped there while real browsers behind
  the same address each have their own.

These buckets belong to one browser (or to cookieless scripts), so junk posts in them
hurt nobody else.

**Once the request passed CSRF and carries a readable image** (:func:`admit`), it counts
toward what is shared, narrowest first, stopping at the first refusal:

- per network: the address (IPv4) or its /64 (IPv6), and for IPv6 its /48 too (one
  attacker can hold a /48 of 65,536 /64s): ``ATTENDEE_SEARCHES_PER_ADDRESS`` (400)
  each, a ceiling sized for a few hundred guests behind one address;
- per event: ``ATTENDEE_SEARCHES_PER_EVENT`` (600) is the event's budget, not a wall.
  Past it the event is *under pressure*: each search waits for the event's lane (one
  search of that event at a time per web process, up to
  ``ATTENDEE_PRESSURE_WAIT_SECONDS``, then a 503 with Retry-After), and a network that
  already used more than its fair share of the budget (the budget divided among the
  networks searching the event, never under ``ATTENDEE_FAIR_SHARE_MIN``) is refused,
  except for a browser's first search: a guest the event has never seen is slowed
  down, never refused because of others.
"""

import functools
import math
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core import ratelimit
from faces.api import SelfieBusy
from photos.images import check_header

COOKIE_NAME = "attendee_browser"
# The salt of the app this began in: cookies given before the move stay valid.
COOKIE_SALT = "faces.limits.browser-id"
# Long enough to cover an event and the days after it; refreshed on every visit.
COOKIE_MAX_AGE = 30 * 24 * 3600


@dataclass(frozen=True)
class Refusal:
    """Why a search was refused, in words for the attendee, and when to come back."""

    message: str
    retry_after: int
    status: int = 429


@dataclass(frozen=True)
class Attempt:
    """A search counted before its upload was read: is it the browser's first?"""

    first: bool


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
BUSY_MESSAGE = _(
    "Many people are searching this event's photos right now. Please try again in a "
    "minute; nothing was saved."
)

ATTEMPT_ATTRIBUTE = "_selfie_attempt"


def count_attempt(request) -> Refusal | None:
    """Count a search POST for its browser (or, without a valid cookie, in the address's
    cookieless bucket), before its upload is read. A Refusal if over."""
    browser = browser_id(request)
    window = settings.ATTENDEE_RATE_WINDOW_SECONDS
    if browser:
        scope, key = "selfie-browser", browser
    else:
        scope, key = "selfie-cookieless", ratelimit.client_key(request)
    hits = ratelimit.add_hit(scope, key, window_seconds=window)
    if hits > settings.ATTENDEE_SEARCHES_PER_BROWSER:
        return _refusal(scope, window)
    # A cookieless client is never "new": its bucket is shared by every such client.
    setattr(request, ATTEMPT_ATTRIBUTE, Attempt(first=bool(browser) and hits == 1))
    return None


def admit(request, *, event) -> tuple[Refusal | None, bool]:
    """Count a search that passed CSRF and carries a readable image toward its networks
    and its event. Returns (a Refusal or None, whether the event is under pressure)."""
    window = settings.ATTENDEE_RATE_WINDOW_SECONDS
    networks = ratelimit.client_networks(request)
    for network in networks:
        limit = settings.ATTENDEE_SEARCHES_PER_ADDRESS
        if not ratelimit.hit("selfie-address", network, limit=limit, window_seconds=window):
            return _refusal("selfie-address", window), False
    # Fairness between networks inside the event: the widest one (an IPv6 /48) counts,
    # so that one attacker's many /64s are one network here.
    used = ratelimit.add_hit(
        "selfie-event-network", f"{event.pk}:{networks[-1]}", window_seconds=window
    )
    if used == 1:
        ratelimit.add_hit("selfie-event-networks", str(event.pk), window_seconds=window)
    total = ratelimit.add_hit("selfie-event", str(event.pk), window_seconds=window)
    budget = settings.ATTENDEE_SEARCHES_PER_EVENT
    if total <= budget:
        return None, False
    attempt = getattr(request, ATTEMPT_ATTRIBUTE, Attempt(first=False))
    if not attempt.first and used > fair_share(event):
        ratelimit.refund("selfie-event", str(event.pk))  # refused: no pressure added
        return _refusal("selfie-event", window), True
    return None, True


def fair_share(event) -> int:
    """The searches one network may make in the event's window once the event is under
    pressure: its budget divided among the networks searching it."""
    networks = max(1, ratelimit.count("selfie-event-networks", str(event.pk)))
    return max(settings.ATTENDEE_FAIR_SHARE_MIN, settings.ATTENDEE_SEARCHES_PER_EVENT // networks)


_lanes: dict[int, threading.BoundedSemaphore] = {}
_lanes_lock = threading.Lock()


class EventBusy(SelfieBusy):
    """The event's lane stayed taken: the guest is asked to come back in a minute."""


class Refused(Exception):
    def __init__(self, refusal: Refusal):
        super().__init__(refusal.message)
        self.refusal = refusal


@contextmanager
def admitted(request, *, event, selfie):
    """Admit a selfie search whose CSRF passed: its file must be an image we can read
    (from its header: photos.images.ImageError otherwise, counted nowhere shared),
    then it counts toward its networks and event (:func:`admit`: Refused), and under
    pressure it runs in the event's lane (EventBusy)."""
    check_header(selfie, max_pixels=settings.SELFIE_MAX_PIXELS)
    refusal, under_pressure = admit(request, event=event)
    if refusal is not None:
        raise Refused(refusal)
    with event_lane(event, under_pressure=under_pressure):
        yield


@contextmanager
def event_lane(event, *, under_pressure: bool):
    """Under pressure, one search of the event at a time in this process: the event
    slows down (others wait up to ``ATTENDEE_PRESSURE_WAIT_SECONDS``, then EventBusy)
    instead of refusing guests, and other events keep their share of the machine."""
    if not under_pressure:
        yield
        return
    with _lanes_lock:
        lane = _lanes.setdefault(event.pk, threading.BoundedSemaphore(1))
    if not lane.acquire(timeout=settings.ATTENDEE_PRESSURE_WAIT_SECONDS):
        raise EventBusy(str(BUSY_MESSAGE))
    try:
        yield
    finally:
        lane.release()


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


def _refusal(scope: str, window: int) -> Refusal:
    return Refusal(str(MESSAGES[scope]).format(minutes=_minutes(window)), window)


def _minutes(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
