"""The emails registered attendees get, sent by the workers (django-q2 tasks).

Each has a plain-text and an HTML part, in the language the attendee registered in, a
fresh log-in link and the delete link (registrations.links). Sending is tried
``ATTENDEE_EMAIL_ATTEMPTS`` times, ``ATTENDEE_EMAIL_RETRY_SECONDS`` apart; a server
that refuses the address for good marks the registration undeliverable (no more
emails are tried); a server that stays unreachable puts the photos back, for this
email and the rest of its batch (not tried: the server is down), so the next run
announces them.
"""

import logging
import smtplib
import time

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from registrations import links, notify, results, services
from registrations.models import HideRequest, LoginLink, Registration, kept_until

logger = logging.getLogger(__name__)


class Undeliverable(Exception):
    """The mail server refused the address for good."""


class MailServerDown(Exception):
    """The mail server could not be reached (or kept failing) through every attempt."""


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
        try:
            return _send(registration, subject, "welcome", context)
        except MailServerDown:
            return False


def send_change(link_id: str) -> bool:
    """ "Someone registered your address again": the change waits in the link, which
    only the owner of the address can open. Nothing changed until they do."""
    link = LoginLink.objects.select_related("registration__event").filter(pk=link_id).first()
    if link is None or link.used_at is not None or not link.change:
        logger.info("Change link %s is gone or used; no email sent", link_id)
        return False
    registration = _registration(link.registration_id)
    if registration is None:
        return False
    with translation.override(registration.language):
        subject = _("Someone registered your address for %(event)s") % {
            "event": registration.event.name
        }
        try:
            return _send(registration, subject, "change", {}, login_url=links.login_url(link))
        except MailServerDown:
            return False


def send_hide_decision(request_id: int) -> bool:
    """Tell the guest who asked to be hidden what the organiser decided (their
    registration is gone: this email has no links)."""
    request = HideRequest.objects.select_related("event").filter(pk=request_id).first()
    if request is None or request.is_waiting or request.guest_told_at is not None:
        return False
    context = {"event": request.event, "approved": request.decision == request.Decision.APPROVED}
    with translation.override(request.language):
        subject = _("Your request about the photos of %(event)s") % {"event": request.event.name}
        message = EmailMultiAlternatives(
            subject=_one_line(subject),
            body=render_to_string("registrations/email/hide_decision.txt", context),
            to=[request.email],
            headers={"Auto-Submitted": "auto-generated"},
        )
        message.attach_alternative(
            render_to_string("registrations/email/hide_decision.html", context), "text/html"
        )
    try:
        _deliver(message)
    except (Undeliverable, OSError, smtplib.SMTPException) as error:
        logger.warning("Hide request %s: the decision could not be emailed (%r)", request.pk, error)
        return False
    HideRequest.objects.filter(pk=request.pk).update(guest_told_at=timezone.now())
    logger.info("Hide request %s: the guest was told the decision", request.pk)
    return True


def send_new_photos(batch: list[tuple[int, list[int], list[int]]]) -> int:
    """The emails about new photos, over one connection to the mail server: for each
    (registration, its photos, photos of faces that may be them), how many there are
    and the link. Returns how many were sent."""
    sent = 0
    connection = get_connection()  # opened by the first send, inside its retries
    try:
        for index, (registration_id, sure, check) in enumerate(batch):
            try:
                sent += _send_new_photos(registration_id, sure, check, connection)
            except MailServerDown:
                # Not one more attempt per email: the rest wait for the next run.
                for later_id, later_sure, later_check in batch[index:]:
                    notify.put_back(later_id, later_sure, later_check)
                break
            except Exception:
                # One email that cannot be written or sent (a bug, a header the mail
                # library refuses) never stops the others: logged, and dropped.
                logger.exception("Registration %s: the new-photos email failed", registration_id)
    finally:
        connection.close()
    return sent


def _send_new_photos(registration_id: int, sure: list[int], check: list[int], connection) -> bool:
    """One attendee's email. Only photos that still show them are counted: a face
    hidden since (or its person), a "no" answered meanwhile leave theirs out."""
    registration = _registration(registration_id)
    if registration is None or not registration.event.is_face_search_enabled:
        return False
    showing = results.photos_still_showing(registration, [*sure, *check])
    new = [photo_id for photo_id in sure if photo_id in showing]
    to_check = [photo_id for photo_id in check if photo_id in showing]
    if not (new or to_check):
        logger.info("Registration %s: no new photo to announce any more", registration_id)
        return False
    with translation.override(registration.language):
        subject = _subject(registration.event.name, len(new))
        context = {"new": len(new), "to_check": len(to_check)}
        delivered = _send(registration, subject, "new_photos", context, connection=connection)
    if delivered:
        services.add_to_counts(registration.event, emails_sent=1)
    return delivered


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


def _send(
    registration: Registration,
    subject: str,
    template: str,
    context: dict,
    *,
    connection=None,
    login_url: str = "",
) -> bool:
    context = {
        "event": registration.event,
        "registration_email": registration.email,
        "login_url": login_url or links.new_login_url(registration),
        "delete_url": links.delete_url(registration),
        "link_days": settings.ATTENDEE_LINK_MAX_AGE_DAYS,
        "kept_until": kept_until(registration.event, timezone.localdate(registration.created_at)),
        **context,
    }
    message = EmailMultiAlternatives(
        subject=_one_line(subject),
        body=render_to_string(f"registrations/email/{template}.txt", context),
        to=[registration.email],
        headers={"Auto-Submitted": "auto-generated"},
        connection=connection,
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
        raise MailServerDown(str(error)) from error
    logger.info("Registration %s: %s email sent", registration.pk, template)
    return True


def _one_line(text: str) -> str:
    """A subject on one line: an event name may hold a newline, which a mail header
    must not (Django refuses it, and the email would never go)."""
    return " ".join(text.split())


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
        if message.connection is not None:
            message.connection.close()  # the next attempt connects afresh
        time.sleep(settings.ATTENDEE_EMAIL_RETRY_SECONDS * attempt)
