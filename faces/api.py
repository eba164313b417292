"""The face engine, for the other apps: the one module of ``faces`` they may import
(with ``faces.models`` and ``faces.signals``; tests/test_layers.py checks it).

Everything here takes and returns plain values or small typed results (dataclasses),
never half-finished rows, so that the engine behind it can change without its callers
reading it. The vector SQL stays inside faces.

- **Selfies**: :func:`search_by_selfie` reads a selfie in memory and finds its person's
  photos (a :class:`SelfieSearch`: the selfie, then a :class:`Decision` of sure
  :class:`PhotoMatch` es and "Is this you?" :class:`Question` s);
  :class:`SelfieError` (a message for the person), :class:`SelfieBusy`,
  :class:`SearchUnavailable`.
- **Stored vectors** (a registered attendee's): :func:`search_by_vector`,
  :func:`photos_within_reach`, :func:`face_vectors`, :func:`match_reach`.
- **People**: :func:`person_of_faces`, :func:`shared_person`, :func:`photos_of`,
  :func:`hide_people_of_faces`.
- **Faces**: :func:`face_crop_jpeg`.
"""

import numpy as np
from django.db.models import QuerySet

from faces import moderation, organiser_decisions
from faces.engines import embedders_for_new_faces, event_embedder_name
from faces.matching import Decision, MatchRules, PhotoMatch, Question
from faces.models import Face, FacePerson, Person, vector_model
from faces.search import find_matches
from faces.selfies import (
    SearchUnavailable,
    Selfie,
    SelfieBusy,
    SelfieError,
    SelfieSearch,
    search_by_selfie,
)
from photos.filters import SearchFilters

__all__ = [
    "Decision",
    "PhotoMatch",
    "Question",
    "SearchUnavailable",
    "Selfie",
    "SelfieBusy",
    "SelfieError",
    "SelfieSearch",
    "event_embedder_name",
    "face_crop_jpeg",
    "face_vectors",
    "hide_people_of_faces",
    "match_reach",
    "new_face_embedder_names",
    "person_of_faces",
    "photos_of",
    "photos_without_hidden_faces",
    "photos_within_reach",
    "search_by_selfie",
    "search_by_vector",
    "shared_person",
]


# --- stored vectors -----------------------------------------------------------------


def new_face_embedder_names(event_id: int) -> tuple[str, ...]:
    """The embedders new faces of the event get vectors from (during a model change,
    more than one): a vector kept for later must exist for each."""
    return tuple(embedder.name for embedder in embedders_for_new_faces(event_id))


def match_reach(embedder: str) -> float:
    """How far from a face vector a search of ``embedder`` looks at all."""
    return MatchRules.for_embedder(embedder).reach


def search_by_vector(vector: np.ndarray, *, embedder: str, event_id: int) -> Decision:
    """The photos of the person whose face is ``vector`` in the event (a stored vector:
    a registered attendee's), with the same rules as a selfie search."""
    return find_matches(
        vector,
        embedder=embedder,
        filters=SearchFilters(event_ids=[event_id]),
        rules=MatchRules.for_embedder(embedder),
    )


def photos_within_reach(
    vector: np.ndarray,
    *,
    embedder: str,
    event_id: int,
    photo_ids: list[int],
    excluding_faces: list[int] | QuerySet = (),
) -> set[int]:
    """Which of ``photo_ids`` hold a visible, matchable face within a search's reach of
    ``vector`` (but the faces in ``excluding_faces``): one indexed query on those
    photos, not a search of the whole event."""
    if not photo_ids:
        return set()
    rows = (
        vector_model(len(vector))
        .objects.searchable(embedder)
        .filter(event_id=event_id, photo_id__in=photo_ids)
        .exclude(face_id__in=excluding_faces)
        .with_distance(vector)
        .filter(distance__lt=match_reach(embedder))
    )
    return set(rows.values_list("photo_id", flat=True))


def face_vectors(
    *, event_id: int, embedder: str, face_ids: list[int], dimensions: int
) -> np.ndarray:
    """The searchable vectors of ``face_ids`` (a matrix, one row each; hidden and
    unmatchable faces have none)."""
    rows = (
        vector_model(dimensions)
        .objects.searchable(embedder)
        .filter(event_id=event_id, face_id__in=face_ids)
        .values_list("embedding", flat=True)
    )
    vectors = [np.asarray(embedding, dtype=np.float32) for embedding in rows]
    return np.asarray(vectors, dtype=np.float32).reshape(len(vectors), dimensions)


# --- people -------------------------------------------------------------------------


def person_of_faces(face_ids) -> dict[int, int]:
    """Face id -> the id of the person it belongs to (faces in no person left out)."""
    rows = FacePerson.objects.filter(face_id__in=face_ids).values_list("face_id", "person_id")
    return dict(rows)


def shared_person(token: str) -> Person | None:
    """The person a share link opens, None when unknown, revoked or hidden."""
    return organiser_decisions.shared_person(token)


def photos_of(person: Person) -> QuerySet:
    """The photos where the person's visible faces are (none for a hidden person)."""
    return organiser_decisions.photos_of(person)


def hide_people_of_faces(*, event_id: int, face_ids: list[int], user) -> int:
    """Hide the people ``face_ids`` belong to, everywhere in the event and in photos
    added later (as "Hide this person everywhere"), and those of the faces that belong
    to nobody; ``user`` is recorded as who hid them. Returns how many faces."""
    faces = Face.objects.filter(pk__in=face_ids, event_id=event_id)
    people = Person.objects.filter(
        memberships__face__in=faces, is_hidden=False, event_id=event_id
    ).distinct()
    hidden = sum(organiser_decisions.hide(person=person, user=user) for person in people)
    alone = faces.filter(grouping__isnull=True)
    return hidden + moderation.hide_faces(faces=alone, user=user)


# --- faces --------------------------------------------------------------------------


def face_crop_jpeg(face: Face) -> bytes:
    """The face with a margin, cut from its photo's preview, as a small JPEG."""
    return moderation.face_crop_jpeg(face)


def photos_without_hidden_faces(photos: QuerySet) -> QuerySet:
    """``photos`` less those holding a face the organiser or a moderator hid (someone
    who asked not to be shown, a person hidden everywhere): for pages anyone may see,
    such as the live wall."""
    hidden = Face.objects.filter(status=Face.Status.HIDDEN)
    return photos.exclude(pk__in=hidden.values("photo_id"))
