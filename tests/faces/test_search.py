"""Search queries: exact inside events, HNSW with iterative scans across them (EXPLAIN)."""

import re

import numpy as np
import pytest
from django.db import connection
from django.urls import reverse

from faces.models import Face, FaceVector128, vector_row
from faces.processing import process_photo
from faces.search import (
    approximate_nearest,
    candidate_faces,
    exact_candidates,
    exact_near_ids,
    find_photo_matches,
    uses_exact_search,
)
from photos.filters import SearchFilters
from photos.models import Album, Photo
from photos.services import add_photo
from tests.factories import AlbumFactory, EventFactory, FaceFactory, PhotoFactory

EMBEDDER = "synthetic"


def unit(vectors):
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


@pytest.fixture
def synthetic_faces(owner, images):
    """8,000 clustered unit vectors in 40 events; identity 0's faces are in event 0."""
    rng = np.random.default_rng(0)
    centres = unit(rng.normal(size=(400, 128)))
    events, photos, faces = [], [], []
    with images["obama.jpg"].open("rb") as fp:
        first_album = AlbumFactory(event=EventFactory(owner=owner))
        template = add_photo(album=first_album, fp=fp, original_filename="t.jpg", queue=False).photo
    for index in range(40):
        event = first_album.event if index == 0 else EventFactory(owner=owner)
        album = first_album if index == 0 else Album.objects.create(event=event, title="A")
        events.append(event)
        photos += PhotoFactory.create_batch(5, album=album, file=template.file.name)
    for index in range(8_000):
        identity = 0 if index < 50 else int(rng.integers(1, 400))
        photo = photos[index % 5] if identity == 0 else photos[int(rng.integers(5, len(photos)))]
        vector = unit(centres[identity] + rng.normal(scale=0.03, size=128))
        faces.append((FaceFactory.build(photo=photo), vector))
    Face.objects.bulk_create([face for face, _ in faces], batch_size=2000)
    FaceVector128.objects.bulk_create(
        [vector_row(face, EMBEDDER, vector) for face, vector in faces], batch_size=2000
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE faces_face")
        cursor.execute("ANALYZE faces_facevector128")
    return {"events": events, "query": centres[0], "centres": centres}


def plan(queryset) -> str:
    return queryset.explain()


def test_search_inside_one_event_is_exact_through_the_event_index(synthetic_faces):
    filters = SearchFilters(event_ids=[synthetic_faces["events"][0].pk])
    assert uses_exact_search(embedder=EMBEDDER, dimensions=128, filters=filters) is True
    query_plan = plan(
        exact_near_ids(synthetic_faces["query"], embedder=EMBEDDER, filters=filters, threshold=0.5)
    )
    assert "Index Cond: (event_id = " in query_plan  # a B-tree on the event narrows the rows
    assert "hnsw" not in query_plan
    # The distances are computed in the vector table alone: no face is joined before the
    # threshold leaves the few near ones (a hash join read every face of the table).
    assert not re.search(r"faces_face\b|faces_faceperson", query_plan)
    rows = exact_candidates(
        synthetic_faces["query"], embedder=EMBEDDER, filters=filters, threshold=0.5
    )
    near = exact_near_ids(
        synthetic_faces["query"], embedder=EMBEDDER, filters=filters, threshold=0.5
    )
    assert len(rows) == len(list(near)) > 0 and all(row[2] < 0.5 for row in rows)
    matches = find_photo_matches(
        synthetic_faces["query"], embedder=EMBEDDER, filters=filters, threshold=0.5
    )
    assert len(matches) == 5  # identity 0 appears in the 5 photos of event 0


def test_search_across_all_events_uses_hnsw_and_finds_what_exact_search_finds(
    synthetic_faces, settings
):
    everything = SearchFilters(event_ids=None)
    assert uses_exact_search(embedder=EMBEDDER, dimensions=128, filters=everything) is False
    with connection.cursor() as cursor:
        cursor.execute("SET hnsw.iterative_scan = relaxed_order")
    query_plan = plan(
        approximate_nearest(
            synthetic_faces["query"], embedder=EMBEDDER, filters=everything, limit=100
        )
    )
    assert "facevector128_hnsw" in query_plan
    rng = np.random.default_rng(1)
    found = expected = 0
    for identity in rng.choice(400, size=20, replace=False):
        query = synthetic_faces["centres"][identity]
        approximate = find_photo_matches(
            query, embedder=EMBEDDER, filters=everything, threshold=0.3
        )
        settings.FACES_EXACT_SEARCH_MAX_FACES = 10**9
        exact = find_photo_matches(
            query,
            embedder=EMBEDDER,
            filters=SearchFilters(event_ids=[e.pk for e in synthetic_faces["events"]]),
            threshold=0.3,
        )
        settings.FACES_EXACT_SEARCH_MAX_FACES = 200_000
        found += len({m.photo_id for m in approximate} & {m.photo_id for m in exact})
        expected += len(exact)
    assert expected > 0 and found / expected >= 0.95


def test_big_event_sets_switch_to_the_approximate_path(synthetic_faces, settings):
    settings.FACES_EXACT_SEARCH_MAX_FACES = 1000
    filters = SearchFilters(event_ids=[e.pk for e in synthetic_faces["events"]])
    assert uses_exact_search(embedder=EMBEDDER, dimensions=128, filters=filters) is False
    matches = find_photo_matches(
        synthetic_faces["query"], embedder=EMBEDDER, filters=filters, threshold=0.5
    )
    assert {m.photo_id for m in matches} == set(
        Photo.objects.filter(event=synthetic_faces["events"][0])
        .exclude(original_filename="t.jpg")
        .values_list("pk", flat=True)
    )


def test_faces_of_another_embedder_are_never_compared(synthetic_faces):
    filters = SearchFilters(event_ids=[synthetic_faces["events"][0].pk])
    assert (
        find_photo_matches(
            synthetic_faces["query"], embedder="other-model", filters=filters, threshold=2
        )
        == []
    )


@pytest.fixture
def two_organisers_photos(owner, other_user, images):
    photos = {}
    for user in (owner, other_user):
        album = AlbumFactory(event=EventFactory(owner=user))
        with images["obama.jpg"].open("rb") as fp:
            added = add_photo(
                album=album, fp=fp, original_filename=f"{user.username}.jpg", queue=False
            )
        photos[user.username] = process_photo(photo_id=added.photo.pk)
    return photos


def organiser_search(client, images, **data):
    with images["obama2.jpg"].open("rb") as fp:
        return client.post(reverse("faces:organiser_search"), {"selfie": fp, **data})


def test_organisers_search_across_their_own_events_only(
    client, owner, two_organisers_photos, images
):
    client.force_login(owner)
    response = organiser_search(client, images)
    found = {photo.pk for photo, _ in response.context["sure"]}
    assert found == {two_organisers_photos["owner"].pk}


def test_staff_search_across_every_event(client, staff, two_organisers_photos, images):
    client.force_login(staff)
    response = organiser_search(client, images)
    found = {photo.pk for photo, _ in response.context["sure"]}
    assert found == {p.pk for p in two_organisers_photos.values()}


def test_organiser_search_needs_a_login(client, db):
    assert client.get(reverse("faces:organiser_search")).status_code == 302


def test_the_hnsw_limit_grows_until_every_face_under_the_threshold_is_in(synthetic_faces, settings):
    # Identity 0 has 50 faces; a first LIMIT of 4 must grow (4, 16, 64) to hold them.
    settings.FACES_APPROXIMATE_SEARCH_LIMIT = 4
    everything = SearchFilters(event_ids=None)
    faces = candidate_faces(
        synthetic_faces["query"], embedder=EMBEDDER, filters=everything, threshold=0.5
    )
    assert len(faces) == 50
    settings.FACES_APPROXIMATE_SEARCH_MAX = 16  # a ceiling is a ceiling
    faces = candidate_faces(
        synthetic_faces["query"], embedder=EMBEDDER, filters=everything, threshold=0.5
    )
    assert len(faces) == 16


def test_a_guest_far_from_their_selfie_finds_their_clearly_nearest_person(album):
    """Through the database: the people's centres come from pgvector's AVG. The guest's
    person is 0.32 from the selfie (agreement needs 0.30) and every other person is
    far; in a second event where two people are about as near, nobody is found."""
    from faces.matching import MatchRules
    from faces.models import FacePerson, Person
    from faces.search import find_matches

    rng = np.random.default_rng(21)
    selfie = unit(rng.normal(size=(1, 128)))[0]

    def around(centre, distance):
        side = rng.normal(size=128)
        side = side - side.dot(centre) * centre
        side /= np.linalg.norm(side)
        angle = 2 * np.arcsin(distance / 2)
        return (np.cos(angle) * centre + np.sin(angle) * side).astype(np.float32)

    def person_of(event_album, centre_distance, count=4):
        centre = around(selfie, centre_distance)
        person = Person.objects.create(event=event_album.event)
        for _ in range(count):
            face = FaceFactory(
                photo=PhotoFactory(album=event_album), embedding=around(centre, 0.18)
            )
            FacePerson.objects.create(face=face, event=event_album.event, person=person)
        return person

    rules = MatchRules.for_embedder("dlib-resnet-v1")

    def found(event) -> set[int]:
        filters = SearchFilters(event_ids=[event.pk])
        decision = find_matches(selfie, embedder="dlib-resnet-v1", filters=filters, rules=rules)
        return {match.photo_id for match in decision.sure}

    guest = person_of(album, 0.32)
    person_of(album, 0.44)
    assert found(album.event) == set(
        FacePerson.objects.filter(person=guest).values_list("face__photo_id", flat=True)
    )
    crowded = AlbumFactory()
    person_of(crowded, 0.32)
    person_of(crowded, 0.35)
    assert found(crowded.event) == set()
