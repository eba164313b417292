"""Registering, the registered attendee's photos, answers, and deleting it all.

docs/privacy.md says what is stored and for how long; this module is the only place
that writes registrations (the matching of new photos is registrations.notify).
"""

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task

from faces import api
from photos.filters import SearchFilters
from photos.models import Event
from registrations import hide_requests, links, mail_limits, results
from registrations.links import link_max_age
from registrations.models import (
    EventCounts,
    HideRequest,
    LoginLink,
    Registration,
    RegistrationVector,
    retention_days,
)

logger = logging.getLogger(__name__)


def register(
    *, event: Event, email: str, share_email: bool, selfie, language: str = ""
) -> api.SelfieSearch:
    """Register ``email`` for the event with the face in ``selfie``; returns the
    selfie's search, for the browser that registered (its own results page).

    A new address gets an unconfirmed registration and a welcome email whose link
    confirms it. An address already registered is **not changed**: the new selfie and
    choices wait in a log-in link emailed to that address ("someone registered your
    address again"), and only using that link applies them (registrations.links).
    Both answer the same, so the form tells nobody who is registered; neither logs
    the browser in. Emails count against the recipient's limits (mail_limits).

    The selfie is read in memory and dropped (faces.selfies); only its vectors are
    kept. Raises faces.selfies.SelfieError / SelfieBusy before anything is saved.
    """
    search = api.search_by_selfie(
        fp=selfie,
        filters=SearchFilters(event_ids=[event.pk]),
        refuse_event_faces=True,
        also_embed=api.new_face_embedder_names(event.pk),
    )
    email = email.strip().lower()
    change = {
        "share_email": share_email,
        "language": language,
        "found": [match.photo_id for match in search.sure],
        "vectors": {name: vector.tolist() for name, vector in search.selfie.vectors.items()},
    }
    with transaction.atomic():
        registration = _new_registration(event, email, change)
        if registration is not None:
            task, argument, what = "registrations.emails.send_welcome", registration.pk, "made"
        else:
            registration = Registration.objects.get(event=event, email__iexact=email)
            link = LoginLink.objects.create(registration=registration, change=change)
            task, argument, what = "registrations.emails.send_change", str(link.pk), "asked again"
        if mail_limits.may_email(email, event_id=event.pk):
            transaction.on_commit(
                lambda: async_task(task, argument, task_name=f"{what}-{registration.pk}")
            )
    logger.info("Registration %s for event %s %s", registration.pk, event.pk, what)
    return search


def _new_registration(event: Event, email: str, change: dict) -> Registration | None:
    """The registration of an address new to the event, or None if it is known (also
    when another request registered it a moment ago: the unique constraint says so)."""
    if Registration.objects.filter(event=event, email__iexact=email).exists():
        return None
    try:
        with transaction.atomic():
            registration = Registration.objects.create(
                event=event,
                email=email,
                share_email=change["share_email"],
                language=change["language"] or "en-gb",
                consented_at=timezone.now(),
                known_photo_ids=sorted(set(change["found"])),
            )
    except IntegrityError:
        return None
    _store_vectors(registration, change["vectors"])
    add_to_counts(event, registered=1)
    return registration


def _store_vectors(registration: Registration, vectors: dict[str, list[float]]) -> None:
    registration.vectors.all().delete()
    RegistrationVector.objects.bulk_create(
        RegistrationVector(
            registration=registration,
            event_id=registration.event_id,
            embedder=name,
            embedding=vector,
        )
        for name, vector in vectors.items()
    )


def open_login_link(link: LoginLink) -> Registration:
    """Use a link from an email (once): confirms the address, applies the change the
    link carries (a re-registration), and returns the registration to log in as.
    Raises links.LinkError("used") for a second use."""
    registration = links.use_login_link(link)
    if link.change:
        apply_change(registration, link.change)
        # Applied: the new vectors are the registration's now, not kept twice.
        LoginLink.objects.filter(pk=link.pk).update(change=None)
        registration.refresh_from_db()
    return registration


def apply_change(registration: Registration, change: dict) -> None:
    """Apply a re-registration the owner of the address confirmed by using its link:
    the new selfie's vectors and choices replace the old ones (answers stay: only the
    owner, logged in through a link, can have given them)."""
    with transaction.atomic():
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        registration.share_email = change["share_email"]
        registration.language = change["language"] or registration.language
        registration.consented_at = timezone.now()
        registration.known_photo_ids = _union(registration.known_photo_ids, change["found"])
        # What was waiting is on the page the attendee is about to see.
        registration.pending_photo_ids, registration.pending_check_ids = [], []
        registration.undeliverable_at = None
        registration.save()
        _store_vectors(registration, change["vectors"])
    logger.info("Registration %s: its owner applied a new selfie", registration.pk)


def has_registrations(event_id: int) -> bool:
    return Registration.objects.filter(event_id=event_id, confirmed_at__isnull=False).exists()


def queue_new_link(*, event: Event, email: str) -> None:
    """Email a new log-in link (the welcome email again) if ``email`` is registered
    for the event and within its email limits; nothing otherwise, silently."""
    registration = Registration.objects.filter(event=event, email__iexact=email).first()
    if registration is not None and mail_limits.may_email(email, event_id=event.pk):
        async_task(
            "registrations.emails.send_welcome",
            registration.pk,
            task_name=f"link-{registration.pk}",
        )


def add_to_counts(event: Event, **increments: int) -> None:
    """Add to the organiser's counts of the event's registrations."""
    EventCounts.objects.get_or_create(event=event)
    EventCounts.objects.filter(event=event).update(
        **{name: F(name) + value for name, value in increments.items()}
    )


def _union(first: list[int], second: list[int]) -> list[int]:
    return sorted(set(first) | set(second))


def delete_registration(registration: Registration, *, hide_me: bool = False) -> HideRequest | None:
    """Delete the registration, its vectors and answers at once. With ``hide_me``,
    first note a request to be hidden in the event's photos (the faces their search
    finds now), which the organiser approves or declines: nothing is hidden before
    (anyone can register with a photo of somebody else). Returns that request."""
    registration_id, event = registration.pk, registration.event
    with transaction.atomic():
        request = (
            hide_requests.ask_to_hide(registration, face_ids=results.faces_found(registration))
            if hide_me
            else None
        )
        registration.delete()
        add_to_counts(event, deleted_by_attendee=1)
    logger.info(
        "Registration %s for event %s deleted by the attendee%s",
        registration_id,
        event.pk,
        f"; hide request {request.pk} waits for the organiser" if request else "",
    )
    return request


def delete_expired() -> int:
    """Delete registrations past their event's retention period, and those whose
    address was never confirmed within a log-in link's life; decided hide requests go
    at the same date. Returns how many registrations were deleted."""
    today = timezone.localdate()
    unconfirmed = Q(confirmed_at__isnull=True, created_at__lt=timezone.now() - link_max_age())
    deleted = 0
    with_data = Q(registrations__isnull=False) | Q(hide_requests__isnull=False)
    for event in Event.objects.filter(with_data).distinct():
        # kept_until() < today, in SQL: the event's start and the registration's day
        # are both before the retention period that ends today.
        cutoff = today - timedelta(days=retention_days(event))
        start = event.ends_on or event.starts_on
        expired = unconfirmed
        if start is None or start < cutoff:
            expired |= Q(created_at__date__lt=cutoff)
        if start is None or start < cutoff:
            decided = event.hide_requests.exclude(decision=HideRequest.Decision.WAITING)
            decided.filter(requested_at__date__lt=cutoff).delete()
        removed = event.registrations.filter(expired).delete()[1]
        removed = removed.get("registrations.Registration", 0)
        if removed:
            add_to_counts(event, expired=removed)
            deleted += removed
    return deleted
