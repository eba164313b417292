"""Which registration a browser is logged in as, per event (after a link from an
email, or registering in that browser). Only the registration's id is kept."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from photos.models import Event
from registrations.models import Registration

SESSION_KEY = "registrations"

REREGISTER_MESSAGE = _(
    "This event changed the way it recognises faces since you registered. Register "
    "again with a new selfie to keep getting your photos."
)


def log_in(session, registration: Registration) -> None:
    """A new session key (a key planted or seen before, on a shared phone say, does
    not lead to the attendee's photos), kept for ATTENDEE_LOGIN_SESSION_DAYS."""
    session.cycle_key()
    stored = dict(session.get(SESSION_KEY, {}))
    stored[str(registration.event_id)] = registration.pk
    session[SESSION_KEY] = stored
    session.set_expiry(settings.ATTENDEE_LOGIN_SESSION_DAYS * 24 * 3600)


def log_out(session, event: Event) -> None:
    stored = dict(session.get(SESSION_KEY, {}))
    if stored.pop(str(event.pk), None) is not None:
        session[SESSION_KEY] = stored


def registration_of(session, event: Event) -> Registration | None:
    registration_id = session.get(SESSION_KEY, {}).get(str(event.pk))
    if registration_id is None:
        return None
    registration = Registration.objects.filter(pk=registration_id, event=event).first()
    if registration is None:  # deleted (from an email, or expired): forget it here too
        log_out(session, event)
    return registration
