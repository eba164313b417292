"""Telling registered attendees about new photos of them.

1. **Which attendees new faces may concern** (:func:`match_new_faces`), run once the
   event's people are updated (the faces app's ``faces_grouped`` signal): every new
   face against every confirmed registration of the event at once, as one matrix
   product in numpy (not one query per photo, nor per registration). An attendee is
   concerned when a new face lies within the search's reach of their vector; only
   they are searched again, with their answers, and the photos they did not know of
   wait in ``pending_photo_ids``; so do the photos of faces that may be them (an
   "Is this you?" question), which the email asks them to check.
2. **Emails** (:func:`send_due`, every minute): one per attendee with photos waiting,
   at most every ``ATTENDEE_NOTIFY_EVERY_MINUTES``; the photos move to
   ``known_photo_ids`` when the email is queued, so no photo is announced twice.
   registrations.emails sends them in a worker, a batch per connection, with retries,
   after checking that each photo still shows the attendee's face, visible.

bench/registrations_bench.py: 10,000 registrations and a 500-photo upload.
"""

import logging
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from faces import api
from photos.models import Event
from registrations.models import Registration, RegistrationVector
from registrations.results import current_results

logger = logging.getLogger(__name__)

FACES_PER_PRODUCT = 1024  # new faces compared at once: bounds the distance matrix
EMAILS_PER_TASK = 50


def match_new_faces(*, event_id: int, face_ids: list[int]) -> int:
    """Find the registered attendees among ``face_ids`` (faces that just joined the
    event's people) and note their new photos. Returns how many attendees have new
    photos waiting."""
    event = Event.objects.filter(pk=event_id).first()
    if event is None or not event.is_face_search_enabled or not face_ids:
        return 0
    embedder = api.event_embedder_name(event_id)
    registration_ids, registered = _registered_vectors(event_id, embedder)
    if not registration_ids:
        return 0
    faces = api.face_vectors(
        event_id=event_id, embedder=embedder, face_ids=face_ids, dimensions=registered.shape[1]
    )
    reach = api.match_reach(embedder)
    concerned = _within_reach(registered, faces, reach)
    waiting = 0
    for registration_id in np.asarray(registration_ids)[concerned].tolist():
        waiting += _note_new_photos(registration_id)
    return waiting


def _registered_vectors(event_id: int, embedder: str) -> tuple[list[int], np.ndarray]:
    rows = RegistrationVector.objects.filter(
        event_id=event_id,
        embedder=embedder,
        registration__confirmed_at__isnull=False,
        registration__undeliverable_at__isnull=True,
    ).values_list("registration_id", "embedding")
    ids, vectors = [], []
    for registration_id, embedding in rows.iterator(chunk_size=2000):
        ids.append(registration_id)
        vectors.append(np.asarray(embedding, dtype=np.float32))
    return ids, np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1)


def _within_reach(registered: np.ndarray, faces: np.ndarray, reach: float) -> np.ndarray:
    """For each registered vector, whether any of ``faces`` is closer than ``reach``."""
    concerned = np.zeros(len(registered), dtype=bool)
    registered_norms = (registered * registered).sum(axis=1)
    for start in range(0, len(faces), FACES_PER_PRODUCT):
        chunk = faces[start : start + FACES_PER_PRODUCT]
        squared = (
            registered_norms[:, None]
            + (chunk * chunk).sum(axis=1)[None, :]
            - 2 * registered @ chunk.T
        )
        concerned |= (squared < reach * reach).any(axis=1)
    return concerned


def _note_new_photos(registration_id: int) -> int:
    """Search again for the attendee and add the photos they do not know of to those
    waiting for their next email: their photos, and apart those of faces that may be
    them ("Is this you?" about a face not in their photos, unanswered), which the email
    asks them to check. Returns 1 if some are waiting, else 0."""
    registration = Registration.objects.filter(pk=registration_id).first()
    results = registration and current_results(registration)
    if not results:
        return 0
    to_check = [q.photo for q in results.questions if q.kind == "candidate" and q.answer is None]
    with transaction.atomic():
        registration = Registration.objects.select_for_update().get(pk=registration_id)
        seen = {
            *registration.known_photo_ids,
            *registration.pending_photo_ids,
            *registration.pending_check_ids,
        }
        new = [photo_id for photo_id in results.sure if photo_id not in seen]
        check = [pk for pk in dict.fromkeys(to_check) if pk not in seen and pk not in new]
        if not (new or check):
            return 0
        registration.pending_photo_ids += new
        registration.pending_check_ids += check
        registration.save(update_fields=["pending_photo_ids", "pending_check_ids", "updated_at"])
    return 1


def send_due() -> int:
    """Queue the emails of the attendees with photos waiting whose last email is old
    enough, ``EMAILS_PER_TASK`` to a task (one connection to the mail server each).
    The photos become known now: no later run announces them again. Returns how many
    emails were queued."""
    every = timedelta(minutes=settings.ATTENDEE_NOTIFY_EVERY_MINUTES)
    now = timezone.now()
    due = (
        Registration.objects.filter(~Q(pending_photo_ids=[]) | ~Q(pending_check_ids=[]))
        .filter(
            Q(last_notified_at__isnull=True) | Q(last_notified_at__lte=now - every),
            confirmed_at__isnull=False,
            undeliverable_at__isnull=True,
            event__is_face_search_enabled=True,
        )
        .order_by("pk")
    )
    batch: list[tuple[int, list[int], list[int]]] = []
    with transaction.atomic():
        for registration in due.select_for_update(skip_locked=True, of=("self",)):
            sure, check = registration.pending_photo_ids, registration.pending_check_ids
            registration.known_photo_ids = sorted({*registration.known_photo_ids, *sure, *check})
            registration.pending_photo_ids, registration.pending_check_ids = [], []
            registration.last_notified_at = now
            registration.save(
                update_fields=[
                    "known_photo_ids",
                    "pending_photo_ids",
                    "pending_check_ids",
                    "last_notified_at",
                ]
            )
            batch.append((registration.pk, sure, check))
        for start in range(0, len(batch), EMAILS_PER_TASK):
            part = batch[start : start + EMAILS_PER_TASK]
            transaction.on_commit(
                lambda part=part: async_task(
                    "registrations.emails.send_new_photos", part, task_name="new-photos"
                )
            )
    return len(batch)


def put_back(registration_id: int, sure: list[int], check: list[int]) -> None:
    """An email that could not be sent: its photos wait for the next one."""
    with transaction.atomic():
        registration = Registration.objects.select_for_update().filter(pk=registration_id).first()
        if registration is None:
            return
        returned = {*sure, *check}
        registration.known_photo_ids = [
            pk for pk in registration.known_photo_ids if pk not in returned
        ]
        registration.pending_photo_ids = sorted({*registration.pending_photo_ids, *sure})
        registration.pending_check_ids = sorted({*registration.pending_check_ids, *check})
        registration.save(
            update_fields=["known_photo_ids", "pending_photo_ids", "pending_check_ids"]
        )
