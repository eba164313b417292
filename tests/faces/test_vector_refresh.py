"""Vectors stored under an earlier small-face rule are brought up to the rule in force,
in place, in the background (faces.vector_refresh): the same faces, people and
decisions, new vectors for the small faces, then a full regrouping."""

import io
import logging

import numpy as np
import pytest
from django.core.management import call_command

from faces import organiser_decisions, people_upkeep, tasks, vector_refresh
from faces.analysis import current_rule
from faces.engines import get_embedder
from faces.models import EventEmbedder, Face, Person, vector_model
from faces.processing import process_photo
from photos.services import add_photo
from tests.faces.test_mirror_stored import MIRROR_BELOW_PX, found_faces, references, two_sizes_photo

pytestmark = pytest.mark.django_db


def add(album, data: bytes, name: str):
    added = add_photo(album=album, fp=io.BytesIO(data), original_filename=name, queue=False)
    return process_photo(photo_id=added.photo.pk)


def rows_by_size(photo) -> dict[bool, object]:
    """The photo's vector rows, keyed by whether the face is under the mirror size."""
    embedder = get_embedder()
    return {
        face.short_side < MIRROR_BELOW_PX: vector_model(embedder.dimensions).objects.get(
            face=face, embedder=embedder.name
        )
        for face in Face.objects.filter(photo=photo)
    }


def stored_before_the_rule(album, images, settings, count: int = 1) -> list:
    """Photos of Obama at 60 and 200 px processed while every face was stored plain
    (as before 2026-12-06), then the rule in force again."""
    settings.FACES_MIRROR_BELOW_PX = 0
    photos = [
        add(album, two_sizes_photo(images, quality=92 - n), f"two-{n}.jpg") for n in range(count)
    ]
    settings.FACES_MIRROR_BELOW_PX = None
    return photos


def test_each_vector_records_whether_it_is_mirrored_and_the_event_its_rule(album, images):
    photo = add(album, two_sizes_photo(images), "two.jpg")
    rows = rows_by_size(photo)
    assert rows[True].mirrored and not rows[False].mirrored
    embedder = get_embedder()
    row = EventEmbedder.objects.get(event=album.event)
    assert row.vectors_rule == current_rule(embedder) == f"{embedder.name} alignment 2 mirror<80"
    assert not vector_refresh.stale_vectors(event_id=album.event_id, embedder=embedder).exists()
    assert vector_refresh.start_refreshes(embedder=embedder) == []


def test_an_event_stored_before_the_rule_is_brought_up_to_it_in_place(
    album, images, settings, monkeypatch
):
    monkeypatch.setattr(vector_refresh, "PHOTOS_PER_TASK", 1)  # a pass of two chunks
    first, second = stored_before_the_rule(album, images, settings, count=2)
    embedder, event_id = get_embedder(), album.event_id
    people_upkeep.group_event_faces(event_id=event_id)
    before = {photo.pk: rows_by_size(photo) for photo in (first, second)}
    assert not before[first.pk][True].mirrored
    person = Person.objects.get(pk=first.faces.order_by("width").first().person)
    organiser_decisions.rename(person=person, name="Barack")
    people = {face.pk: face.person for face in Face.objects.all()}
    assert len(set(people.values())) == 2  # the small faces, the large ones
    assert vector_refresh.waiting(event_id=event_id, embedder=embedder) == 2

    assert vector_refresh.start_refreshes(embedder=embedder) == [event_id]
    assert vector_refresh.start_refreshes(embedder=embedder) == []  # one pass at a time
    tasks.refresh_event_vectors(event_id)  # its next chunk runs at once (sync tasks)

    for n, photo in enumerate((first, second)):
        loaded, small, _ = found_faces(two_sizes_photo(images, quality=92 - n))
        small_plain, small_mirrored = references(loaded, small)
        after = rows_by_size(photo)
        assert after[True].mirrored and after[True].pk == before[photo.pk][True].pk
        assert np.linalg.norm(np.asarray(after[True].embedding) - small_mirrored) < 0.01
        assert np.linalg.norm(np.asarray(after[True].embedding) - small_plain) > 0.02
        # The large face's vector is untouched.
        assert np.array_equal(after[False].embedding, before[photo.pk][False].embedding)
    assert set(Face.objects.values_list("pk", flat=True)) == set(people)
    row = EventEmbedder.objects.get(event_id=event_id)
    assert row.vectors_rule == current_rule(embedder) and row.refresh_started is None
    assert row.grouped_with == ""  # regrouped in full by the next grouping job
    assert vector_refresh.waiting(event_id=event_id, embedder=embedder) == 0
    assert vector_refresh.start_refreshes(embedder=embedder) == []

    tasks.group_changed_events()
    person.refresh_from_db()
    assert person.name == "Barack"
    assert {face.pk: face.person for face in Face.objects.all()} == people


def test_an_unreadable_photo_keeps_its_vectors_and_the_pass_still_ends(
    album, images, settings, caplog
):
    broken, readable = stored_before_the_rule(album, images, settings, count=2)
    broken.file.storage.delete(broken.file.name)
    embedder = get_embedder()
    assert vector_refresh.start_refreshes(embedder=embedder) == [album.event_id]
    with caplog.at_level(logging.WARNING):
        tasks.refresh_event_vectors(album.event_id)
    assert not rows_by_size(broken)[True].mirrored
    assert rows_by_size(readable)[True].mirrored
    assert f"Photo {broken.pk} keeps its earlier face vectors" in caplog.text
    row = EventEmbedder.objects.get(event=album.event)
    assert row.vectors_rule == current_rule(embedder) and row.refresh_started is None
    # The pass is not started again for it: the photo's next processing mends it.
    assert vector_refresh.start_refreshes(embedder=embedder) == []


def test_a_hidden_persons_seed_is_computed_again_by_the_rule(album, images, settings, staff):
    photos = stored_before_the_rule(album, images, settings, count=2)
    people_upkeep.group_event_faces(event_id=album.event_id)
    person = Person.objects.get(pk=photos[0].faces.order_by("width").first().person)
    assert organiser_decisions.hide(person=person, user=staff) == 2  # the small faces
    person.refresh_from_db()
    name = get_embedder().name
    old_sum = np.asarray(person.seed[name]["sum"])

    assert vector_refresh.start_refreshes(embedder=get_embedder()) == [album.event_id]
    tasks.refresh_event_vectors(album.event_id)
    person.refresh_from_db()
    expected = 0
    for n in range(2):
        loaded, small, _ = found_faces(two_sizes_photo(images, quality=92 - n))
        expected = expected + references(loaded, small)[1]
    assert person.seed[name]["count"] == 2
    assert np.linalg.norm(np.asarray(person.seed[name]["sum"]) - expected) < 0.02
    assert np.linalg.norm(old_sum - expected) > 0.04
    assert EventEmbedder.objects.get(event=album.event).vectors_rule == current_rule(get_embedder())


def test_an_event_in_a_model_change_is_left_to_it(album, images, settings):
    stored_before_the_rule(album, images, settings)
    EventEmbedder.objects.filter(event=album.event).update(switching_to="arcface-anything")
    assert vector_refresh.start_refreshes(embedder=get_embedder()) == []


def test_the_status_command_counts_the_vectors_waiting(album, images, settings):
    stored_before_the_rule(album, images, settings)
    out = io.StringIO()
    call_command("reembed_faces", "--status", stdout=out)
    assert "1 vectors from before" in out.getvalue()


def test_the_admin_shows_an_event_whose_small_faces_are_being_refreshed(
    client, staff, album, images, settings
):
    from django.urls import reverse

    stored_before_the_rule(album, images, settings)
    client.force_login(staff)
    url = reverse("admin:photos_event_changelist")
    assert "being embedded again" not in client.get(url).content.decode()
    vector_refresh.start_refreshes(embedder=get_embedder())
    assert "faces being embedded again by the current rule" in client.get(url).content.decode()
    tasks.refresh_event_vectors(album.event_id)
    assert "being embedded again" not in client.get(url).content.decode()


def test_a_pass_that_stopped_is_started_again_after_an_hour(album, images, settings):
    from datetime import timedelta

    from django.utils import timezone

    stored_before_the_rule(album, images, settings)
    embedder = get_embedder()
    assert vector_refresh.start_refreshes(embedder=embedder) == [album.event_id]
    rows = EventEmbedder.objects.filter(event=album.event)
    rows.update(refresh_started=timezone.now() - timedelta(minutes=50))
    assert vector_refresh.start_refreshes(embedder=embedder) == []
    rows.update(refresh_started=timezone.now() - timedelta(minutes=70))
    assert vector_refresh.start_refreshes(embedder=embedder) == [album.event_id]


def test_vectors_cut_out_the_earlier_way_are_embedded_again(album, images, monkeypatch):
    """dlib's landmarks were found in the detector's own box before 2026-12-06
    (alignment 1); now in the box dlib's detectors draw (2). Every face then waits."""
    from ml.embedders import dlib as dlib_module

    embedder = get_embedder()
    data = two_sizes_photo(images)
    monkeypatch.setattr(dlib_module, "DLIB_BOX", dict(shift_x=0, shift_y=0, width=1, height=1))
    monkeypatch.setattr(type(embedder), "alignment", 1)
    photo = add(album, data, "two.jpg")
    before = rows_by_size(photo)
    assert {row.alignment for row in before.values()} == {1}
    monkeypatch.undo()
    assert embedder.alignment == 2
    assert vector_refresh.waiting(event_id=album.event_id, embedder=embedder) == 2

    assert vector_refresh.start_refreshes(embedder=embedder) == [album.event_id]
    tasks.refresh_event_vectors(album.event_id)
    after = rows_by_size(photo)
    loaded, small, large = found_faces(data)
    for is_small, face, reference in ((True, small, 1), (False, large, 0)):
        vector = np.asarray(after[is_small].embedding)
        assert after[is_small].alignment == 2
        assert np.linalg.norm(vector - references(loaded, face)[reference]) < 0.01
        assert np.linalg.norm(vector - np.asarray(before[is_small].embedding)) > 0.01
    assert vector_refresh.waiting(event_id=album.event_id, embedder=embedder) == 0


def test_dlibs_landmarks_are_found_in_the_box_dlibs_detectors_draw():
    import dlib

    from ml.base import Box
    from ml.embedders.dlib import dlib_rectangle

    # A libfacedetection box, 100 wide and 130 tall: dlib's is lower and squarer.
    rect = dlib_rectangle(dlib, Box(200, 100, 100, 130, 0.9))
    assert (rect.left(), rect.top(), rect.right(), rect.bottom()) == (192, 115, 305, 226)
