"""Stored vectors brought up to how faces are embedded now, in place, without a human.

How a face is embedded can change under the same embedder name: since 2026-12-06
processing stores a small face that can be matched as its embedding averaged with its
mirror image's (faces.analysis.embed_faces; the size is the embedder's calibrated
``mirror_below_px`` or ``FACES_MIRROR_BELOW_PX``), and dlib finds its landmarks in the
box its own detectors would draw (``ml.base.Embedder.alignment`` 2). Each vector row
records both (``FaceVector.mirrored``, ``FaceVector.alignment``). Faces stored before
keep the vectors they were given: they still match, but not as well as new ones, and
a selfie is embedded the new way (docs/match-quality.md).

So each event records the rule its vectors follow (``EventEmbedder.vectors_rule``).
When it is not the rule in force, a background pass (:func:`start_refreshes`, every ten
minutes, then ``faces.tasks.refresh_event_vectors`` in chunks of photos):

1. embeds again, from their stored boxes and landmarks, the faces whose vector does not
   follow the rule (:func:`stale_vectors`), photo by photo, and updates their vector
   rows in place: face ids, people, hides, the organiser's decisions and guests'
   answers stay as they are, and every face keeps matching meanwhile (a little less
   well until its turn: an older dlib vector lies about 0.05 from the new one);
2. at the end (:func:`finish`) computes the hidden people's seeds again, and, if any
   vector changed, regroups the event in full (people keep their ids and names;
   faces an organiser placed never move: faces.people_upkeep).

A photo that cannot be read is skipped and logged; its faces keep their vectors until
it is processed again. Only the configured embedder's vectors are refreshed, and an
event in the middle of a model change is left to it (its new vectors follow the rule).
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Least
from django.utils import timezone

from faces import hidden_seeds, people_upkeep
from faces.analysis import current_rule, mirror_below_px, stored_mirrored
from faces.models import EventEmbedder, FaceVector, Person, vector_model
from faces.processing import load_photo, load_photo_full
from faces.reembedding import embed_stored_faces, vectors_from_boxes
from ml.base import Embedder
from photos.images import ImageError
from photos.models import Photo

logger = logging.getLogger(__name__)

# Photos per background task: a few seconds of work, far under the task timeout.
PHOTOS_PER_TASK = 40
# A pass whose tasks stopped (a worker killed) is started again after this long
# without a chunk done.
PASS_TIMEOUT = timedelta(hours=1)


def stale_vectors(*, event_id: int, embedder: Embedder):
    """The event's vectors of ``embedder`` that do not follow the rule in force: cut
    out another way than the embedder's alignment, or a face that should be mirrored
    and is not, or the reverse."""
    limit = mirror_below_px(embedder)
    should = Q(is_matchable=True, short_side__lt=limit)
    wrong_mirror = (should & Q(mirrored=False)) | (~should & Q(mirrored=True))
    return (
        vector_model(embedder.dimensions)
        .objects.filter(event_id=event_id, embedder=embedder.name)
        .alias(short_side=Least("face__width", "face__height"))
        .filter(wrong_mirror | ~Q(alignment=embedder.alignment))
    )


def start_refreshes(*, embedder: Embedder) -> list[int]:
    """Events answering from ``embedder`` whose vectors follow another rule and that
    no pass is working on (or one that stopped over PASS_TIMEOUT ago): each is marked
    as started and returned, for a pass to be queued."""
    now = timezone.now()
    with transaction.atomic():
        rows = (
            EventEmbedder.objects.select_for_update(skip_locked=True)
            .filter(embedder=embedder.name, switching_to="")
            .exclude(vectors_rule=current_rule(embedder))
            .filter(Q(refresh_started__isnull=True) | Q(refresh_started__lt=now - PASS_TIMEOUT))
        )
        event_ids = sorted(rows.values_list("event_id", flat=True))
        EventEmbedder.objects.filter(event_id__in=event_ids).update(refresh_started=now)
    return event_ids


@dataclass(frozen=True)
class Chunk:
    refreshed: int  # vectors computed again and updated
    problems: list[str]  # photos that could not be read
    last_photo: int | None  # the next chunk starts after it; None: the pass is done


def refresh_chunk(*, event_id: int, embedder: Embedder, after: int = 0) -> Chunk:
    """The next PHOTOS_PER_TASK photos (ids above ``after``) with stale vectors."""
    photo_ids = list(
        stale_vectors(event_id=event_id, embedder=embedder)
        .filter(photo_id__gt=after)
        .order_by("photo_id")
        .values_list("photo_id", flat=True)
        .distinct()[: PHOTOS_PER_TASK + 1]
    )
    refreshed, problems = 0, []
    for photo in Photo.objects.filter(pk__in=photo_ids[:PHOTOS_PER_TASK]).order_by("pk"):
        try:
            refreshed += refresh_photo(photo, embedder)
        except (ImageError, OSError) as error:
            logger.warning("Photo %s keeps its earlier face vectors: %s", photo.pk, error)
            problems.append(f"photo {photo.pk} ({photo.original_filename}): {error}")
    more = len(photo_ids) > PHOTOS_PER_TASK
    if more:  # the pass is alive: not started again while its chunks keep coming
        EventEmbedder.objects.filter(event_id=event_id).update(refresh_started=timezone.now())
    return Chunk(refreshed, problems, photo_ids[PHOTOS_PER_TASK - 1] if more else None)


def refresh_photo(photo: Photo, embedder: Embedder) -> int:
    """Compute again the photo's stale vectors by the rule in force and update them in
    place. Returns how many were updated (a face hidden meanwhile has no vector left,
    and nothing is written for it)."""
    rows = list(
        stale_vectors(event_id=photo.event_id, embedder=embedder)
        .filter(photo=photo)
        .select_related("face")
        .order_by("face_id")
    )
    if not rows:
        return 0
    faces = [row.face for row in rows]
    vectors = embed_stored_faces(
        load_photo(photo=photo),
        faces,
        embedder,
        decode_full=lambda: load_photo_full(photo=photo),
    )
    for row, face, vector in zip(rows, faces, vectors, strict=True):
        row.embedding = np.asarray(vector, dtype=np.float32)
        row.mirrored = stored_mirrored(face, embedder)
        row.alignment = embedder.alignment
    return _update(rows)


def _update(rows: list[FaceVector]) -> int:
    model = type(rows[0])
    with transaction.atomic():
        # Rows deleted meanwhile (a face hidden, a photo processed again) are skipped.
        present = set(
            model.objects.select_for_update()
            .filter(pk__in=[row.pk for row in rows])
            .values_list("pk", flat=True)
        )
        kept = [row for row in rows if row.pk in present]
        model.objects.bulk_update(kept, ["embedding", "mirrored", "alignment"])
    return len(kept)


def finish(*, event_id: int, embedder: Embedder, refreshed: int) -> None:
    """End of a pass: the hidden people's seeds from the rule in force, a full
    regrouping if a vector changed, and the event marked as following the rule."""
    for person in Person.objects.filter(event_id=event_id, is_hidden=True):
        _reseed(person, embedder)
    fields = {"vectors_rule": current_rule(embedder), "refresh_started": None}
    if refreshed:
        fields["grouped_with"] = ""  # the next grouping job regroups the event in full
    EventEmbedder.objects.filter(event_id=event_id, embedder=embedder.name).update(**fields)
    if refreshed:
        people_upkeep.request_grouping(event_id=event_id)


def _reseed(person: Person, embedder: Embedder) -> None:
    """A hidden person's seed (the sum of their faces' vectors, which recognises them in
    photos added later) computed again by the rule in force. If one of their photos
    cannot be read, the seed stays as it was: a seed missing faces would recognise them
    less well than a seed of slightly older vectors."""
    if embedder.name not in person.seed:
        return
    vectors, unread = vectors_from_boxes(person, embedder)
    if vectors is None or unread:
        return
    del person.seed[embedder.name]
    hidden_seeds.add_to_seed(person, embedder.name, vectors)
    person.save(update_fields=["seed"])


def waiting(*, event_id: int, embedder: Embedder) -> int:
    """How many of the event's vectors wait for a pass (for ``reembed_faces --status``)."""
    return stale_vectors(event_id=event_id, embedder=embedder).count()
