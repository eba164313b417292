"""Moderation: staff in the admin, organisers on their photo pages, one service."""

import pytest
from django.urls import reverse

from faces import moderation
from faces.models import Face
from faces.processing import process_photo
from photos.models import Photo
from photos.services import add_photo
from tests.factories import vector_of


@pytest.fixture
def group_photo(album, images):
    with images["group6.jpg"].open("rb") as fp:
        added = add_photo(album=album, fp=fp, original_filename="group.jpg", queue=False)
    return process_photo(photo_id=added.photo.pk)


def admin_action(client, action, faces):
    return client.post(
        reverse("admin:faces_face_changelist"),
        {"action": action, "_selected_action": [f.pk for f in faces]},
        follow=True,
    )


def test_staff_hide_and_restore_faces_with_audit_fields(client, staff, group_photo):
    client.force_login(staff)
    faces = list(group_photo.faces.order_by("id")[:2])
    response = admin_action(client, "hide_selected", faces)
    assert "2 faces hidden" in response.content.decode()
    for face in Face.objects.filter(pk__in=[f.pk for f in faces]):
        assert face.status == Face.Status.HIDDEN
        assert face.moderated_by == staff and face.moderated_at is not None
    response = admin_action(client, "restore_selected", faces[:1])
    assert "1 face restored" in response.content.decode()
    assert Face.objects.get(pk=faces[0].pk).status == Face.Status.VISIBLE


def test_the_face_changelist_shows_crops_without_loading_vectors(
    client, staff, group_photo, django_assert_max_num_queries
):
    client.force_login(staff)
    url = reverse("admin:faces_face_changelist")
    filters = {"status": "visible", "score_band": "high", "size_band": "large"}
    with django_assert_max_num_queries(12):  # no query per row
        assert client.get(url, filters).status_code == 200
    page = client.get(url).content.decode()
    assert "embedding" not in page
    crops = [
        reverse("faces:face_crop", args=[f.pk]) for f in group_photo.faces.order_by("score", "id")
    ]
    assert all(crop in page for crop in crops)
    positions = [page.index(crop) for crop in crops]
    assert positions == sorted(positions)  # lowest score first


def test_the_review_grid_hides_the_selected_faces(client, staff, group_photo):
    client.force_login(staff)
    url = reverse("admin:faces_face_review")
    page = client.get(url, {"event": group_photo.event_id}).content.decode()
    assert page.count('name="face"') == 6
    chosen = list(group_photo.faces.values_list("pk", flat=True)[:2])
    assert "Next page" not in page  # every face fits on this page
    response = client.post(url, {"event": group_photo.event_id, "face": chosen}, follow=True)
    assert "2 faces hidden" in response.content.decode()
    assert set(Face.objects.filter(status="hidden").values_list("pk", flat=True)) == set(chosen)
    # Hiding offers an undo, which shows those faces again (found again by processing).
    assert 'id="undo-hide"' in response.content.decode()
    undone = client.post(url, {"event": group_photo.event_id, "action": "undo"}, follow=True)
    assert "2 faces shown again" in undone.content.decode()
    assert 'id="undo-hide"' not in undone.content.decode()


def test_the_review_grid_pages_only_when_there_is_more(client, staff, group_photo, monkeypatch):
    from faces.admin import faces as review

    monkeypatch.setattr(review, "REVIEW_PAGE_SIZE", 4)
    client.force_login(staff)
    url = reverse("admin:faces_face_review")
    first = client.get(url, {"event": group_photo.event_id}).content.decode()
    assert first.count('name="face"') == 4 and "Next page" in first
    second = client.get(url, {"event": group_photo.event_id, "page": 1}).content.decode()
    assert second.count('name="face"') == 2 and "Next page" not in second
    assert "Previous page" in second


def test_moderation_screens_are_for_staff_only(client, owner, group_photo):
    client.force_login(owner)
    assert client.get(reverse("admin:faces_face_changelist")).status_code == 302
    assert client.get(reverse("admin:faces_face_review")).status_code == 302


def test_photo_and_event_admin_pages_show_faces_and_counts(client, staff, group_photo):
    client.force_login(staff)
    page = client.get(reverse("admin:photos_photo_change", args=[group_photo.pk])).content.decode()
    assert page.count("border:2px solid") == 6 and page.count("/crop.jpg") >= 6
    listing = client.get(reverse("admin:photos_event_changelist")).content.decode()
    assert '<td class="field-faces">6</td>' in listing


def test_admin_actions_rerun_detection_and_hide_all(
    client, staff, group_photo, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    hidden = group_photo.faces.order_by("x").first()
    moderation.hide_faces(faces=Face.objects.filter(pk=hidden.pk), user=staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:photos_photo_changelist"),
            {"action": "rerun_detection", "_selected_action": [group_photo.pk]},
            follow=True,
        )
    assert "1 photo queued" in response.content.decode()
    assert group_photo.faces.count() == 6
    assert list(group_photo.faces.filter(status="hidden").values_list("x", flat=True)) == [hidden.x]
    client.post(
        reverse("admin:photos_photo_changelist"),
        {"action": "hide_all_faces", "_selected_action": [group_photo.pk]},
    )
    assert group_photo.faces.filter(status="visible").count() == 0


def test_event_admin_retries_failed_photos(
    client, staff, group_photo, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    Photo.objects.filter(pk=group_photo.pk).update(
        processing_status="failed", processing_error="boom"
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:photos_event_changelist"),
            {"action": "retry_failed", "_selected_action": [group_photo.event_id]},
        )
    assert Photo.objects.get(pk=group_photo.pk).processing_status == "done"


def test_organisers_hide_and_restore_faces_of_their_own_photos(owner_client, group_photo):
    face = group_photo.faces.first()
    response = owner_client.post(reverse("faces:face_moderate", args=[face.pk, "hide"]))
    assert response.status_code == 302
    face.refresh_from_db()
    assert face.status == "hidden" and face.moderated_by.username == "owner"
    owner_client.post(reverse("faces:face_moderate", args=[face.pk, "restore"]))
    face.refresh_from_db()
    assert face.status == "visible"


def test_an_organiser_cannot_moderate_another_organisers_faces(client, other_user, group_photo):
    client.force_login(other_user)
    face = group_photo.faces.first()
    assert client.post(reverse("faces:face_moderate", args=[face.pk, "hide"])).status_code == 404
    assert client.get(reverse("faces:face_crop", args=[face.pk])).status_code == 404
    face.refresh_from_db()
    assert face.status == "visible"


def test_face_crops_are_jpegs_for_the_owner(owner_client, group_photo):
    response = owner_client.get(reverse("faces:face_crop", args=[group_photo.faces.first().pk]))
    assert response.status_code == 200 and response.content[:2] == b"\xff\xd8"


def test_hidden_faces_are_excluded_from_every_search_path(
    client, owner, staff, group_photo, images
):
    from faces.matching import MatchRules
    from faces.search import find_matches
    from photos.filters import SearchFilters

    event = group_photo.event
    with images["obama.jpg"].open("rb") as fp:
        obama = process_photo(
            photo_id=add_photo(
                album=group_photo.album, fp=fp, original_filename="o.jpg", queue=False
            ).photo.pk
        )
    face = obama.faces.get()
    embedding = vector_of(face)
    moderation.hide_faces(faces=Face.objects.filter(pk=face.pk), user=staff)
    for event_ids in ([event.pk], None):  # exact and approximate paths
        decision = find_matches(
            embedding,
            embedder="dlib-resnet-v1",
            filters=SearchFilters(event_ids=event_ids),
            rules=MatchRules(sure=0.5, sure_alone=0.5, maybe=0.6),
        )
        assert obama.pk not in {m.photo_id for m in decision.sure + decision.maybe}
    client.force_login(staff)
    with images["obama2.jpg"].open("rb") as fp:
        response = client.post(reverse("faces:organiser_search"), {"selfie": fp})
    assert obama.pk not in {p.pk for p, _ in response.context["sure"] + response.context["maybe"]}
