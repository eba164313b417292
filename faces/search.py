"""Finding the photos a face appears in, through the ORM and pgvector.

Two query shapes, chosen by how many faces the filters leave (docs/search.md):

- exact: inside a set of events with at most ``FACES_EXACT_SEARCH_MAX_FACES`` faces,
  the partial B-tree index on (event, embedder) narrows the rows and the distance is
  computed for each of them. Exact, and a few milliseconds for 10,000 faces.
- approximate: across many events (staff, or an organiser with huge events), the HNSW
  index returns the nearest faces with an iterative scan, so that the metadata filters
  applied after it still leave enough rows; the threshold is applied outside.

Either way the candidate faces, with their people's centres (``person_summaries``),
are then decided on by ``faces.matching.decide``: sure photos, maybe photos, questions.
"""

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Avg, Count, QuerySet
from pgvector.django import VectorField

from faces.matching import (
    NO_FACTS,
    CandidateFace,
    Decision,
    MatchRules,
    PersonSummary,
    PhotoMatch,
    decide,
)
from faces.models import FacePerson, vector_model
from faces.people_facts import facts_for
from photos.filters import SearchFilters


def filtered_faces(*, embedder: str, dimensions: int, filters: SearchFilters) -> QuerySet:
    """Searchable face vectors of ``embedder`` narrowed by the metadata filters."""
    return filters.apply(vector_model(dimensions).objects.searchable(embedder))


CANDIDATE_FIELDS = (
    "photo_id",
    "face_id",
    "distance",
    "event_id",
    "face__grouping__person",
    "embedding",
)


def exact_candidates(
    embedding: np.ndarray, *, embedder: str, filters: SearchFilters, threshold: float
) -> list[tuple]:
    """Every filtered face closer than ``threshold``, its distance computed exactly.

    Two queries. The first computes every distance in the vector table alone (narrowed
    by the event's B-tree) and returns the few ids under the threshold. The second
    joins those few rows to their faces and people. In one query the planner cannot
    tell that the distance leaves a handful of 10,000 rows (it guesses a third): it
    hash-joined every face of the table, 8.9 of the 18.5 ms of a search in a
    10,000-face event among 100,000 faces (bench/search_bench.py, docs/search.md).
    """
    ids = list(exact_near_ids(embedding, embedder=embedder, filters=filters, threshold=threshold))
    if not ids:
        return []
    return list(
        vector_model(len(embedding))
        .objects.searchable(embedder)
        .filter(pk__in=ids)
        .with_distance(embedding)
        # No ORDER BY: faces.matching.decide orders the few rows in Python.
        .order_by()
        .values_list(*CANDIDATE_FIELDS)
    )


def exact_near_ids(
    embedding: np.ndarray, *, embedder: str, filters: SearchFilters, threshold: float
) -> QuerySet:
    """The ids of the filtered vectors closer than ``threshold``: the first of
    :func:`exact_candidates`' two queries, on the vector table alone."""
    vectors = vector_model(len(embedding)).objects
    return (
        filters.apply(vectors.matchable(embedder))
        .with_distance(embedding)
        .filter(distance__lt=threshold)
        .values_list("pk", flat=True)
    )


def approximate_nearest(
    embedding: np.ndarray, *, embedder: str, filters: SearchFilters, limit: int
) -> QuerySet:
    """The ``limit`` nearest filtered faces, in an order the HNSW index can serve."""
    return (
        filtered_faces(embedder=embedder, dimensions=len(embedding), filters=filters)
        .with_distance(embedding)
        .order_by("distance")
        .values_list(*CANDIDATE_FIELDS)[:limit]
    )


def candidate_faces(
    embedding: np.ndarray, *, embedder: str, filters: SearchFilters, threshold: float
) -> list[CandidateFace]:
    """Faces closer than ``threshold`` through the query shape that fits the filters."""
    if uses_exact_search(embedder=embedder, dimensions=len(embedding), filters=filters):
        rows = exact_candidates(embedding, embedder=embedder, filters=filters, threshold=threshold)
    else:
        nearest = _approximate_rows(
            embedding, embedder=embedder, filters=filters, threshold=threshold
        )
        rows = [row for row in nearest if row[2] < threshold]
    return [CandidateFace(*row[:5], embedding=np.asarray(row[5], dtype=np.float32)) for row in rows]


def person_summaries(
    faces: list[CandidateFace], *, embedder: str, dimensions: int
) -> dict[tuple[int, int], PersonSummary]:
    """The centre (pgvector's AVG, made unit length) and size of each grouped person
    among ``faces``, over all their searchable faces (not only those near the selfie)."""
    keys = {(f.event_id, f.person) for f in faces if f.person is not None}
    if not keys:
        return {}
    events = {event for event, _ in keys}
    vectors = f"face__vectors{dimensions}"
    rows = (
        FacePerson.objects.filter(
            event_id__in=events,
            person__in={person for _, person in keys},
            **{f"{vectors}__embedder": embedder, f"{vectors}__is_matchable": True},
        )
        .values("event_id", "person")
        .annotate(centre=Avg(f"{vectors}__embedding", output_field=VectorField()), size=Count("pk"))
        .order_by()
    )
    summaries = {}
    for row in rows:
        key = (row["event_id"], row["person"])
        if key in keys:
            centre = np.asarray(row["centre"], dtype=np.float32)
            summaries[key] = PersonSummary(centre / (np.linalg.norm(centre) or 1.0), row["size"])
    return summaries


def find_matches(
    embedding: np.ndarray, *, embedder: str, filters: SearchFilters, rules: MatchRules
) -> Decision:
    """The photos of the person whose face is ``embedding``, and the questions to ask,
    with the organiser's word about those people obeyed (faces.people_facts)."""
    faces = candidate_faces(embedding, embedder=embedder, filters=filters, threshold=rules.reach)
    people, facts = {}, NO_FACTS
    if rules.mode == "person":
        people = person_summaries(faces, embedder=embedder, dimensions=len(embedding))
        facts = facts_for(
            person_ids={f.person for f in faces if f.person is not None},
            face_ids={f.face_id for f in faces},
        )
    return decide(faces, rules, people, np.asarray(embedding, dtype=np.float32), facts)


def find_photo_matches(
    embedding: np.ndarray, *, embedder: str, filters: SearchFilters, threshold: float
) -> list[PhotoMatch]:
    """Single-shot: photos whose closest face is under ``threshold``, closest first."""
    rules = MatchRules(sure=threshold, maybe=threshold, mode="single")
    return find_matches(embedding, embedder=embedder, filters=filters, rules=rules).sure


def has_face_within(
    embedding: np.ndarray,
    *,
    embedder: str,
    event_ids: list[int],
    distance: float,
    unmatchable_too: bool = True,
) -> bool:
    """Whether any face stored in the events lies within ``distance``: a "selfie" that
    is really a face cut out of an event photo. Ignores the album and date filters (the
    face may come from any photo of the event) and includes faces too small to match
    unless ``unmatchable_too`` is false. Hidden faces have no vector left to compare."""
    everywhere = SearchFilters(event_ids=event_ids)
    if candidate_faces(embedding, embedder=embedder, filters=everywhere, threshold=distance):
        return True
    if not unmatchable_too:
        return False
    small = vector_model(len(embedding)).objects.filter(
        event_id__in=event_ids, embedder=embedder, is_matchable=False
    )
    return small.order_by().with_distance(embedding).filter(distance__lt=distance).exists()


def uses_exact_search(*, embedder: str, dimensions: int, filters: SearchFilters) -> bool:
    if filters.event_ids is None:
        return False
    count = _searchable_face_count(embedder, dimensions, filters.event_ids)
    return count <= settings.FACES_EXACT_SEARCH_MAX_FACES


def _searchable_face_count(embedder: str, dimensions: int, event_ids: list[int]) -> int:
    """How many faces the events hold, cached for a few minutes.

    Counting 10,000 rows costs more than searching them, and the answer only picks the
    query shape, so a slightly stale count is fine.
    """
    key = f"face-count:{embedder}:{hash(tuple(sorted(event_ids)))}"
    count = cache.get(key)
    if count is None:
        limit = settings.FACES_EXACT_SEARCH_MAX_FACES
        # Bounded: never counts more than limit + 1 rows.
        candidates = vector_model(dimensions).objects.searchable(embedder)
        candidates = candidates.filter(event_id__in=event_ids)
        count = candidates[: limit + 1].count()
        cache.set(key, count, timeout=300)
    return count


def _approximate_rows(embedding, *, embedder, filters, threshold: float) -> list[tuple]:
    """Nearest faces from the HNSW index, enough of them to hold every face under
    ``threshold``: a small first LIMIT (each row is a heap fetch), grown while its
    farthest row is still under the threshold."""
    limit = settings.FACES_APPROXIMATE_SEARCH_LIMIT
    while True:
        rows = _hnsw_query(embedding, embedder=embedder, filters=filters, limit=limit)
        if len(rows) < limit or max(row[2] for row in rows) >= threshold:
            return rows
        if limit >= settings.FACES_APPROXIMATE_SEARCH_MAX:
            return rows
        limit = min(limit * 4, settings.FACES_APPROXIMATE_SEARCH_MAX)


def _hnsw_query(embedding, *, embedder, filters, limit: int) -> list[tuple]:
    with transaction.atomic(), connection.cursor() as cursor:
        # SET LOCAL: only this transaction; iterative scans keep the filtered
        # results complete (pgvector 0.8+).
        cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        cursor.execute("SET LOCAL hnsw.ef_search = %s", [settings.FACES_HNSW_EF_SEARCH])
        cursor.execute("SET LOCAL hnsw.max_scan_tuples = %s", [settings.FACES_HNSW_MAX_SCAN])
        return list(approximate_nearest(embedding, embedder=embedder, filters=filters, limit=limit))
