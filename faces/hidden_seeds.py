"""Recognising a hidden person in photos added later, by their seed.

Hiding a person deletes their faces' vectors (a hidden face keeps none), so the person
is remembered by one thing only: the sum and count of those vectors per embedder
(``Person.seed``). A face stored later that the grouping rule would put into that
person is stored hidden on the spot, in the same transaction (faces.processing): it is
never searchable, not even for the minute before the grouping job runs. A model change
computes the seed for the new embedder from the hidden faces' boxes
(faces.reembedding.reseed_hidden_people).
"""

import numpy as np
from django.db.models import Avg, Count
from pgvector.django import VectorField

from faces.calibration import calibration_for
from faces.grouping import GroupSums
from faces.models import VECTOR_MODELS, FacePerson, Person


def seed_of(person: Person) -> dict[str, dict]:
    """The sum and count of the person's vectors, per embedder (every face, matchable
    or not: a small face of a hidden person is theirs too)."""
    seed = {}
    for model in VECTOR_MODELS.values():
        rows = (
            model.objects.filter(face__grouping__person=person)
            .values("embedder")
            .annotate(mean=Avg("embedding", output_field=VectorField()), size=Count("pk"))
            .order_by()
        )
        for row in rows:
            total = np.asarray(row["mean"], dtype=np.float64) * row["size"]
            seed[row["embedder"]] = {"sum": total.tolist(), "count": row["size"]}
    return seed


def add_to_seed(person: Person, embedder: str, vectors: np.ndarray) -> None:
    """Add ``vectors`` to the person's seed for ``embedder`` (saved by the caller)."""
    entry = person.seed.get(embedder)
    total = np.asarray(vectors, dtype=np.float64).sum(axis=0)
    if entry:
        total = total + np.asarray(entry["sum"], dtype=np.float64)
    count = len(vectors) + (entry["count"] if entry else 0)
    person.seed[embedder] = {"sum": total.tolist(), "count": count}


def hidden_matches(
    event_id: int, vectors: dict[str, np.ndarray], face_count: int
) -> list[Person | None]:
    """For each of ``face_count`` faces (the rows of each embedder's ``vectors``), the
    hidden person of the event it belongs to, or None."""
    found: list[Person | None] = [None] * face_count
    hidden = [p for p in Person.objects.filter(event_id=event_id, is_hidden=True) if p.seed]
    if not hidden or not face_count:
        return found
    for embedder, embedded in vectors.items():
        people = [p for p in hidden if embedder in p.seed]
        if not people:
            continue
        sums = np.array([p.seed[embedder]["sum"] for p in people], dtype=np.float64)
        counts = np.array([p.seed[embedder]["count"] for p in people], dtype=np.int64)
        c = calibration_for(embedder)
        spreads = GroupSums(sums, counts, len(people)).spreads(c.grouping_floor)
        for index, vector in enumerate(np.asarray(embedded, dtype=np.float64)):
            if found[index] is not None:
                continue
            between = 2 - 2 * (sums @ vector) / counts
            allowed = between < c.grouping * c.grouping
            allowed &= between <= c.grouping_relative * spreads
            if allowed.any():
                best = np.flatnonzero(allowed)[np.argmin(between[allowed])]
                found[index] = people[int(best)]
    return found


def memberships(faces, matches: list[Person | None]) -> list[FacePerson]:
    """Unsaved memberships of the faces that a hidden person claimed."""
    return [
        FacePerson(face=face, event_id=face.event_id, person=person)
        for face, person in zip(faces, matches, strict=True)
        if person is not None
    ]
