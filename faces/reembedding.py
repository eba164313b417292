"""Moving events to another face embedder without downtime.

A face keeps one vector per embedder (faces.models.FaceVector). A model change:

1. :func:`start_switch` records, for each event, the embedder being computed
   (``EventEmbedder.switching_to``); from then on new photos get its vectors as well.
2. :func:`reembed_photos` computes it for the faces that lack it, photo by photo,
   from the stored boxes and landmarks: no face is detected again, so face ids, hides,
   confirmations and everything else tied to a face stay as they are. (A face stored
   without landmarks takes them from a fresh detection of the same place.)
3. :func:`finish_if_covered`: once every visible face of the event has the new vector,
   the event answers from it and is regrouped. Until then every search and the
   grouping keep using the old embedder's vectors, which are all there.
4. :func:`drop_vectors` deletes an embedder's vectors once no event uses them.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from django.db import transaction
from django.db.models import Exists, OuterRef

from faces import hidden_seeds, people_upkeep
from faces.analysis import FoundFace, detail_for, embed_vectors
from faces.engines import get_detector
from faces.models import VECTOR_MODELS, EventEmbedder, Face, Person, vector_model
from faces.processing import load_photo, load_photo_full
from faces.vector_rows import stored_vector_row
from ml.base import Box, Embedder
from ml.loader import inference_lock
from photos.images import ImageError, LoadedImage
from photos.models import Photo

logger = logging.getLogger(__name__)

# Photos per background task: a few seconds of work, far under the task timeout.
PHOTOS_PER_TASK = 40


@dataclass(frozen=True)
class Coverage:
    event_id: int
    answering: str  # the embedder the event's searches use now
    switching_to: str  # "" when no change is under way
    faces: int  # visible faces
    covered: int  # of them, with a vector from switching_to (or from answering)

    @property
    def share(self) -> float:
        return self.covered / self.faces if self.faces else 1.0


def coverage(event_id: int) -> Coverage | None:
    """How far the event's model change is (None: the event has no faces yet)."""
    row = EventEmbedder.objects.filter(event_id=event_id).first()
    if row is None:
        return None
    target = row.switching_to or row.embedder
    visible = Face.objects.filter(event_id=event_id, status=Face.Status.VISIBLE)
    covered = sum(
        model.objects.filter(
            event_id=event_id, embedder=target, face__status=Face.Status.VISIBLE
        ).count()
        for model in VECTOR_MODELS.values()
    )
    return Coverage(event_id, row.embedder, row.switching_to, visible.count(), covered)


def start_switch(*, embedder: Embedder, event_ids: list[int] | None = None) -> list[int]:
    """Record ``embedder`` as the one being computed for the events (every event with
    faces when None). Returns the events that need work; an event already answering
    from it needs none (and a change to a third embedder under way is replaced)."""
    rows = EventEmbedder.objects.all()
    if event_ids is not None:
        rows = rows.filter(event_id__in=event_ids)
    rows.filter(embedder=embedder.name).exclude(switching_to="").update(switching_to="")
    switching = rows.exclude(embedder=embedder.name)
    switching.update(switching_to=embedder.name)
    return sorted(switching.values_list("event_id", flat=True))


def photos_missing(*, event_id: int, embedder: Embedder) -> list[int]:
    """Photos of the event with a visible face that has no vector from ``embedder``."""
    has_vector = vector_model(embedder.dimensions).objects.filter(
        face_id=OuterRef("pk"), embedder=embedder.name
    )
    return sorted(
        Face.objects.filter(event_id=event_id, status=Face.Status.VISIBLE)
        .exclude(Exists(has_vector))
        .values_list("photo_id", flat=True)
        .distinct()
    )


def reembed_photos(*, photo_ids: list[int], embedder: Embedder) -> tuple[int, list[str]]:
    """Vectors from ``embedder`` for the visible faces of the photos that lack one.

    Returns how many vectors were stored, and a line per photo that could not be read
    (its faces stay uncovered: the event does not switch until it is processed again
    or deleted).
    """
    stored, problems = 0, []
    model = vector_model(embedder.dimensions)
    for photo in Photo.objects.filter(pk__in=photo_ids, processing_status=Photo.Status.DONE):
        has_vector = model.objects.filter(face_id=OuterRef("pk"), embedder=embedder.name)
        faces = list(photo.faces.filter(status=Face.Status.VISIBLE).exclude(Exists(has_vector)))
        if not faces:
            continue
        try:
            loaded = load_photo(photo=photo)
        except (ImageError, OSError) as error:
            logger.warning("Photo %s could not be re-embedded: %s", photo.pk, error)
            problems.append(f"photo {photo.pk} ({photo.original_filename}): {error}")
            continue
        vectors = embed_stored_faces(
            loaded, faces, embedder, decode_full=lambda photo=photo: load_photo_full(photo=photo)
        )
        stored += store_new_vectors(faces, vectors, embedder)
    return stored, problems


def embed_stored_faces(
    loaded: LoadedImage,
    faces: list[Face],
    embedder: Embedder,
    decode_full: Callable[[], LoadedImage] | None = None,
) -> np.ndarray:
    """The vectors of faces already stored, from their boxes in the decoded copy, or,
    for small faces of a reduced copy, from the full pixels when ``decode_full`` is
    given: as the photo's processing embeds them (faces.analysis.full_detail)."""
    boxes = [_box_in_copy(face, loaded.scale) for face in faces]
    pixels = loaded.as_array()
    if any(box.landmarks is None for box in boxes):
        boxes = _with_detected_landmarks(pixels, boxes)
    # As stored: a face too small or blurred to match was embedded plain (no mirror).
    found = [
        FoundFace(box, box.scaled(1 / loaded.scale), 0.0, face.is_matchable)
        for box, face in zip(boxes, faces, strict=True)
    ]
    return embed_vectors(loaded, found, embedder, detail_for(loaded, found, decode_full))


def _box_in_copy(face: Face, scale: float) -> Box:
    landmarks = tuple(face.landmarks) if face.landmarks else None
    return Box(face.x, face.y, face.width, face.height, face.score, landmarks).scaled(scale)


def _with_detected_landmarks(pixels: np.ndarray, boxes: list[Box]) -> list[Box]:
    """Landmarks for boxes stored without them (older faces), from the detection that
    overlaps each most (at least half); the others keep none (the embedder then
    estimates them from the box)."""
    with inference_lock:
        detected = [box for box in get_detector().detect(pixels) if box.landmarks]
    result = []
    for box in boxes:
        best = max(detected, key=box.iou, default=None)
        if box.landmarks is None and best is not None and box.iou(best) >= 0.5:
            box = replace(box, landmarks=best.landmarks)
        result.append(box)
    return result


def store_new_vectors(faces: list[Face], vectors: np.ndarray, embedder: Embedder) -> int:
    """Store one vector per face, for the faces still visible (hidden or deleted
    meanwhile: skipped). Returns how many were stored."""
    with transaction.atomic():
        # Locked: a hide of one of these faces waits, then deletes what is stored here.
        visible = set(
            Face.objects.select_for_update()
            .filter(pk__in=[face.pk for face in faces], status=Face.Status.VISIBLE)
            .values_list("pk", flat=True)
        )
        rows = [
            stored_vector_row(face, embedder, vector)
            for face, vector in zip(faces, vectors, strict=True)
            if face.pk in visible
        ]
        if rows:
            # A photo processed meanwhile may have stored the same vectors already.
            type(rows[0]).objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def reseed_hidden_people(*, event_id: int, embedder: Embedder) -> int:
    """Seeds from ``embedder`` for the event's hidden people that lack one, computed
    from their hidden faces' boxes (which keep no vector): after the switch, a photo
    added later is still recognised as theirs. Returns how many people were seeded."""
    seeded = 0
    hidden = Person.objects.filter(event_id=event_id, is_hidden=True)
    for person in hidden.exclude(seed__has_key=embedder.name):
        vectors, _ = vectors_from_boxes(person, embedder)
        if vectors is not None:
            hidden_seeds.add_to_seed(person, embedder.name, vectors)
            person.save(update_fields=["seed"])
            seeded += 1
    return seeded


def vectors_from_boxes(person: Person, embedder: Embedder) -> tuple[np.ndarray | None, int]:
    """The vectors of every face of ``person`` from ``embedder``, embedded from their
    stored boxes (None if none could be), and how many of their photos could not be
    read (their faces are left out)."""
    faces = Face.objects.filter(grouping__person=person).select_related("photo")
    vectors, unread = [], 0
    for photo_id in sorted({face.photo_id for face in faces}):
        of_photo = [face for face in faces if face.photo_id == photo_id]
        photo = of_photo[0].photo
        try:
            loaded = load_photo(photo=photo)
        except (ImageError, OSError) as error:
            logger.warning("Photo %s could not be read for a seed: %s", photo_id, error)
            unread += 1
            continue
        vectors.append(
            embed_stored_faces(
                loaded,
                of_photo,
                embedder,
                decode_full=lambda photo=photo: load_photo_full(photo=photo),
            )
        )
    return (np.concatenate(vectors) if vectors else None), unread


def finish_if_covered(*, event_id: int) -> bool:
    """Switch the event to the embedder being computed once every visible face has its
    vector; the event is then regrouped with it. Returns whether it switched."""
    with transaction.atomic():
        row = EventEmbedder.objects.select_for_update().filter(event_id=event_id).first()
        if row is None or not row.switching_to:
            return False
        state = coverage(event_id)
        if state.covered < state.faces:
            return False
        logger.info("Event %s now answers from %s", event_id, row.switching_to)
        row.embedder, row.switching_to = row.switching_to, ""
        row.save(update_fields=["embedder", "switching_to", "since"])
        people_upkeep.request_grouping(event_id=event_id)
    return True


def drop_vectors(*, embedder_name: str, configured: str) -> int:
    """Delete every vector of ``embedder_name``; refused (ValueError) while it is the
    configured embedder or any event answers from it or is switching to it."""
    if embedder_name == configured:
        raise ValueError(
            f"{embedder_name} is the configured embedder (FACES_EMBEDDER): new photos "
            "still get its vectors. Configure another one first."
        )
    in_use = EventEmbedder.objects.filter(embedder=embedder_name) | EventEmbedder.objects.filter(
        switching_to=embedder_name
    )
    if in_use.exists():
        count = in_use.count()
        raise ValueError(
            f"{count} event(s) still answer from {embedder_name} or are switching to it; "
            "switch them first (reembed_faces --status shows which)."
        )
    dropped = 0
    for model in VECTOR_MODELS.values():
        dropped += model.objects.filter(embedder=embedder_name).delete()[0]
    return dropped
