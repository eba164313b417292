"""The emails registered attendees get, sent by the workers (django-q2 tasks).

Each has a plain-text and an HTML part, in the language the attendee registered in, a
fresh log-in link and the delete link (registrations.links). Sending is tried
``ATTENDEE_EMAIL_ATTEMPTS`` times, ``ATTENDEE_EMAIL_RETRY_SECONDS`` apart; a server
that refuses the address for good marks the registration undeliverable (no more
emails are tried); a server that stays unreachable puts the photos back, so the next
email announces them.
"""

import logging
import smtplib
import time

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from registrations import links, notify, services
from registrations.models import Registration, kept_until

logger = logging.getLogger(__name__)


class Undeliverable(Exception):
    """The mail server refused the address for good."""


def send_welcome(registration_id: int) -> bool:
    """The email that confirms the address: a link to the attendee's photos."""
    registration = _registration(registration_id)
    if registration is None:
        return False
    with translation.override(registration.language):
        subject = _("Your photos of %(event)s") % {"event": registration.event.name}
        context = {
            "found": len(registration.known_photo_ids),
            "confirmed": registration.is_confirmed,
        }
        return _send(registration, subject, "welcome", context)


def send_new_photos(registration_id: int, photo_ids: list[int]) -> bool:
    """The email about new photos: how many are the attendee's, how many may be
    (faces to check), and the link. Only photos that still are (a face hidden since,
    a person hidden, a "no" answered meanwhile) are counted."""
    registration = _registration(registration_id)
    if registration is None:
        return False
    results = services.current_results(registration)
    sure = set(results.sure) if results else set()
    to_check = set(notify.announceable(results)) - sure if results else set()
    new = [photo_id for photo_id in photo_ids if photo_id in sure]
    check = [photo_id for photo_id in photo_ids if photo_id in to_check]
    if not (new or check) or not registration.event.is_face_search_enabled:
        logger.info("Registration %s: no new photo to announce any more", registration_id)
        return False
    with translation.override(registration.language):
        subject = _subject(registration.event.name, len(new))
        sent = _send(registration, subject, "new_photos", {"new": len(new), "to_check": len(check)})
    if sent:
        services.count(registration.event, emails_sent=1)
    else:
        notify.put_back(registration_id, photo_ids)
    return sent


def _subject(event: str, new: int) -> str:
    if not new:
        return _("New photos of %(event)s may show you") % {"event": event}
    return ngettext(
        "%(count)s new photo of you at %(event)s",
        "%(count)s new photos of you at %(event)s",
        new,
    ) % {"count": new, "event": event}


def _registration(registration_id: int) -> Registration | None:
    registration = Registration.objects.select_related("event").filter(pk=registration_id).first()
    if registration is None:
        logger.info("Registration %s was deleted; no email sent", registration_id)
    elif registration.undeliverable_at is not None:
        logger.info("Registration %s is undeliverable; no email sent", registration_id)
        return None
    return registration


def _send(registration: Registration, subject: str, template: str, context: dict) -> bool:
    context = {
        "event": registration.event,
        "login_url": links.new_login_url(registration),
        "delete_url": links.delete_url(registration),
        "link_days": settings.ATTENDEE_LINK_MAX_AGE_DAYS,
        "kept_until": kept_until(registration.event, timezone.localdate(registration.created_at)),
        **context,
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"registrations/email/{template}.txt", context),
        to=[registration.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(
        render_to_string(f"registrations/email/{template}.html", context), "text/html"
    )
    try:
        _deliver(message)
    except Undeliverable as error:
        registration.undeliverable_at = timezone.now()
        registration.save(update_fields=["undeliverable_at"])
        logger.warning(
            "Registration %s: the mail server refused the address for good (%s); no more "
            "emails will be tried",
            registration.pk,
            error,
        )
        return False
    except (OSError, smtplib.SMTPException) as error:
        logger.error(
            "Registration %s: the %s email could not be sent after %s attempts (%r); it is "
            "tried again with the next one",
            registration.pk,
            template,
            settings.ATTENDEE_EMAIL_ATTEMPTS,
            error,
        )
        return False
    logger.info("Registration %s: %s email sent", registration.pk, template)
    return True


def _deliver(message: EmailMultiAlternatives) -> None:
    """Send, retrying what may pass later (a server down, a 4xx answer)."""
    attempts = max(1, settings.ATTENDEE_EMAIL_ATTEMPTS)
    for attempt in range(1, attempts + 1):
        try:
            message.send()
            return
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if all(500 <= code < 600 for code in codes):
                raise Undeliverable(str(codes)) from error
            if attempt == attempts:
                raise
        except (OSError, smtplib.SMTPException):
            if attempt == attempts:
                raise
        time.sleep(settings.ATTENDEE_EMAIL_RETRY_SECONDS * attempt)
