"""Face processing of photos: claim, decode, renditions, detect, embed, store; and the
sweeper for work a dead worker left behind.

Started by the one hook from photos (docs/architecture.md): ``photos.services.
request_processing`` marks photos waiting and, on commit, sends
``photos.signals.processing_requested``; faces/apps.py connects
``faces.tasks.queue_processing`` to it, which queues ``faces.tasks.process_photo``,
which calls :func:`process_photo_overlapped` here (commands and tests call
:func:`process_photo`, which returns when the photo is done).
"""

import datetime as dt
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

from core.db import DATABASE_ERRORS, through_database_outage
from faces import hidden_seeds, people_facts, people_upkeep
from faces.analysis import (
    ANALYSIS_SIDE,
    FaceRules,
    FoundFace,
    current_rule,
    detail_for,
    detect_faces,
    embed_vectors,
)
from faces.engines import embedder_named, embedders_for_new_faces, get_detector
from faces.models import EventEmbedder, Face, FacePerson, HiddenArea, Person
from faces.vector_rows import stored_vector_row
from photos.images import ImageError, LoadedImage, open_image
from photos.models import Photo
from photos.services import render_renditions, request_processing, save_renditions

logger = logging.getLogger(__name__)

# One helper thread per worker process, beside the models: it draws each photo's
# previews while the models find and embed its faces, then (for queued photos) saves
# them, stores the faces and groups them while the worker's own thread goes on with the
# next photo's models. One thread, first in first out: a photo's previews are drawn
# before its faces are stored.
HELPER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="photo-helper")
# The last photo handed to the helper: the next one waits for it before being handed
# over, so a worker is never more than one photo ahead of its helper (a long grouping
# there cannot pile up decoded photos in memory).
_handed_over: Future | None = None

ERROR_MESSAGE_LIMIT = 1000
UNEXPECTED_FAILURE = gettext_lazy(
    "Something went wrong while finding the faces in this photo. Retry it; if it fails "
    "again, the administrator can find the cause in the worker's log."
)


@dataclass
class Analysed:
    """A photo the models are done with: what is left is to save and store it."""

    photo: Photo
    renditions: Future
    faces: list[FoundFace]
    vectors: dict[str, np.ndarray]


def claim_photo(*, photo_id: int) -> bool:
    """Take the photo for processing, unless another worker is on it right now.

    A photo left "processing" longer than the task timeout was abandoned by a worker
    that died: it can be claimed again.
    """
    stale_before = timezone.now() - dt.timedelta(seconds=settings.Q_CLUSTER["timeout"])
    claimable = ~Q(processing_status=Photo.Status.PROCESSING) | Q(
        processing_started_at__lt=stale_before
    )
    changed = Photo.objects.filter(claimable, pk=photo_id).update(
        processing_status=Photo.Status.PROCESSING,
        processing_started_at=timezone.now(),
        processing_attempts=F("processing_attempts") + 1,
    )
    return changed == 1


def process_photo(*, photo_id: int) -> Photo | None:
    """Renditions and faces for one photo, all of it before returning; idempotent.

    Returns None if another worker has it, or if the photo was deleted before or while
    it was processed (then the renditions it wrote are queued for deletion).
    """
    deadline = _deadline()
    analysed = _claim_and_analyse(photo_id, deadline)
    if not isinstance(analysed, Analysed):
        return analysed
    return _finish(analysed, deadline)


def process_photo_overlapped(*, photo_id: int) -> Future | None:
    """The worker's way (faces.tasks.process_photo): the models run here, and the rest
    (renditions saved, faces stored, live grouping: a tenth of the time) in the helper
    thread, on the database's own connection there, while this thread returns for the
    next photo. Returns the helper's future of the photo (done already if the photo
    failed), or None as :func:`process_photo` does.

    A worker process that stops waits for the helper (concurrent.futures joins its
    threads at exit); one that is killed leaves the photo "processing", which the
    stale-photo sweep queues again, as for a worker killed mid-photo.
    """
    deadline = _deadline()
    analysed = _claim_and_analyse(photo_id, deadline)
    if not isinstance(analysed, Analysed):
        return finished(analysed)
    global _handed_over
    if _handed_over is not None:
        _handed_over.result()  # never raises: the helper logs its own failures
    _handed_over = HELPER.submit(_finish_in_helper, analysed, deadline, translation.get_language())
    return _handed_over


def finished(photo: Photo | None) -> Future | None:
    """What :func:`process_photo_overlapped` returns for a photo already done with."""
    if photo is None:
        return None
    done = Future()
    done.set_result(photo)
    return done


def _deadline() -> float:
    # A database that is away for a moment (a restart, a failover) is waited for, at
    # the claim and during the work: the task has already been taken from the queue,
    # so failing it would leave the photo to the stale-photo sweep, minutes later.
    # One budget for all waits, within the task timeout (the rest is for the work).
    return time.monotonic() + settings.Q_CLUSTER["timeout"] * 0.8


def _claim_and_analyse(photo_id: int, deadline: float) -> "Analysed | Photo | None":
    """Claim the photo and run the models on it: the photo's :class:`Analysed`, the
    photo marked failed, or None (another worker has it, or it was deleted)."""
    claimed = through_database_outage(
        lambda: claim_photo(photo_id=photo_id), give_up_after=deadline - time.monotonic()
    )
    if not claimed:
        return None
    try:
        return through_database_outage(
            lambda: _analyse(photo_id), give_up_after=max(1.0, deadline - time.monotonic())
        )
    except Photo.DoesNotExist:
        logger.info("Photo %s was deleted while it was processed; nothing stored", photo_id)
        return None


def _analyse(photo_id: int) -> "Analysed | Photo":
    photo = Photo.objects.get(pk=photo_id)
    try:
        loaded = load_photo(photo=photo)
        # The previews are drawn in the helper thread while the models find and embed
        # the faces (both let the other run): the photo is done sooner
        # (bench/worker_profile.py).
        renditions = HELPER.submit(render_renditions, loaded)
        found = detect_faces(loaded, detector=get_detector(), rules=FaceRules.from_settings())
        # A camera's group photo: its small faces from the full pixels (a second,
        # full decode, only then).
        detail = detail_for(loaded, found, lambda: load_photo_full(photo=photo))
        vectors = {
            embedder.name: embed_vectors(loaded, found, embedder, detail)
            for embedder in embedders_for_new_faces(photo.event_id)
        }
    except (Photo.DoesNotExist, *DATABASE_ERRORS):
        raise
    except ImageError as error:
        return _mark_failed(photo, str(error))
    except Exception as error:
        return _failed_unexpectedly(photo, error)
    return Analysed(photo, renditions, found, vectors)


def _finish(analysed: Analysed, deadline: float) -> Photo | None:
    """Save the renditions, store the faces, group them if the event is caught up."""
    photo = analysed.photo
    try:
        return through_database_outage(
            lambda: _save_and_store(analysed), give_up_after=max(1.0, deadline - time.monotonic())
        )
    except Photo.DoesNotExist:
        logger.info("Photo %s was deleted while it was processed; nothing stored", photo.pk)
        return None


def _finish_in_helper(analysed: Analysed, deadline: float, language: str | None) -> Photo | None:
    close_old_connections()  # the helper's own connection, as a request would
    try:
        with translation.override(language):
            return _finish(analysed, deadline)
    except Exception:
        # Nobody waits on this future: the cause goes to the log, and the photo, still
        # "processing", is queued again by the stale-photo sweep.
        logger.exception("Storing the faces of photo %s failed", analysed.photo.pk)
        return None


def _save_and_store(analysed: Analysed) -> Photo:
    photo = analysed.photo
    try:
        save_renditions(photo=photo, renditions=analysed.renditions.result())
        store_faces(photo=photo, faces=analysed.faces, vectors=analysed.vectors)
        group_if_caught_up(photo)
    except (Photo.DoesNotExist, *DATABASE_ERRORS):
        raise
    except Exception as error:
        return _failed_unexpectedly(photo, error)
    photo.refresh_from_db()
    return photo


def _failed_unexpectedly(photo: Photo, error: Exception) -> Photo:
    if not Photo.objects.filter(pk=photo.pk).exists():
        raise Photo.DoesNotExist from error  # deleted meanwhile, its file with it
    # The technical cause goes to the log; the organiser reads what to do.
    logger.exception("Processing photo %s failed", photo.pk)
    return _mark_failed(photo, str(UNEXPECTED_FAILURE))


def group_if_caught_up(photo: Photo) -> None:
    """When this was the event's last photo waiting, its people are brought up to date
    now, so that a guest's search finds the photo seconds after the camera sent it, not
    at the next minute's grouping job. A camera's photo or two: their faces join their
    people one at a time (faces.people_upkeep.join_new_faces_now, milliseconds; the job
    still groups properly later). The end of a backlog (an album uploaded at once, a
    camera's burst): the job's own grouping, at once (measured: after a burst of 150
    photos, 82 were not yet a guest's sure match 15 s after the last one was processed,
    waiting for the minute's job). While photos queue up, nothing: the one grouping at
    the end takes them all."""
    waiting = Photo.objects.filter(
        event_id=photo.event_id,
        processing_status__in=[Photo.Status.PENDING, Photo.Status.PROCESSING],
    ).exclude(pk=photo.pk)
    if waiting.exists():
        return
    try:
        if not people_upkeep.join_new_faces_now(event_id=photo.event_id):
            people_upkeep.group_event_faces(event_id=photo.event_id)
    except DATABASE_ERRORS:
        raise
    except Exception:  # the minute's job tries again; the photo itself is done
        logger.exception("Grouping the faces of event %s failed", photo.event_id)


def load_photo(*, photo: Photo) -> LoadedImage:
    with photo.file.open("rb") as fp:
        return open_image(fp, max_pixels=settings.PHOTOS_MAX_PIXELS, decode_side=ANALYSIS_SIDE)


def load_photo_full(*, photo: Photo) -> LoadedImage:
    """The photo at full size, for the small faces of a reduced copy
    (faces.analysis.full_detail)."""
    with photo.file.open("rb") as fp:
        return open_image(fp, max_pixels=settings.PHOTOS_MAX_PIXELS)


def store_faces(*, photo: Photo, faces: list[FoundFace], vectors: dict[str, np.ndarray]) -> None:
    """Replace the photo's faces with ``faces`` and their ``vectors`` (embedder name ->
    one row per face) in one transaction, and mark the photo done.

    A face found where staff or the organiser hid one (a :class:`HiddenArea`), or one
    of a person hidden everywhere (faces.hidden_seeds), is stored hidden and without
    any vector, whatever detector or embedder found it.
    The first embedder of ``vectors`` is recorded for the event if it has none yet.
    """
    with transaction.atomic():
        # Locked first: a delete of the photo waits for these faces, then removes them
        # (rather than deadlocking on them). Raises Photo.DoesNotExist if it is gone.
        Photo.objects.select_for_update().only("pk").get(pk=photo.pk)
        hidden = list(HiddenArea.objects.filter(photo=photo))
        photo.faces.all().delete()
        rows = [_face_row(photo, face, hidden) for face in faces]
        claimed = hidden_seeds.hidden_matches(photo.event_id, vectors, len(rows))
        for row, person in zip(rows, claimed, strict=True):
            if person is not None and row.status == Face.Status.VISIBLE:
                _hide_as(row, person)
        rows = Face.objects.bulk_create(rows)
        FacePerson.objects.bulk_create(hidden_seeds.memberships(rows, claimed))
        # The organiser's word about the faces found here before stays true.
        people_facts.apply_to_new_faces(photo.pk, rows)
        for name, embedded in vectors.items():
            _store_vectors(rows, name, embedded)
        if vectors:
            embedder = embedder_named(next(iter(vectors)))
            EventEmbedder.objects.get_or_create(
                event_id=photo.event_id,
                defaults={"embedder": embedder.name, "vectors_rule": current_rule(embedder)},
            )
        Photo.objects.filter(pk=photo.pk).update(
            processing_status=Photo.Status.DONE,
            processing_error="",
            processed_at=timezone.now(),
        )
        people_upkeep.request_grouping(event_id=photo.event_id)


def _face_row(photo: Photo, face: FoundFace, hidden: list[HiddenArea]) -> Face:
    box = face.full_box
    row = Face(
        photo=photo,
        event_id=photo.event_id,
        x=box.x,
        y=box.y,
        width=box.width,
        height=box.height,
        score=box.score,
        landmarks=list(box.landmarks) if box.landmarks else None,
        sharpness=face.sharpness,
        is_matchable=face.is_matchable,
    )
    area = next((a for a in hidden if a.covers(box.x, box.y, box.width, box.height)), None)
    if area is not None:
        row.status = Face.Status.HIDDEN
        row.moderated_by_id, row.moderated_at = area.hidden_by_id, area.hidden_at
    return row


def _hide_as(row: Face, person: Person) -> None:
    """Store the face hidden, as its person was hidden, and remember its place."""
    row.status = Face.Status.HIDDEN
    row.moderated_by_id, row.moderated_at = person.hidden_by_id, timezone.now()
    HiddenArea.of(row, person.hidden_by_id).save()


def _store_vectors(faces: list[Face], embedder_name: str, vectors: np.ndarray) -> None:
    """One vector row per visible face (a hidden face keeps none)."""
    embedder = embedder_named(embedder_name)
    rows = [
        stored_vector_row(face, embedder, vector)
        for face, vector in zip(faces, vectors, strict=True)
        if face.status == Face.Status.VISIBLE
    ]
    if rows:
        type(rows[0]).objects.bulk_create(rows)


def _mark_failed(photo: Photo, message: str) -> Photo:
    Photo.objects.filter(pk=photo.pk).update(
        processing_status=Photo.Status.FAILED,
        processing_error=message[:ERROR_MESSAGE_LIMIT],
        processed_at=timezone.now(),
    )
    photo.refresh_from_db()
    return photo


def requeue_stale_photos() -> int:
    """Give up on or re-queue photos whose worker died mid-way. Returns how many.

    django-q2 re-delivers a task whose worker vanished, but after ``max_attempts``
    it drops it; this sweeper guarantees that no photo stays "processing" forever.
    """
    q = settings.Q_CLUSTER
    stale_before = timezone.now() - dt.timedelta(seconds=q["retry"] + q["timeout"])
    stale = Photo.objects.filter(
        processing_status=Photo.Status.PROCESSING, processing_started_at__lt=stale_before
    )
    given_up = 0
    exhausted = stale.filter(processing_attempts__gte=q["max_attempts"])
    for language in set(exhausted.values_list("event__language", flat=True)):
        with translation.override(language):
            given_up += exhausted.filter(event__language=language).update(
                processing_status=Photo.Status.FAILED,
                processing_error=gettext(
                    "Processing was interrupted several times (the worker stopped or ran "
                    "out of memory). Retry it, or check the photo."
                ),
                processed_at=timezone.now(),
            )
    requeued = 0
    for photo in stale.filter(processing_attempts__lt=q["max_attempts"]):
        with transaction.atomic():
            request_processing(photos=[photo])
        requeued += 1
    return given_up + requeued
