"""Selfies from the camera only (an event option): a signed, single-use capture ticket.

When an organiser asks for camera selfies, the attendee page offers the camera and no
file picker, and carries a ticket signed with ``SECRET_KEY`` for this event. The page's
script sends the ticket only with a picture it took from the camera; the search accepts
a selfie only with a valid, unused ticket of at most ``TICKET_MAX_AGE`` seconds.

What this does and does not do: it stops an attendee from choosing a saved picture
(someone's face cut out of their results, a photo from a social network) in the page.
It cannot prove that the bytes came from a camera: a determined person can script the
page or point the camera at a screen. That is why it is an option on top of the checks
every search has (faces.api.search_by_selfie: no event photo, no face of the event).
"""

import secrets

from django.core import signing
from django.utils.translation import gettext_lazy as _

from core import ratelimit
from photos.models import Event

SALT = "faces.camera.capture-ticket"  # the app it began in: tickets given stay valid
TICKET_MAX_AGE = 15 * 60

MESSAGE = _(
    "This event asks for a selfie taken with the camera on this page. Press "
    "“Use the camera”, then “Take photo”."
)


def new_ticket(event: Event) -> str:
    return signing.dumps({"event": event.pk, "nonce": secrets.token_urlsafe(12)}, salt=SALT)


def use_ticket(ticket: str, event: Event) -> bool:
    """True once for a valid ticket of this event; False if forged, old, or used."""
    try:
        data = signing.loads(ticket or "", salt=SALT, max_age=TICKET_MAX_AGE)
    except signing.BadSignature:
        return False
    if data.get("event") != event.pk:
        return False
    return ratelimit.hit("capture-ticket", data["nonce"], limit=1, window_seconds=TICKET_MAX_AGE)
