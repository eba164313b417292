"""A model change: dlib to ArcFace (a tiny random model of the real shapes), event by
event, while searches keep answering from dlib until the new vectors cover the event."""

import io

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from faces import moderation, people_upkeep, processing, reembedding, selfies
from faces.engines import embedders_for_new_faces, event_embedder_name
from faces.models import EventEmbedder, Face, FaceVector128, FaceVector512
from ml import loader
from ml.base import Embedder
from photos.filters import SearchFilters
from photos.services import add_photo
from tests.factories import vector_of
from tests.onnx_models import save_tiny_arcface

DLIB = "dlib-resnet-v1"


@pytest.fixture
def arcface(tmp_path, settings) -> Embedder:
    settings.FACES_ARCFACE_MODEL = str(save_tiny_arcface(tmp_path / "tiny.onnx"))
    return loader.get_embedder("arcface", dimensions=(128, 512))


def add(album, path, name=None):
    with path.open("rb") as fp:
        photo = add_photo(album=album, fp=fp, original_filename=name or path.name, queue=False)
    return processing.process_photo(photo_id=photo.photo.pk)


def search(event, images, name="obama3.jpg"):
    with images[name].open("rb") as fp:
        found = selfies.search_by_selfie(fp=fp, filters=SearchFilters(event_ids=[event.pk]))
    return {match.photo_id for match in found.sure}


def test_an_event_answers_from_dlib_until_arcface_covers_it_then_switches(
    album, images, staff, arcface
):
    event = album.event
    obama, obama2, biden = (add(album, images[n]) for n in ("obama.jpg", "obama2.jpg", "biden.jpg"))
    group = add(album, images["group6.jpg"])
    hidden = group.faces.order_by("x").first()
    moderation.hide_faces(faces=Face.objects.filter(pk=hidden.pk), user=staff)
    people_upkeep.group_event_faces(event_id=event.pk)
    face_ids = set(Face.objects.values_list("pk", flat=True))
    before = search(event, images)
    assert before >= {obama.pk, obama2.pk} and biden.pk not in before

    assert reembedding.start_switch(embedder=arcface, event_ids=[event.pk]) == [event.pk]
    missing = reembedding.photos_missing(event_id=event.pk, embedder=arcface)
    assert missing == sorted([obama.pk, obama2.pk, biden.pk, group.pk])

    # Half-way: the event still answers from dlib, with all of its photos.
    reembedding.reembed_photos(photo_ids=missing[:2], embedder=arcface)
    state = reembedding.coverage(event.pk)
    assert (state.answering, state.switching_to) == (DLIB, arcface.name)
    assert 0 < state.covered < state.faces == 8  # 3 single faces and 5 visible of 6
    assert not reembedding.finish_if_covered(event_id=event.pk)
    assert search(event, images) == before

    # A photo arriving meanwhile gets both vectors, so it never holds the switch back.
    assert {e.name for e in embedders_for_new_faces(event.pk)} == {DLIB, arcface.name}
    late = add(album, images["obama3.jpg"], "late.jpg")
    late_face = late.faces.get()
    assert vector_of(late_face, DLIB) is not None
    assert vector_of(late_face, arcface.name) is not None

    stored, problems = reembedding.reembed_photos(photo_ids=missing[2:], embedder=arcface)
    assert stored > 0 and problems == []
    assert reembedding.finish_if_covered(event_id=event.pk)
    assert event_embedder_name(event.pk) == arcface.name
    assert reembedding.coverage(event.pk).share == 1.0

    # Nothing a person decided was lost: the same faces, the hidden one hidden and
    # without a vector of either embedder.
    assert set(Face.objects.values_list("pk", flat=True)) == face_ids | {late_face.pk}
    assert Face.objects.get(pk=hidden.pk).status == Face.Status.HIDDEN
    assert vector_of(hidden, DLIB) is None and vector_of(hidden, arcface.name) is None
    assert FaceVector512.objects.filter(event=event).count() == 9  # 8 + the late one
    # Searches and the grouping now use the 512-number vectors.
    assert people_upkeep.group_event_faces(event_id=event.pk) is not None
    assert selfies.events_by_embedder([event.pk]) == {arcface.name: [event.pk]}
    search(event, images)  # answers (a random model finds nothing useful, but no error)


def test_the_new_vectors_come_from_the_stored_places_even_without_landmarks(album, images, arcface):
    photo = add(album, images["group6.jpg"])
    reembedding.start_switch(embedder=arcface, event_ids=[album.event_id])
    reembedding.reembed_photos(photo_ids=[photo.pk], embedder=arcface)
    with_landmarks = {face.pk: vector_of(face, arcface.name) for face in photo.faces.all()}
    FaceVector512.objects.all().delete()
    Face.objects.filter(photo=photo).update(landmarks=None)  # as stored before landmarks
    reembedding.reembed_photos(photo_ids=[photo.pk], embedder=arcface)
    for face in photo.faces.all():
        again = vector_of(face, arcface.name)
        assert np.linalg.norm(again - with_landmarks[face.pk]) < 0.05


def test_a_face_hidden_while_its_vector_is_computed_gets_none(album, images, staff, arcface):
    photo = add(album, images["obama.jpg"])
    face = photo.faces.get()
    vectors = np.ones((1, 512), dtype=np.float32) / np.sqrt(512)
    moderation.hide_faces(faces=Face.objects.filter(pk=face.pk), user=staff)
    assert reembedding.store_new_vectors([face], vectors, arcface) == 0
    assert not FaceVector512.objects.exists()


def test_old_vectors_are_dropped_only_once_no_event_uses_them(album, images, arcface):
    add(album, images["obama.jpg"])
    with pytest.raises(ValueError, match="configured embedder"):
        reembedding.drop_vectors(embedder_name=DLIB, configured=DLIB)
    reembedding.start_switch(embedder=arcface)
    with pytest.raises(ValueError, match="still answer from arcface|switching to it"):
        reembedding.drop_vectors(embedder_name=arcface.name, configured=DLIB)
    with pytest.raises(ValueError, match="1 event"):
        reembedding.drop_vectors(embedder_name=DLIB, configured="another")
    call_command("reembed_faces", "--embedder", "arcface", "--sync", stdout=io.StringIO())
    assert EventEmbedder.objects.get().embedder == arcface.name
    assert reembedding.drop_vectors(embedder_name=DLIB, configured="another") == 1
    assert not FaceVector128.objects.exists() and FaceVector512.objects.count() == 1


def test_the_command_switches_reports_and_explains_refusals(album, images, arcface):
    add(album, images["obama.jpg"])
    add(album, images["biden.jpg"])
    out = io.StringIO()
    call_command("reembed_faces", "--status", stdout=out)
    assert f"{album.event.slug}: answers from {DLIB}" in out.getvalue()
    reembedding.start_switch(embedder=arcface)
    out = io.StringIO()
    call_command("reembed_faces", "--status", stdout=out)
    assert f"switching to {arcface.name}: 0 of 2 faces (0%)" in out.getvalue()
    out = io.StringIO()
    call_command("reembed_faces", "--embedder", "arcface", "--sync", stdout=out)
    assert f"{album.event.slug}: now answers from {arcface.name}" in out.getvalue()
    out = io.StringIO()
    call_command("reembed_faces", "--embedder", "arcface", stdout=out)
    assert "Every event already answers from" in out.getvalue()
    with pytest.raises(CommandError, match="configured embedder"):
        call_command("reembed_faces", "--drop", DLIB)
    with pytest.raises(CommandError, match="No event with slug"):
        call_command("reembed_faces", "--event", "nope", "--embedder", "arcface")
    with pytest.raises(CommandError, match="Give --embedder"):
        call_command("reembed_faces")


def test_a_missing_model_file_is_a_clear_command_error(album, settings):
    settings.FACES_ARCFACE_MODEL = "/nowhere/w600k_mbf.onnx"
    with pytest.raises(CommandError, match="is not a file"):
        call_command("reembed_faces", "--embedder", "arcface")


def test_the_admin_shows_each_events_model_its_progress_and_the_licence(
    client, staff, album, images, arcface
):
    add(album, images["obama.jpg"])
    add(album, images["biden.jpg"])
    client.force_login(staff)
    listing = client.get(reverse("admin:photos_event_changelist")).content.decode()
    assert DLIB in listing and "non-commercial" not in listing
    reembedding.start_switch(embedder=arcface)
    reembedding.reembed_photos(
        photo_ids=reembedding.photos_missing(event_id=album.event_id, embedder=arcface)[:1],
        embedder=arcface,
    )
    listing = client.get(reverse("admin:photos_event_changelist")).content.decode()
    assert f"switching to {arcface.name}: 50% of faces done" in listing
    assert "non-commercial research only" in listing


def test_a_hidden_person_stays_hidden_after_a_model_change(album, images, staff, arcface, settings):
    from faces import organiser_decisions, tasks

    obama, _ = add(album, images["obama.jpg"]), add(album, images["obama2.jpg"])
    add(album, images["biden.jpg"])
    people_upkeep.group_event_faces(event_id=album.event_id)
    person = obama.faces.get().grouping.person
    assert organiser_decisions.hide(person=person, user=staff) == 2
    person.refresh_from_db()
    assert set(person.seed) == {DLIB}

    reembedding.start_switch(embedder=arcface, event_ids=[album.event_id])
    tasks.reembed_event(album.event_id, arcface.name)
    assert event_embedder_name(album.event_id) == arcface.name
    person.refresh_from_db()
    assert person.seed[arcface.name]["count"] == 2  # from the hidden faces' boxes

    # New faces now get ArcFace vectors only; the person is recognised by that seed.
    settings.FACES_EMBEDDER = "arcface"
    obama.hidden_areas.all().delete()  # as if the face were found somewhere new
    processing.process_photo(photo_id=obama.pk)
    face = obama.faces.get()
    assert vector_of(face, DLIB) is None
    assert face.status == Face.Status.HIDDEN and face.person == person.pk
