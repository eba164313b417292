"""What helps an organiser check an event's people quickly: a person's faces in
confidence order (the unsure ones marked), and "The same person?" suggestions, the
closest pairs of people not yet said apart, answered one key at a time (as photo apps
do)."""

import itertools
from dataclasses import dataclass

import numpy as np

from faces import people_upkeep
from faces.calibration import calibration_for
from faces.engines import event_embedder_name
from faces.grouping import close_pairs
from faces.models import Face, FacePerson, PeopleApart, Person
from photos.models import Event

# A pair of people is suggested when their centres are this many times the grouping
# threshold apart at most: beyond it they are rarely the same person.
SUGGESTION_REACH = 1.5
# Candidate pairs whose photos are fetched in one query, closest first.
PAIRS_CHECKED_AT_ONCE = 50


@dataclass(frozen=True)
class RankedFace:
    membership: FacePerson
    distance: float | None  # from the person's centre (None: no vector to compare)
    unsure: bool


def faces_in_confidence_order(person: Person) -> list[RankedFace]:
    """The person's faces, those nearest their centre first; a face farther than the
    search's "check" distance is marked unsure (the ones to look at)."""
    memberships = list(
        FacePerson.objects.filter(person=person).select_related("face__photo__album")
    )
    embedder = event_embedder_name(person.event_id)
    model = people_upkeep.vector_model_of(person.event_id, embedder)
    vectors = dict(
        model.objects.filter(
            face_id__in=[m.face_id for m in memberships], embedder=embedder
        ).values_list("face_id", "embedding")
    )
    if not vectors:
        return [RankedFace(m, None, False) for m in memberships]
    matrix = np.asarray([np.asarray(v, dtype=np.float32) for v in vectors.values()])
    centre = matrix.mean(axis=0)
    centre /= np.linalg.norm(centre) or 1.0
    check_from = calibration_for(embedder).check_from
    ranked = []
    for membership in memberships:
        vector = vectors.get(membership.face_id)
        if vector is None:
            ranked.append(RankedFace(membership, None, False))
            continue
        distance = float(np.linalg.norm(np.asarray(vector, dtype=np.float32) - centre))
        ranked.append(RankedFace(membership, distance, distance > check_from))
    return sorted(ranked, key=lambda r: (r.distance is None, r.distance or 0.0))


@dataclass(frozen=True)
class Suggestion:
    first: Person
    second: Person
    distance: float

    @property
    def key(self) -> str:
        return f"{self.first.pk}-{self.second.pk}"


def same_person_suggestions(
    event: Event, *, skipped: set[str] = frozenset(), limit: int = 1
) -> list[Suggestion]:
    """The closest pairs of the event's visible people (by the distance between their
    centres, within ``SUGGESTION_REACH`` times the grouping threshold), not said apart
    and not ``skipped`` ("first-second" keys), closest first. Two people with faces in
    one photo are never suggested: in the 5-person events of the development set, that
    brought a split person's pair from the 3rd-7th suggestion to the 1st-2nd
    (docs/people.md)."""
    embedder = event_embedder_name(event.pk)
    model = people_upkeep.vector_model_of(event.pk, embedder)
    dims = model._meta.get_field("embedding").dimensions
    members, sums, _ = people_upkeep.person_sums(event.pk, embedder, dims)
    ids = [member.pk for member in members]
    if len(ids) < 2:
        return []
    centres = np.asarray(sums, dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True).clip(min=1e-9)
    reach = SUGGESTION_REACH * calibration_for(embedder).grouping
    apart = set(PeopleApart.objects.filter(event=event).values_list("first_id", "second_id"))
    # The grouping's pair finder: closest first, in blocks of bounded memory (a full
    # people x people matrix peaked at 392 MB at 7,000 people, bench/suggestions_bench.py).
    pairs = (
        (float(np.linalg.norm(centres[i] - centres[j])), *sorted((ids[i], ids[j])))
        for i, j in close_pairs(centres, reach)
    )
    open_pairs = (
        (distance, a, b)
        for distance, a, b in pairs
        if (a, b) not in apart and f"{a}-{b}" not in skipped
    )
    found: list[tuple[float, int, int]] = []
    while len(found) < limit:
        batch = list(itertools.islice(open_pairs, PAIRS_CHECKED_AT_ONCE))
        if not batch:
            break
        together = _sharing_a_photo(event, batch)
        found += [pair for pair in batch if (pair[1], pair[2]) not in together]
    found = found[:limit]
    people = Person.objects.in_bulk({p for _, a, b in found for p in (a, b)})
    return [
        Suggestion(people[a], people[b], distance)
        for distance, a, b in found
        if a in people and b in people
    ]


def _sharing_a_photo(event: Event, pairs: list[tuple[float, int, int]]) -> set[tuple[int, int]]:
    """The (first, second) pairs among ``pairs`` whose people both have a face in one
    photo: one photo never shows the same person twice, so asking would waste the
    organiser's key."""
    photos = _photos_of_people(event.pk, {p for _, a, b in pairs for p in (a, b)})
    return {(a, b) for _, a, b in pairs if photos.get(a, set()) & photos.get(b, set())}


def seen_with(person: Person, others: list[Person]) -> set[int]:
    """The ids of ``others`` who have a face in one of the person's photos."""
    photos = _photos_of_people(person.event_id, {person.pk} | {other.pk for other in others})
    mine = photos.get(person.pk, set())
    return {other.pk for other in others if photos.get(other.pk, set()) & mine}


def _photos_of_people(event_id: int, people: set[int]) -> dict[int, set[int]]:
    """Each person's photos (where they have a visible face)."""
    photos: dict[int, set[int]] = {}
    memberships = FacePerson.objects.filter(
        event_id=event_id, person_id__in=people, face__status=Face.Status.VISIBLE
    )
    for person_id, photo_id in memberships.values_list("person_id", "face__photo_id"):
        photos.setdefault(person_id, set()).add(photo_id)
    return photos
