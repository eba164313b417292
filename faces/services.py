"""Face processing of photos: claim, detect, embed, store; and the stale-work sweeper."""

import datetime as dt
import io
import logging
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task
from PIL import ImageDraw

from faces.analysis import ANALYSIS_SIDE, FaceRules, find_faces, largest_face
from faces.backends import get_detector, get_embedder
from faces.backends.base import Box, DetectedFace
from faces.grouping import group_faces
from faces.models import Face
from faces.search import MatchRules, PhotoMatch, SearchFilters, find_matches
from photos.images import ImageError, LoadedImage, open_image, resized_to_fit
from photos.models import Event, Photo
from photos.services import make_renditions

logger = logging.getLogger(__name__)

ERROR_MESSAGE_LIMIT = 1000


def queue_face_detection(*, photo: Photo) -> None:
    """Mark the photo as waiting and enqueue its processing once the transaction commits."""
    Photo.objects.filter(pk=photo.pk).update(faces_status=Photo.Status.PENDING, faces_error="")
    photo_id = photo.pk
    transaction.on_commit(
        lambda: async_task("faces.tasks.process_photo", photo_id, task_name=f"photo-{photo_id}")
    )


def claim_photo(*, photo_id: int) -> bool:
    """Take the photo for processing, unless another worker is on it right now.

    A photo left "processing" longer than the task timeout was abandoned by a worker
    that died: it can be claimed again.
    """
    stale_before = timezone.now() - dt.timedelta(seconds=settings.Q_CLUSTER["timeout"])
    claimable = ~Q(faces_status=Photo.Status.PROCESSING) | Q(processing_started_at__lt=stale_before)
    changed = Photo.objects.filter(claimable, pk=photo_id).update(
        faces_status=Photo.Status.PROCESSING,
        processing_started_at=timezone.now(),
        processing_attempts=F("processing_attempts") + 1,
    )
    return changed == 1


def process_photo(*, photo_id: int) -> Photo | None:
    """Renditions and faces for one photo; idempotent. Returns None if not claimed."""
    if not claim_photo(photo_id=photo_id):
        return None
    photo = Photo.objects.get(pk=photo_id)
    try:
        loaded = load_photo(photo=photo)
        make_renditions(photo=photo, loaded=loaded)
        faces = find_faces(
            loaded,
            detector=get_detector(),
            embedder=get_embedder(),
            rules=FaceRules.from_settings(),
        )
        store_faces(photo=photo, faces=faces, embedder_name=get_embedder().name)
    except ImageError as error:
        return _mark_failed(photo, str(error))
    except Exception as error:
        logger.exception("Processing photo %s failed", photo_id)
        return _mark_failed(photo, f"{type(error).__name__}: {error}")
    photo.refresh_from_db()
    return photo


def load_photo(*, photo: Photo) -> LoadedImage:
    with photo.file.open("rb") as fp:
        return open_image(fp, max_pixels=settings.PHOTOS_MAX_PIXELS, decode_side=ANALYSIS_SIDE)


def store_faces(*, photo: Photo, faces: list[DetectedFace], embedder_name: str) -> None:
    """Replace the photo's faces with ``faces`` in one transaction and mark it done.

    A face that staff or the organiser hid stays hidden when detection runs again
    and finds it at the same place with the same embedder.
    """
    with transaction.atomic():
        hidden = list(
            photo.faces.filter(status=Face.Status.HIDDEN, embedder=embedder_name).defer("embedding")
        )
        photo.faces.all().delete()
        rows = [_face_row(photo, face, embedder_name, hidden) for face in faces]
        Face.objects.bulk_create(rows)
        Photo.objects.filter(pk=photo.pk).update(
            faces_status=Photo.Status.DONE,
            faces_error="",
            face_count=len(rows),
            processed_at=timezone.now(),
        )
        request_grouping(event_id=photo.event_id)


# --- grouping faces into people ------------------------------------------------------


def request_grouping(*, event_id: int) -> None:
    """Note that the event's faces changed: the periodic grouping job will regroup it.

    A job every minute (``setup_schedules``) rather than one per photo: it absorbs a
    whole upload's worth of photos in one run and cannot race with itself.
    """
    Event.objects.filter(pk=event_id).update(faces_version=F("faces_version") + 1)


def group_changed_events() -> list[int]:
    """Regroup every event whose faces changed since its last grouping."""
    changed = Event.objects.filter(faces_version__gt=F("faces_grouped_version"))
    event_ids = list(changed.values_list("pk", flat=True))
    for event_id in event_ids:
        group_event_faces(event_id=event_id)
    return event_ids


def group_event_faces(*, event_id: int) -> int | None:
    """Group the event's matchable faces into people; returns how many people.

    Returns None when nothing changed since the last grouping. Faces stored while
    this runs keep their old label and bump the version, so the next run sees them.
    """
    event = Event.objects.filter(pk=event_id).first()
    if event is None or event.faces_grouped_version >= event.faces_version:
        return None
    version = event.faces_version
    faces = list(
        Face.objects.visible()
        .filter(event_id=event_id, is_matchable=True, embedder=get_embedder().name)
        .order_by("id")
        .values_list("id", "photo_id", "embedding")
    )
    labels = np.zeros(0, dtype=int)
    if faces:
        vectors = np.array([row[2] for row in faces], dtype=np.float32)
        photo_ids = np.array([row[1] for row in faces])
        labels = group_faces(vectors, photo_ids, threshold=settings.FACES_GROUPING_THRESHOLD)
    people = {label: number for number, label in enumerate(sorted(set(labels.tolist())), 1)}
    updates = [
        Face(id=row[0], person=people[label]) for row, label in zip(faces, labels, strict=True)
    ]
    with transaction.atomic():
        Face.objects.bulk_update(updates, ["person"], batch_size=2000)
        Event.objects.filter(pk=event_id).update(faces_grouped_version=version)
    return len(people)


def _face_row(photo: Photo, face: DetectedFace, embedder_name: str, hidden: list[Face]) -> Face:
    row = Face(
        photo=photo,
        event_id=photo.event_id,
        x=face.box.x,
        y=face.box.y,
        width=face.box.width,
        height=face.box.height,
        score=face.box.score,
        sharpness=face.sharpness,
        is_matchable=face.is_matchable,
        embedding=np.asarray(face.embedding, dtype=np.float32),
        embedder=embedder_name,
    )
    box = face.box
    for old in hidden:
        if box.iou(Box(old.x, old.y, old.width, old.height, old.score)) >= 0.5:
            row.status = Face.Status.HIDDEN
            row.moderated_by_id, row.moderated_at = old.moderated_by_id, old.moderated_at
            break
    return row


def _mark_failed(photo: Photo, message: str) -> Photo:
    Photo.objects.filter(pk=photo.pk).update(
        faces_status=Photo.Status.FAILED,
        faces_error=message[:ERROR_MESSAGE_LIMIT],
        processed_at=timezone.now(),
    )
    photo.refresh_from_db()
    return photo


def retry_photos(*, photos) -> int:
    """Queue failed (or any given) photos for processing again. Returns how many."""
    count = 0
    with transaction.atomic():
        for photo in photos:
            queue_face_detection(photo=photo)
            count += 1
    return count


def requeue_stale_photos() -> int:
    """Give up on or re-queue photos whose worker died mid-way. Returns how many.

    django-q2 re-delivers a task whose worker vanished, but after ``max_attempts``
    it drops it; this sweeper guarantees that no photo stays "processing" forever.
    """
    q = settings.Q_CLUSTER
    stale_before = timezone.now() - dt.timedelta(seconds=q["retry"] + q["timeout"])
    stale = Photo.objects.filter(
        faces_status=Photo.Status.PROCESSING, processing_started_at__lt=stale_before
    )
    given_up = stale.filter(processing_attempts__gte=q["max_attempts"]).update(
        faces_status=Photo.Status.FAILED,
        faces_error="Processing was interrupted several times (the worker stopped or ran "
        "out of memory). Retry it, or check the photo.",
        processed_at=timezone.now(),
    )
    requeued = 0
    for photo in stale.filter(processing_attempts__lt=q["max_attempts"]):
        with transaction.atomic():
            queue_face_detection(photo=photo)
        requeued += 1
    return given_up + requeued


class SelfieError(ValueError):
    """A selfie that cannot be searched with; the message is shown to the attendee."""


@dataclass(frozen=True)
class Selfie:
    face: DetectedFace
    face_count: int
    width: int
    height: int
    preview_jpeg: bytes  # a small copy with the face used boxed; shown once, never stored


def read_selfie(*, fp, pick=None) -> Selfie:
    """Find the face to search with in a selfie, in memory only.

    Several faces: the largest is used (``face_count`` says how many were seen);
    ``pick(faces, loaded)`` chooses otherwise (the evaluation takes the labelled,
    central face).
    Raises SelfieError for unreadable images, no face, or a face too small or too
    blurred to match reliably.
    """
    try:
        loaded = open_image(fp, max_pixels=settings.PHOTOS_MAX_PIXELS, decode_side=ANALYSIS_SIDE)
    except ImageError as error:
        raise SelfieError(str(error)) from error
    faces = find_faces(
        loaded, detector=get_detector(), embedder=get_embedder(), rules=FaceRules.from_settings()
    )
    face = pick(faces, loaded) if pick else largest_face(faces)
    if face is None:
        raise SelfieError(
            "No face was found in this picture. Use a photo where your face is well lit, "
            "seen from the front, and fills a good part of the picture."
        )
    if not face.is_matchable:
        raise SelfieError(
            "Your face is too small or too blurred in this picture to be matched reliably. "
            "Move closer to the camera, hold it still, and try again."
        )
    return Selfie(
        face=face,
        face_count=len(faces),
        width=loaded.width,
        height=loaded.height,
        preview_jpeg=_selfie_preview(loaded, face),
    )


def _selfie_preview(loaded: LoadedImage, face: DetectedFace) -> bytes:
    image = resized_to_fit(loaded.image, 360).copy()
    ratio = image.width / loaded.width
    box = face.box
    corners = [
        box.x * ratio,
        box.y * ratio,
        (box.x + box.width) * ratio,
        (box.y + box.height) * ratio,
    ]
    ImageDraw.Draw(image).rectangle(corners, outline=(49, 208, 124), width=3)
    data = io.BytesIO()
    image.save(data, "JPEG", quality=80)
    return data.getvalue()


@dataclass(frozen=True)
class SelfieSearch:
    selfie: Selfie
    sure: list[PhotoMatch]
    maybe: list[PhotoMatch]


def search_by_selfie(*, fp, filters: SearchFilters) -> SelfieSearch:
    """Photos of the selfie's person: sure matches, then a "maybe" group.

    The selfie is read in memory and dropped; raises SelfieError for unusable selfies.
    """
    selfie = read_selfie(fp=fp)
    sure, maybe = find_matches(
        selfie.face.embedding,
        embedder=get_embedder().name,
        filters=filters,
        rules=MatchRules.from_settings(),
    )
    return SelfieSearch(selfie=selfie, sure=sure, maybe=maybe)
