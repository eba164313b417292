"""People with stable ids: new faces join them, a full regrouping keeps them and every
decision of the organiser's (names, merges, "not this person", hides), shares."""

import numpy as np
import pytest
from django.urls import reverse

from faces import organiser_decisions, people_upkeep
from faces.grouping import GroupSums, assign_faces, map_groups, merge_new_groups
from faces.models import EventGrouping, Face, FacePerson, Person, faces_changed
from tests.factories import FaceFactory, PhotoFactory


def unit(vector):
    return vector / np.linalg.norm(vector)


def near(centre, rng, scale=0.01):
    return unit(centre + rng.normal(scale=scale, size=centre.shape)).astype(np.float32)


@pytest.fixture
def rng():
    return np.random.default_rng(5)


@pytest.fixture
def centres(rng):
    return {name: unit(rng.normal(size=128)) for name in ("alice", "bob", "carol")}


def add_faces(album, centre, rng, count):
    faces = [
        FaceFactory(photo=PhotoFactory(album=album), embedding=near(centre, rng))
        for _ in range(count)
    ]
    faces_changed([album.event_id])
    return faces


def models_version(album):
    row = EventGrouping.objects.filter(event_id=album.event_id).first()
    return row.version if row else 0


def person_of(face):
    return FacePerson.objects.get(face=face).person


@pytest.fixture
def grouped(album, centres, rng):
    """Alice in four photos, Bob in three, grouped."""
    alice = add_faces(album, centres["alice"], rng, 4)
    bob = add_faces(album, centres["bob"], rng, 3)
    assert people_upkeep.group_event_faces(event_id=album.event_id) == 2
    return {"alice": alice, "bob": bob}


def test_new_faces_join_the_person_they_belong_to_and_ids_stay(album, grouped, centres, rng):
    alice = person_of(grouped["alice"][0])
    bob = person_of(grouped["bob"][0])
    assert {person_of(f) for f in grouped["alice"]} == {alice}
    newcomer = add_faces(album, centres["alice"], rng, 1)[0]
    stranger = add_faces(album, centres["carol"], rng, 1)[0]
    assert people_upkeep.group_event_faces(event_id=album.event_id) == 3
    assert person_of(newcomer) == alice
    assert person_of(stranger) not in (alice, bob)
    # A full regrouping finds the same people: their ids stay.
    assert people_upkeep.group_event_faces(event_id=album.event_id, full=True) == 3
    assert person_of(newcomer) == alice and person_of(grouped["bob"][0]) == bob


def test_a_full_regrouping_keeps_names_merges_and_not_this_person(album, grouped):
    alice = person_of(grouped["alice"][0])
    bob = person_of(grouped["bob"][0])
    organiser_decisions.rename(person=bob, name="  Bob Builder ")
    split_off = organiser_decisions.split_face(face=grouped["alice"][3])
    assert split_off.pk not in (alice.pk, bob.pk)
    people_upkeep.group_event_faces(event_id=album.event_id, full=True)
    assert person_of(grouped["alice"][3]) == split_off  # never rejoins Alice
    assert {person_of(f) for f in grouped["alice"][:3]} == {alice}
    assert Person.objects.get(pk=bob.pk).name == "Bob Builder"
    merged = organiser_decisions.merge(into=alice, other=Person.objects.get(pk=bob.pk))
    assert merged.name == "Bob Builder"
    assert not Person.objects.filter(pk=bob.pk).exists()
    people_upkeep.group_event_faces(event_id=album.event_id, full=True)
    together = grouped["alice"][:3] + grouped["bob"]
    assert {person_of(f) for f in together} == {alice}


def test_decisions_that_cannot_be_taken_say_why(album, grouped, event):
    alice = person_of(grouped["alice"][0])
    with pytest.raises(organiser_decisions.PersonError, match="two different"):
        organiser_decisions.merge(into=alice, other=alice)
    lonely = organiser_decisions.split_face(face=grouped["alice"][0])
    with pytest.raises(organiser_decisions.PersonError, match="only face"):
        organiser_decisions.split_face(face=grouped["alice"][0])
    stranger = Person.objects.create(event=PhotoFactory().event)
    with pytest.raises(organiser_decisions.PersonError, match="same event"):
        organiser_decisions.merge(into=lonely, other=stranger)


def test_people_are_listed_most_photographed_first_with_their_largest_face(album, grouped):
    Face.objects.filter(pk=grouped["bob"][1].pk).update(width=200)
    listed = list(organiser_decisions.people_of(album.event))
    assert [p.photo_count for p in listed] == [4, 3]
    assert listed[1].cover_face_id == grouped["bob"][1].pk


def test_a_hidden_person_is_in_no_list_no_photos_and_no_share_link(album, grouped, owner):
    bob = person_of(grouped["bob"][0])
    token = organiser_decisions.share(person=bob)
    assert organiser_decisions.shared_person(token) == bob
    assert set(organiser_decisions.photos_of(bob)) == {f.photo for f in grouped["bob"]}
    assert organiser_decisions.hide(person=bob, user=owner) == 3
    bob.refresh_from_db()
    assert organiser_decisions.shared_person(token) is None and bob.share_token is None
    assert not organiser_decisions.photos_of(bob).exists()
    assert [p.pk for p in organiser_decisions.people_of(album.event)] == [
        person_of(grouped["alice"][0]).pk
    ]
    assert list(organiser_decisions.people_of(album.event, hidden=True)) == [bob]
    # A full regrouping keeps the hidden person and their (hidden) faces.
    people_upkeep.group_event_faces(event_id=album.event_id, full=True)
    assert {person_of(f) for f in grouped["bob"]} == {bob}
    with pytest.raises(organiser_decisions.PersonError, match="hidden"):
        organiser_decisions.share(person=bob)


def test_revoking_a_share_link_ends_it(album, grouped):
    alice = person_of(grouped["alice"][0])
    first = organiser_decisions.share(person=alice)
    second = organiser_decisions.share(person=alice)
    assert organiser_decisions.shared_person(first) is None
    assert organiser_decisions.shared_person(second) == alice
    organiser_decisions.unshare(person=alice)
    assert organiser_decisions.shared_person(second) is None
    assert organiser_decisions.shared_person("") is None


def test_assignment_never_puts_two_faces_of_one_photo_in_one_person():
    rng = np.random.default_rng(1)
    alice = unit(rng.normal(size=64))
    known = np.array([near(alice, rng) for _ in range(3)], dtype=np.float64)
    groups = GroupSums(known.sum(axis=0, keepdims=True), np.array([3]), capacity=4)
    photos = [{10}]
    chosen = assign_faces(
        groups,
        np.array([near(alice, rng), near(alice, rng), near(-alice, rng)]),
        [20, 20, 21],
        photos,
        threshold=0.4,
        relative=1.6,
        spread_floor=0.28,
    )
    assert chosen[0] == 0  # joins Alice
    assert chosen[1] == 1  # same photo as the first: a person of its own
    assert chosen[2] == 2  # nobody known
    assert photos[0] == {10, 20}


def test_groups_continue_the_person_most_of_their_faces_were_in():
    labels = np.array([0, 0, 0, 1, 1, 2])
    previous = [7, 7, 8, 8, 8, None]
    assert map_groups(labels, previous) == {0: 7, 1: 8, 2: None}
    # One person split in two groups: only the larger keeps the id.
    assert map_groups(np.array([0, 0, 1]), [7, 7, 7]) == {0: 7, 1: None}


def test_groups_started_by_new_faces_merge_into_the_person_they_belong_to():
    rng = np.random.default_rng(2)
    alice, bob = unit(rng.normal(size=64)), unit(rng.normal(size=64))

    def groups_of(*members):
        """Existing Alice (4 faces, photos 1-4), then new groups (centre, size, photos)."""
        groups = GroupSums(faces(alice, 4)[None, :], np.array([4]), capacity=4)
        photos = [{1, 2, 3, 4}]
        for centre, count, photo_ids in members:
            index = groups.add_group(faces(centre, 1))
            groups.sums[index], groups.counts[index] = faces(centre, count), count
            photos.append(set(photo_ids))
        return groups, photos

    def faces(centre, count):
        return np.array([near(centre, rng) for _ in range(count)], dtype=np.float64).sum(axis=0)

    rule = {"threshold": 0.4, "relative": 1.6, "spread_floor": 0.28}
    groups, photos = groups_of((alice, 2, {5, 6}), (bob, 2, {7, 8}))
    assert merge_new_groups(groups, 1, photos, **rule) == {1: 0}  # Bob stays apart
    assert groups.counts[0] == 6 and photos[0] == {1, 2, 3, 4, 5, 6}
    # A face in a photo she is already in cannot be her.
    groups, photos = groups_of((alice, 1, {4}))
    assert merge_new_groups(groups, 1, photos, **rule) == {}


def test_a_person_split_in_two_is_offered_as_a_look_alike(album, grouped):
    alice = person_of(grouped["alice"][0])
    half = organiser_decisions.split_face(face=grouped["alice"][3])
    offered = organiser_decisions.look_alikes(alice)
    assert [p.pk for p in offered] == [half.pk]  # Bob is too far to be offered
    assert offered[0].photo_count == 1 and offered[0].cover_face_id == grouped["alice"][3].pk
    assert [p.pk for p in organiser_decisions.look_alikes(half)] == [alice.pk]


def test_a_look_alike_seen_in_one_photo_with_the_person_is_not_offered_to_merge(
    album, grouped, centres, rng, owner_client
):
    """Two faces of one photo are two people: the person page offers no merge with a
    person who has a face in one of this person's photos."""
    alice = person_of(grouped["alice"][0])
    half = organiser_decisions.split_face(face=grouped["alice"][3])
    merge_offer = f'name="people" value="{half.pk}"'
    page = owner_client.get(reverse("faces:person", args=[alice.pk])).content.decode()
    assert merge_offer in page
    photo_with_alice = grouped["alice"][0].photo
    beside_alice = FaceFactory(photo=photo_with_alice, embedding=near(centres["alice"], rng))
    FacePerson.objects.create(face=beside_alice, event=album.event, person=half)
    page = owner_client.get(reverse("faces:person", args=[alice.pk])).content.decode()
    assert merge_offer not in page
