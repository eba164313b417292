"""The links in attendees' emails: signed with SECRET_KEY, so they cannot be made up.

- **log-in links** (``/e/<event>/me/<token>/``): the id of a ``LoginLink`` row, signed
  with a timestamp. Each works once (the row records its use) and for
  ``ATTENDEE_LINK_MAX_AGE_DAYS``; opening it asks for one click, so that a mail
  scanner that fetches every link does not use it up.
- **delete links** (``/e/<event>/delete/<token>/``): the registration's id, signed. It
  works as long as the registration exists, from any email, and asks for confirmation.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from registrations.models import LoginLink, Registration

LOGIN_SALT = "registrations.login-link"
DELETE_SALT = "registrations.delete-link"


class LinkError(Exception):
    """Why a link cannot be used: ``reason`` is "invalid", "expired" or "used"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def new_login_url(registration: Registration) -> str:
    return login_url(LoginLink.objects.create(registration=registration))


def login_url(link: LoginLink) -> str:
    token = signing.TimestampSigner(salt=LOGIN_SALT).sign(link.pk.hex)
    event_token = link.registration.event.attendee_token
    return absolute(reverse("registrations:login", args=[event_token, token]))


def delete_url(registration: Registration) -> str:
    token = signing.Signer(salt=DELETE_SALT).sign(str(registration.pk))
    return absolute(
        reverse("registrations:delete_link", args=[registration.event.attendee_token, token])
    )


def link_max_age() -> timedelta:
    return timedelta(days=settings.ATTENDEE_LINK_MAX_AGE_DAYS)


def check_login_token(token: str, *, event_id: int) -> LoginLink:
    """The unused log-in link ``token`` names, for a registration of the event; raises
    LinkError otherwise. Does not use it (see :func:`use_login_link`)."""
    try:
        value = signing.TimestampSigner(salt=LOGIN_SALT).unsign(token, max_age=link_max_age())
        link_id = uuid.UUID(hex=value)
    except signing.SignatureExpired as error:
        raise LinkError("expired") from error
    except (signing.BadSignature, ValueError) as error:
        raise LinkError("invalid") from error
    link = LoginLink.objects.filter(pk=link_id, registration__event_id=event_id).first()
    if link is None:
        raise LinkError("invalid")  # its registration was deleted, or another event's
    if link.used_at is not None:
        raise LinkError("used")
    return link


def use_login_link(link: LoginLink) -> Registration:
    """Mark the link used (exactly once, even with two clicks at the same moment) and
    confirm the registration's address. Raises LinkError("used") for the second."""
    now = timezone.now()
    used = LoginLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now)
    if not used:
        raise LinkError("used")
    Registration.objects.filter(pk=link.registration_id, confirmed_at__isnull=True).update(
        confirmed_at=now
    )
    return Registration.objects.select_related("event").get(pk=link.registration_id)


def registration_for_delete_token(token: str) -> Registration | None:
    """The registration a delete link names (whatever event link it was sent under:
    a new attendee link must not break the delete links already mailed)."""
    try:
        registration_id = int(signing.Signer(salt=DELETE_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return Registration.objects.select_related("event").filter(pk=registration_id).first()


def delete_old_links() -> int:
    """Log-in links past their age, or used more than a day ago (kept that long to say
    "already used" rather than "not valid" to someone who clicks twice)."""
    now = timezone.now()
    old = Q(created_at__lt=now - link_max_age()) | Q(used_at__lt=now - timedelta(days=1))
    return LoginLink.objects.filter(old).delete()[0]
