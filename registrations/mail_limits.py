"""How many emails one address may be sent because somebody filled in a form.

The register form and "Email me a new link" take any address, from anyone holding
the event link: without a limit, a script could make the site mail-bomb a stranger
(15 posts naming one address sent 15 emails). So every email a form causes (the
welcome, "someone registered your address again", a new link) is counted against its
recipient, whoever sends the form and from wherever:

- ``ATTENDEE_MAILS_PER_ADDRESS_PER_EVENT`` (3) per day for one event, and
- ``ATTENDEE_MAILS_PER_ADDRESS`` (6) per day over every event of the site.

Past either, the form answers exactly as usual (nobody learns anything about the
address) and no email is queued. "New photos" emails are not counted here: they only
go to addresses whose owner confirmed them, at most once per
``ATTENDEE_NOTIFY_EVERY_MINUTES``. The counters are keyed by a keyed hash of the
address, never the address (core.ratelimit).
"""

import logging

from django.conf import settings

from core import ratelimit

logger = logging.getLogger(__name__)

DAY = 24 * 3600


def may_email(email: str, *, event_id: int) -> bool:
    """Count one form-caused email to ``email`` for the event; False once over a limit
    (the wider count is then not used up)."""
    recipient = ratelimit.private_key(email.strip().lower())
    allowed = ratelimit.hit(
        "mail-recipient-event",
        f"{event_id}:{recipient}",
        limit=settings.ATTENDEE_MAILS_PER_ADDRESS_PER_EVENT,
        window_seconds=DAY,
    ) and ratelimit.hit(
        "mail-recipient", recipient, limit=settings.ATTENDEE_MAILS_PER_ADDRESS, window_seconds=DAY
    )
    if not allowed:
        logger.info("Event %s: an address had its emails for the day; none queued", event_id)
    return allowed
