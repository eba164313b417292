"""Each event's faces in people (faces.models.Person), kept up to date without a human.

Processing notes that an event's faces changed (:func:`request_grouping`); a job every
minute (``faces.tasks.group_changed_events``) brings each changed event up to date:

- **new faces join their person** (:func:`assign_new_faces`): the grouping's own merge
  rule (faces.grouping) between each face and each person's sum of vectors. Seconds
  for a 300-photo upload into a 10,000-face event (bench/people_bench.py);
- **a full regrouping** (:func:`regroup_event`) when the event is new, its new faces
  are many compared with those grouped, or its embedder or its vectors changed
  (faces.reembedding, faces.vector_refresh): every face is grouped
  afresh, then the groups are mapped onto the existing people by overlap, so ids and
  names stay; a face an organiser placed (``FacePerson.locked``) never moves, and a
  hidden person keeps its (hidden) faces.

``index_photos --sync`` brings the event up to date at once. docs/people.md.
"""

import logging
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Avg, Count, F
from pgvector.django import VectorField

from core.db import advisory_lock
from faces.calibration import calibration_for, grouping_rule
from faces.engines import event_embedder_name
from faces.grouping import GroupSums, assign_faces, group_faces, map_groups, merge_new_groups
from faces.models import (
    VECTOR_MODELS,
    EventEmbedder,
    EventGrouping,
    FacePerson,
    Person,
    faces_changed,
)
from faces.signals import faces_grouped
from photos.models import Event

logger = logging.getLogger(__name__)

# A full regrouping once the event has this many more faces than at its last one, and
# this share more: new faces join people one at a time in between, which cannot bring
# two halves of one person together (bench/people_quality.py: completeness 0.96 after
# a full grouping, 0.92 when 60 % of the faces joined one at a time).
FULL_REGROUP_MIN_NEW = 200
FULL_REGROUP_SHARE = 0.25
# The live path joins a few photos' new faces at once; more (the last photo of an
# upload) are left to the job, which may regroup the event in full.
LIVE_JOIN_MAX_NEW_FACES = 60
GROUPING_LOCK = 7460  # advisory lock namespace: one grouping of an event at a time


def request_grouping(*, event_id: int) -> None:
    """Note that the event's faces changed: the periodic job will bring its people up
    to date (one run absorbs a whole upload and cannot race with itself)."""
    faces_changed([event_id])


def group_changed_events() -> list[int]:
    """Bring the people of every event whose faces changed up to date."""
    changed = EventGrouping.objects.filter(version__gt=F("grouped_version"))
    event_ids = list(changed.values_list("event_id", flat=True))
    for event_id in event_ids:
        group_event_faces(event_id=event_id)
    return event_ids


def group_event_faces(*, event_id: int, full: bool = False) -> int | None:
    """Bring the event's people up to date (a full regrouping if ``full`` or needed).
    Returns how many people the event has, None when nothing changed or another
    worker is on it. Faces stored meanwhile bump the version: the next run takes them."""
    state = EventGrouping.objects.filter(event_id=event_id).first()
    if not Event.objects.filter(pk=event_id).exists():
        return None
    if not full and (state is None or not state.is_out_of_date):
        return None
    # A full regrouping of a big event can outlast the minute between two runs.
    with advisory_lock(GROUPING_LOCK, event_id) as acquired:
        if not acquired:
            return None
        # Read now: faces stored from here on bump it, and the next run takes them.
        rows = EventGrouping.objects.filter(event_id=event_id).values_list("version", flat=True)
        version = rows.first() or 0
        embedder = event_embedder_name(event_id)
        ungrouped = list(
            _vectors(event_id, embedder, new_only=True).values_list("face_id", flat=True)
        )
        if full or _needs_full_regroup(event_id, embedder):
            regroup_event(event_id=event_id, embedder=embedder)
        else:
            assign_new_faces(event_id=event_id, embedder=embedder)
        EventGrouping.objects.filter(event_id=event_id).update(grouped_version=version)
    _announce_grouped(event_id, ungrouped)
    return Person.objects.filter(event_id=event_id, memberships__isnull=False).distinct().count()


def join_new_faces_now(*, event_id: int) -> bool:
    """The live path (faces.processing.group_if_caught_up): the event's new faces join
    their people now, one face at a time, in milliseconds, so that a guest's search
    returns a camera's photo within seconds. An event never grouped is grouped in full
    (it is small then). The event stays out of date: the minute's job still runs the
    proper grouping (in full for small events, where joining one face at a time can
    split a person), keeping people's ids. False when another worker is on it."""
    with advisory_lock(GROUPING_LOCK, event_id) as acquired:
        if not acquired:
            return False
        embedder = event_embedder_name(event_id)
        new = list(_vectors(event_id, embedder, new_only=True).values_list("face_id", flat=True))
        if not new:
            return True
        if len(new) > LIVE_JOIN_MAX_NEW_FACES:
            return False  # the end of an upload, not a camera's photo: the job's turn
        row = EventEmbedder.objects.filter(event_id=event_id).first()
        if row is None or row.grouped_with != embedder:
            regroup_event(event_id=event_id, embedder=embedder)
        else:
            assign_new_faces(event_id=event_id, embedder=embedder)
    # Told now (registrations match them); the job's grouping finds them grouped.
    _announce_grouped(event_id, new)
    return True


def _announce_grouped(event_id: int, face_ids: list[int]) -> None:
    """Tell the apps that build on people (registrations) which faces just joined
    one; a receiver that fails is logged and does not undo the grouping."""
    if not face_ids:
        return
    grouped = FacePerson.objects.filter(face_id__in=face_ids).values_list("face_id", flat=True)
    replies = faces_grouped.send_robust(Person, event_id=event_id, face_ids=list(grouped))
    for receiver, reply in replies:
        if isinstance(reply, Exception):
            logger.error("After grouping event %s, %s failed: %r", event_id, receiver, reply)


def _needs_full_regroup(event_id: int, embedder: str) -> bool:
    """Whether the event needs a full regrouping rather than new faces joining people:
    never grouped with its embedder (new, or a model change), small (up to
    ``FACES_FULL_REGROUP_MAX_FACES`` faces: joining one face at a time splits people
    there, and a full grouping costs under a second), or grown by a quarter (and 200
    faces) since its last full regrouping."""
    row = EventEmbedder.objects.filter(event_id=event_id).first()
    if row is None or row.grouped_with != embedder:
        return True
    faces = _vectors(event_id, embedder).count()
    if faces <= settings.FACES_FULL_REGROUP_MAX_FACES:
        return True
    grown = faces - row.grouped_faces
    return grown >= max(FULL_REGROUP_MIN_NEW, FULL_REGROUP_SHARE * row.grouped_faces)


def _vectors(event_id: int, embedder: str, *, new_only: bool = False):
    """The event's matchable vectors of ``embedder``, from the table of its size."""
    model = vector_model_of(event_id, embedder)
    rows = model.objects.filter(event_id=event_id, embedder=embedder, is_matchable=True)
    return rows.filter(face__grouping__isnull=True) if new_only else rows


def vector_model_of(event_id: int, embedder: str):
    """The vector table holding the event's ``embedder`` vectors (any, if none yet)."""
    for model in VECTOR_MODELS.values():
        if model.objects.filter(event_id=event_id, embedder=embedder).exists():
            return model
    return next(iter(VECTOR_MODELS.values()))


def _load(rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Face ids, photo ids and vectors of ``rows``, streamed into preallocated arrays
    (a list of 100,000 rows of 512 numbers would hold each vector several times)."""
    expected = rows.count()
    dims = rows.model._meta.get_field("embedding").dimensions
    face_ids = np.empty(expected, dtype=np.int64)
    photo_ids = np.empty(expected, dtype=np.int64)
    vectors = np.empty((expected, dims), dtype=np.float32)
    count = 0
    stream = rows.order_by("face_id").values_list("face_id", "photo_id", "embedding")
    for face_id, photo_id, embedding in stream.iterator(chunk_size=2000):
        if count == expected:
            break  # faces stored since the count: the next run takes them
        face_ids[count], photo_ids[count], vectors[count] = face_id, photo_id, embedding
        count += 1
    return face_ids[:count], photo_ids[:count], vectors[:count]


@dataclass(frozen=True)
class Assigned:
    joined: int  # faces that joined an existing person
    new_people: int


def assign_new_faces(*, event_id: int, embedder: str) -> Assigned:
    """Put each face not yet in a person into the person it belongs to, or a new one."""
    face_ids, photo_ids, vectors = _load(_vectors(event_id, embedder, new_only=True))
    if not len(face_ids):
        return Assigned(0, 0)
    people, sums, counts = person_sums(event_id, embedder, vectors.shape[1])
    photos_of_new = set(photo_ids.tolist())
    known_photos = _people_photos(event_id, people, photos_of_new)
    groups = GroupSums(sums, counts, capacity=len(people) + len(face_ids))
    rule = grouping_rule(calibration_for(embedder), int(counts.sum()) + len(face_ids))
    chosen = assign_faces(groups, vectors, photo_ids.tolist(), known_photos, **rule)
    merged = merge_new_groups(groups, len(people), known_photos, **rule)
    chosen = [merged.get(index, index) for index in chosen]
    with transaction.atomic():
        started = sorted({index for index in chosen if index >= len(people)})
        created = Person.objects.bulk_create(Person(event_id=event_id) for _ in started)
        ids = {i: person.pk for i, person in enumerate(people)}
        ids.update({index: person.pk for index, person in zip(started, created, strict=True)})
        FacePerson.objects.bulk_create(
            [
                FacePerson(face_id=face_id, event_id=event_id, person_id=ids[index])
                for face_id, index in zip(face_ids.tolist(), chosen, strict=True)
            ],
            ignore_conflicts=True,  # a face an organiser placed meanwhile
        )
        _drop_used_seeds(embedder, [people[i] for i in set(chosen) if i < len(people)])
    joined = sum(1 for index in chosen if index < len(people))
    return Assigned(joined, len(created))


def person_sums(event_id: int, embedder: str, dims: int):
    """The event's visible people (and their sums and face counts) that new faces may
    join: those with faces of ``embedder``, and those known only by a seed (shown
    again after being hidden). Hidden people are handled when faces are stored."""
    vectors = f"face__vectors{dims}"
    rows = (
        FacePerson.objects.filter(
            event_id=event_id,
            person__is_hidden=False,
            **{f"{vectors}__embedder": embedder, f"{vectors}__is_matchable": True},
        )
        .values("person_id")
        .annotate(mean=Avg(f"{vectors}__embedding", output_field=VectorField()), size=Count("pk"))
        .order_by("person_id")
    )
    people, sums, counts = [], [], []
    for row in rows:
        people.append(row["person_id"])
        sums.append(np.asarray(row["mean"], dtype=np.float64) * row["size"])
        counts.append(row["size"])
    seeded = Person.objects.filter(event_id=event_id, is_hidden=False, seed__has_key=embedder)
    for person in seeded.exclude(pk__in=people):
        people.append(person.pk)
        sums.append(np.asarray(person.seed[embedder]["sum"], dtype=np.float64))
        counts.append(int(person.seed[embedder]["count"]))
    sums = np.asarray(sums, dtype=np.float64).reshape(len(people), dims)
    return [Person(pk=pk) for pk in people], sums, np.asarray(counts, dtype=np.int64)


def _people_photos(event_id: int, people: list[Person], photo_ids: set[int]) -> list[set[int]]:
    """For each person, the photos among ``photo_ids`` where they already have a face."""
    index = {person.pk: i for i, person in enumerate(people)}
    photos = [set() for _ in people]
    rows = FacePerson.objects.filter(event_id=event_id, face__photo_id__in=photo_ids)
    for person_id, photo_id in rows.values_list("person_id", "face__photo_id"):
        if person_id in index:
            photos[index[person_id]].add(photo_id)
    return photos


def _drop_used_seeds(embedder: str, people: list[Person]) -> None:
    """A person shown again keeps a seed only until their faces have vectors again."""
    ids = [person.pk for person in people]
    for person in Person.objects.filter(pk__in=ids, is_hidden=False, seed__has_key=embedder):
        person.seed = {}
        person.save(update_fields=["seed"])


def regroup_event(*, event_id: int, embedder: str) -> int:
    """Group every matchable face of the event afresh, keeping people's ids, names and
    the organiser's decisions (see the module docstring). Returns how many people."""
    face_ids, photo_ids, vectors = _load(_vectors(event_id, embedder))
    labels = np.zeros(0, dtype=np.int64)
    if len(face_ids):
        rule = grouping_rule(calibration_for(embedder), len(face_ids))
        labels = group_faces(vectors, photo_ids, **rule)
    rows = FacePerson.objects.filter(event_id=event_id, person__is_hidden=False)
    before, locked = {}, set()
    for face_id, person_id, is_locked in rows.values_list("face_id", "person_id", "locked"):
        before[face_id] = person_id
        if is_locked:
            locked.add(face_id)
    previous = [before.get(face_id) for face_id in face_ids.tolist()]
    continues = map_groups(labels, previous)
    reseeded = _seeded_people_for(event_id, embedder, labels, vectors, continues)
    continues.update(reseeded)
    del vectors
    with transaction.atomic():
        _drop_used_seeds(embedder, [Person(pk=pk) for pk in reseeded.values()])
        fresh = [label for label, person in continues.items() if person is None]
        created = Person.objects.bulk_create(Person(event_id=event_id) for _ in fresh)
        continues.update({label: p.pk for label, p in zip(fresh, created, strict=True)})
        people = [
            before[face_id] if face_id in locked else continues[label]
            for face_id, label in zip(face_ids.tolist(), labels.tolist(), strict=True)
        ]
        _replace_memberships(event_id, face_ids.tolist(), people, locked)
        _delete_empty_people(event_id)
        if len(face_ids):
            EventEmbedder.objects.update_or_create(
                event_id=event_id,
                defaults={"grouped_with": embedder, "grouped_faces": len(face_ids)},
                create_defaults={
                    "embedder": embedder,
                    "grouped_with": embedder,
                    "grouped_faces": len(face_ids),
                },
            )
    return len(set(people))


def _seeded_people_for(event_id: int, embedder: str, labels, vectors, continues) -> dict:
    """Groups that continue nobody, taken by a person known only by a seed (shown again
    after being hidden: their faces come back without vectors of their own) when the
    group's centre is within the grouping threshold of the seed's. Label -> person."""
    seeded = {
        person.pk: np.asarray(person.seed[embedder]["sum"], dtype=np.float64)
        for person in Person.objects.filter(
            event_id=event_id, is_hidden=False, seed__has_key=embedder
        )
    }
    if not seeded:
        return {}
    threshold = calibration_for(embedder).grouping
    found: dict[int, int] = {}
    for label in [label for label, person in continues.items() if person is None]:
        centre = vectors[labels == label].astype(np.float64).sum(axis=0)
        centre /= np.linalg.norm(centre) or 1.0
        best, best_distance = None, threshold
        for pk, total in seeded.items():
            distance = float(np.linalg.norm(centre - total / (np.linalg.norm(total) or 1.0)))
            if distance < best_distance and pk not in found.values():
                best, best_distance = pk, distance
        if best is not None:
            found[label] = best
    return found


def _replace_memberships(event_id: int, face_ids: list[int], people: list[int], locked) -> None:
    """The event's memberships, rewritten in two statements (FacePerson's docstring);
    hidden people's rows stay (their faces have no vector to be regrouped with)."""
    FacePerson.objects.filter(event_id=event_id, person__is_hidden=False).delete()
    flags = [face_id in locked for face_id in face_ids]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO faces_faceperson (face_id, event_id, person_id, locked) "
            "SELECT face, %s, person, locked "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::boolean[]) AS t(face, person, locked) "
            # A face deleted since it was read (its photo processed again) is skipped.
            "WHERE EXISTS (SELECT 1 FROM faces_face WHERE faces_face.id = t.face) "
            "ON CONFLICT (face_id) DO NOTHING",
            [event_id, face_ids, people, flags],
        )


def _delete_empty_people(event_id: int) -> int:
    """People left with no face, unless an organiser gave them something to keep (a
    name, a hide, a share link, a seed)."""
    empty = Person.objects.filter(
        event_id=event_id, memberships__isnull=True, name="", is_hidden=False
    )
    empty = empty.filter(share_token__isnull=True, seed={})
    return empty.delete()[0]
