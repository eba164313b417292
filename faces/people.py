"""Grouping each event's faces into people (faces.grouping), kept up to date.

Processing notes that an event's faces changed (:func:`request_grouping`); a job every
minute (``faces.tasks.group_changed_events``) regroups the events that changed, so a
whole upload is absorbed in one run and grouping never races with itself.
``index_photos --sync`` groups at once.
"""

import numpy as np
from django.db import connection, transaction
from django.db.models import F

from faces.calibration import calibration_for
from faces.engines import event_embedder_name
from faces.grouping import group_faces
from faces.models import VECTOR_MODELS, FacePerson
from photos.models import Event


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
    embedder = event_embedder_name(event_id)
    face_ids, photo_ids, vectors = _matchable_vectors(event_id, embedder)
    labels = np.zeros(0, dtype=int)
    if len(face_ids):
        c = calibration_for(embedder)
        labels = group_faces(
            vectors,
            photo_ids,
            threshold=c.grouping,
            relative=c.grouping_relative,
            spread_floor=c.grouping_floor,
        )
    people = {label: number for number, label in enumerate(sorted(set(labels.tolist())), 1)}
    with transaction.atomic():
        numbers = [people[label] for label in labels.tolist()]
        _replace_people(event_id, face_ids.tolist(), numbers)
        Event.objects.filter(pk=event_id).update(faces_grouped_version=version)
    return len(people)


def _matchable_vectors(event_id: int, embedder: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Face ids, photo ids and vectors of the event's matchable faces, by the embedder
    answering its searches (hidden faces keep no vector, so none is here).

    Streamed into preallocated arrays: a list of 100,000 rows of 512 numbers would hold
    each vector several times over while it is converted.
    """
    for model in VECTOR_MODELS.values():
        rows = model.objects.filter(event_id=event_id, embedder=embedder, is_matchable=True)
        expected = rows.count()
        if not expected:
            continue
        dims = model._meta.get_field("embedding").dimensions
        face_ids = np.empty(expected, dtype=np.int64)
        photo_ids = np.empty(expected, dtype=np.int64)
        vectors = np.empty((expected, dims), dtype=np.float32)
        count = 0
        stream = rows.order_by("face_id").values_list("face_id", "photo_id", "embedding")
        for face_id, photo_id, embedding in stream.iterator(chunk_size=2000):
            if count == expected:
                break  # faces stored since the count: the next grouping takes them
            face_ids[count], photo_ids[count], vectors[count] = face_id, photo_id, embedding
            count += 1
        return face_ids[:count], photo_ids[:count], vectors[:count]
    return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 1), np.float32)


def _replace_people(event_id: int, face_ids: list[int], people: list[int]) -> None:
    """The event's grouping, written whole in two statements (FacePerson's docstring)."""
    FacePerson.objects.filter(event_id=event_id).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO faces_faceperson (face_id, event_id, person) "
            "SELECT face, %s, person FROM unnest(%s::bigint[], %s::integer[]) AS t(face, person) "
            # A face deleted since it was read (its photo processed again) is skipped.
            "WHERE EXISTS (SELECT 1 FROM faces_face WHERE faces_face.id = t.face)",
            [event_id, face_ids, people],
        )
