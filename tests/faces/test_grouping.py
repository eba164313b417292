"""Person matching: grouping an event's faces into people, and searching by person."""

import numpy as np
import pytest
from django_q.models import Schedule

from faces import people_upkeep, processing
from faces.grouping import GroupSums, group_faces
from faces.matching import MatchRules
from faces.models import EventGrouping, Face, Person, faces_changed
from faces.search import find_matches
from photos.filters import SearchFilters
from tests.factories import FaceFactory, PhotoFactory


def unit(vector):
    return vector / np.linalg.norm(vector)


def near(centre, rng, scale=0.02):
    return unit(centre + rng.normal(scale=scale, size=centre.shape)).astype(np.float32)


def test_faces_of_one_person_are_grouped_and_others_are_not():
    rng = np.random.default_rng(0)
    alice, bob = unit(rng.normal(size=128)), unit(rng.normal(size=128))
    vectors = np.array([near(alice, rng) for _ in range(4)] + [near(bob, rng) for _ in range(3)])
    labels = group_faces(vectors, np.arange(7), threshold=0.4)
    assert len(set(labels[:4])) == 1 and len(set(labels[4:])) == 1
    assert labels[0] != labels[4]


def test_two_faces_of_one_photo_are_never_the_same_person():
    rng = np.random.default_rng(1)
    alice = unit(rng.normal(size=128))
    twins = np.array([near(alice, rng, 0.005), near(alice, rng, 0.005), near(alice, rng, 0.005)])
    labels = group_faces(twins, np.array([7, 7, 8]), threshold=0.4)
    assert labels[0] != labels[1]


def test_look_alikes_stay_apart_while_one_persons_photos_come_together():
    """Two tight clusters 0.36 apart merge under plain average linkage (0.40), not under
    the relative rule; a loose cluster of one person still comes together."""
    rng = np.random.default_rng(3)
    base = unit(rng.normal(size=128))
    side = unit(rng.normal(size=128) - rng.normal(size=128).dot(base) * base)
    side = unit(side - side.dot(base) * base)
    venus, serena = base, unit(base + 0.366 * side)  # centres 0.36 apart
    sisters = np.array(
        [near(venus, rng, 0.012) for _ in range(6)] + [near(serena, rng, 0.012) for _ in range(6)]
    )
    plain = group_faces(sisters, np.arange(12), threshold=0.4)
    assert len(set(plain)) == 1  # the old rule merges them
    relative = group_faces(sisters, np.arange(12), threshold=0.4, relative=1.6, spread_floor=0.28)
    assert len(set(relative[:6])) == 1 and len(set(relative[6:])) == 1
    assert relative[0] != relative[6]
    loose = np.array([near(base, rng, 0.022) for _ in range(8)])  # one person, ~0.35 apart
    assert len(set(group_faces(loose, np.arange(8), threshold=0.4, relative=1.6))) == 1


@pytest.fixture
def person_event(album):
    """Five photos: Alice in four (one far from her usual look), Bob in one."""
    rng = np.random.default_rng(2)
    alice, bob = unit(rng.normal(size=128)), unit(rng.normal(size=128))
    sideways = rng.normal(size=128)
    sideways = unit(sideways - sideways.dot(alice) * alice)
    far_alice = unit(alice + 0.3444 * sideways)  # 0.33 from her usual look
    vectors = [near(alice, rng, 0.01) for _ in range(3)] + [far_alice.astype(np.float32)]
    vectors.append(near(bob, rng, 0.01))
    photos = []
    for vector in vectors:
        face = FaceFactory(photo=PhotoFactory(album=album), embedding=vector)
        photos.append(face.photo)
    faces_changed([album.event_id])
    return {"photos": photos, "alice": alice, "event": album.event}


def test_person_search_finds_photos_a_single_lookup_misses(person_event, settings):
    assert people_upkeep.group_event_faces(event_id=person_event["event"].pk) == 2
    assert people_upkeep.group_event_faces(event_id=person_event["event"].pk) is None  # unchanged
    selfie = near(person_event["alice"], np.random.default_rng(9), 0.01)
    filters = SearchFilters(event_ids=[person_event["event"].pk])
    rules = MatchRules(sure=0.33, maybe=0.33, mode="person", person_guard=0.45)
    decision = find_matches(selfie, embedder="dlib-resnet-v1", filters=filters, rules=rules)
    alice_photos = {p.pk for p in person_event["photos"][:4]}
    assert {m.photo_id for m in decision.sure} == alice_photos
    single = MatchRules(sure=0.33, maybe=0.33, mode="single")
    decision = find_matches(selfie, embedder="dlib-resnet-v1", filters=filters, rules=single)
    assert {m.photo_id for m in decision.sure} == alice_photos - {person_event["photos"][3].pk}


def test_photos_processed_while_others_wait_are_grouped_by_the_periodic_job(album, images):
    from faces import tasks
    from photos.services import add_photo

    photos = []
    for name in ("obama.jpg", "biden.jpg"):  # an upload: the second waits its turn
        with images[name].open("rb") as fp:
            photos.append(add_photo(album=album, fp=fp, original_filename=name, queue=False).photo)
    processing.process_photo(photo_id=photos[0].pk)
    assert EventGrouping.objects.get(event_id=album.event_id).version == 1
    assert Face.objects.get(photo=photos[0]).person is None  # left to the job
    assert tasks.group_changed_events() == 1
    person = Face.objects.get(photo=photos[0]).person
    assert Person.objects.filter(pk=person, event=album.event).exists()
    assert tasks.group_changed_events() == 0  # nothing changed since


def test_the_last_photo_waiting_is_grouped_at_once_for_live_events(album, images):
    """A camera's photo, processed with nothing else waiting: its faces join their
    people now, not at the next minute's job (guests find it within seconds)."""
    from faces import tasks
    from photos.services import add_photo

    with images["obama.jpg"].open("rb") as fp:
        photo = add_photo(album=album, fp=fp, original_filename="o.jpg", queue=False).photo
    processing.process_photo(photo_id=photo.pk)
    person = Face.objects.get(photo=photo).person
    assert Person.objects.filter(pk=person, event=album.event).exists()
    # The minute's job still runs its proper grouping, and the person keeps its id.
    assert tasks.group_changed_events() == 1
    assert Face.objects.get(photo=photo).person == person


def test_the_grouping_job_is_scheduled_every_minute(db):
    from django.core.management import call_command

    call_command("setup_schedules", stdout=__import__("io").StringIO())
    call_command("setup_schedules", stdout=__import__("io").StringIO())  # idempotent
    schedule = Schedule.objects.get(func="faces.tasks.group_changed_events")
    assert (schedule.schedule_type, schedule.minutes) == (Schedule.MINUTES, 1)


def test_the_end_of_a_big_upload_is_grouped_at_once_by_the_jobs_own_grouping(
    album, images, monkeypatch
):
    """The live path joins a camera photo's few faces one at a time; the last photo of
    an upload (or of a camera's burst) with many new faces brings the event up to date
    with the job's own grouping at once, rather than at the next minute's job."""
    from faces import people_upkeep, tasks
    from photos.services import add_photo

    monkeypatch.setattr(people_upkeep, "LIVE_JOIN_MAX_NEW_FACES", 3)
    regroupings = []
    real_regroup = people_upkeep.regroup_event

    def counted(**kwargs):
        regroupings.append(kwargs)
        return real_regroup(**kwargs)

    monkeypatch.setattr(people_upkeep, "regroup_event", counted)
    with images["group6.jpg"].open("rb") as fp:  # six faces: past the bound
        photo = add_photo(album=album, fp=fp, original_filename="g.jpg", queue=False).photo
    processing.process_photo(photo_id=photo.pk)
    matchable = Face.objects.filter(photo=photo, vectors128__is_matchable=True)
    assert matchable.count() >= 4
    assert not matchable.filter(grouping__isnull=True).exists()
    assert len(regroupings) == 1  # the job's full grouping of a new event, not one by one
    assert tasks.group_changed_events() == 0  # nothing left for the job


def test_new_faces_can_start_people_in_an_event_that_has_none_yet():
    """people_upkeep.assign_new_faces with no person to join: the empty sums are a
    (0, 128) array, once taken for (0, 1), which failed the live grouping of a photo."""
    groups = GroupSums(np.zeros((0, 128)), np.zeros(0, dtype=np.int64), capacity=2)
    assert groups.add_group(np.ones(128) / np.sqrt(128)) == 0
    assert groups.sums.shape == (2, 128) and groups.active == 1
