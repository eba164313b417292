"""Who may change what: every POST endpoint, for every kind of visitor.

A refused visitor gets the login page (anonymous, attendees) or a 404 (another
organiser, a moderator: staff without the "manage every event" permission) and
nothing changes; the organiser and a superuser get their way.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import TestCase
from django.urls import reverse
from PIL import Image

from core.models import SearchRecord
from faces import moderation
from faces.models import Face
from photos.models import Album, Event, Photo
from tests.factories import UserFactory
from tests.sample_images import no_face_image
from tests.security.visitors import LOGIN, visitor


def _jpeg() -> bytes:
    data = io.BytesIO()
    no_face_image((320, 240), seed=99).save(data, "JPEG")
    return data.getvalue()


@dataclass
class Endpoint:
    name: str
    url: Callable[[dict], str]
    data: Callable[[dict], dict]
    state: Callable[[dict], object]  # what the POST would change
    success: int = 302


def _face(world) -> Face:
    return world["photos"]["obama.jpg"].faces.get()


def _hidden_face(world) -> Face:
    face = _face(world)
    moderation.hide_faces(faces=Face.objects.filter(pk=face.pk), user=None)
    return face


ENDPOINTS = [
    Endpoint(
        "upload",
        lambda w: reverse("photos:album_upload", args=[w["album"].pk]),
        lambda w: {"files": [io.BytesIO(_jpeg())]},
        lambda w: Photo.objects.count(),
        success=200,
    ),
    Endpoint(
        "hide a face",
        lambda w: reverse("faces:face_moderate", args=[_face(w).pk, "hide"]),
        lambda w: {},
        lambda w: sorted(Face.objects.values_list("status", flat=True)),
    ),
    Endpoint(
        "hide a person",
        lambda w: reverse("faces:face_moderate", args=[_face(w).pk, "hide-person"]),
        lambda w: {},
        lambda w: sorted(Face.objects.values_list("status", flat=True)),
    ),
    Endpoint(
        "restore a face",
        lambda w: reverse("faces:face_moderate", args=[_hidden_face(w).pk, "restore"]),
        lambda w: {},
        lambda w: sorted(Face.objects.values_list("status", flat=True)),
    ),
    Endpoint(
        "new attendee link",
        lambda w: reverse("photos:event_token_regenerate", args=[w["event"].pk]),
        lambda w: {},
        lambda w: Event.objects.get(pk=w["event"].pk).attendee_token,
    ),
    Endpoint(
        "edit event",
        lambda w: reverse("photos:event_edit", args=[w["event"].pk]),
        lambda w: {"name": "Renamed", "is_face_search_enabled": "on"},
        lambda w: Event.objects.get(pk=w["event"].pk).name,
    ),
    Endpoint(
        "new album",
        lambda w: reverse("photos:album_create", args=[w["event"].pk]),
        lambda w: {"title": "Extra"},
        lambda w: Album.objects.count(),
    ),
    Endpoint(
        "retry a photo",
        lambda w: reverse("photos:photo_retry", args=[w["photos"]["biden.jpg"].pk]),
        lambda w: {},
        lambda w: Photo.objects.get(pk=w["photos"]["biden.jpg"].pk).processing_attempts,
    ),
    Endpoint(
        "delete a photo",
        lambda w: reverse("photos:photo_delete", args=[w["photos"]["biden.jpg"].pk]),
        lambda w: {},
        lambda w: Photo.objects.count(),
    ),
    Endpoint(
        "delete an album",
        lambda w: reverse("photos:album_delete", args=[w["album"].pk]),
        lambda w: {},
        lambda w: Album.objects.count(),
    ),
    Endpoint(
        "delete an event",
        lambda w: reverse("photos:event_delete", args=[w["event"].pk]),
        lambda w: {},
        lambda w: Event.objects.count(),
    ),
]
IDS = [endpoint.name for endpoint in ENDPOINTS]
REFUSED = {
    "anonymous": LOGIN,
    "attendee": LOGIN,
    "attendee_other_link": LOGIN,
    "stranger": 404,
    "moderator": 404,
}


def _post(client, endpoint: Endpoint, world):
    url = endpoint.url(world)  # may change state itself (a face hidden to restore)
    before = endpoint.state(world)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, endpoint.data(world))
    return response, before, endpoint.state(world)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_refused_visitors_change_nothing(world, images, endpoint):
    failures = []
    for kind, expected in REFUSED.items():
        response, before, after = _post(visitor(kind, world, images), endpoint, world)
        if response.status_code != expected:
            failures.append(f"{kind}: {response.status_code}, expected {expected}")
        if after != before:
            failures.append(f"{kind}: changed {before!r} -> {after!r}")
    assert failures == []


@pytest.mark.parametrize("kind", ["owner", "staff"])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_the_organiser_and_a_superuser_may(world, images, endpoint, kind):
    response, before, after = _post(visitor(kind, world, images), endpoint, world)
    assert response.status_code == endpoint.success
    assert after != before


def test_moderators_cannot_change_events_in_the_admin(world, images):
    client = visitor("moderator", world, images)
    event = world["event"]
    change = reverse("admin:photos_event_change", args=[event.pk])
    assert client.post(change, {"name": "Taken over", "owner": event.owner_id}).status_code == 403
    delete = reverse("admin:photos_event_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Event.objects.get(pk=event.pk).name == event.name


def test_moderators_hide_faces_in_the_admin(world, images):
    client = visitor("moderator", world, images)
    face = _face(world)
    client.post(
        reverse("admin:faces_face_changelist"),
        {"action": "hide_selected", "_selected_action": [face.pk]},
    )
    assert Face.objects.get(pk=face.pk).status == Face.Status.HIDDEN


def test_the_review_grid_needs_the_change_face_permission(world, images):
    viewer = UserFactory(username="viewer", is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_face"))
    client = visitor("viewer", world, images)
    client.force_login(viewer)
    url = reverse("admin:faces_face_review")
    assert client.get(url).status_code == 403
    face = _face(world)
    assert client.post(url, {"event": world["event"].pk, "face": [face.pk]}).status_code == 403
    assert Face.objects.get(pk=face.pk).status == Face.Status.VISIBLE
    assert client.get(url, {"event": world["event"].pk, "page": "x"}).status_code == 403


def _search(client, images, **data):
    with images["obama2.jpg"].open("rb") as fp:
        return client.post(reverse("faces:organiser_search"), {"selfie": fp, **data})


def test_find_a_person_is_scoped_and_logged(world, images):
    matched = world["photos"]["obama.jpg"]
    owner = _search(visitor("owner", world, images), images)
    assert [photo.pk for photo, _ in owner.context["sure"]] == [matched.pk]
    moderator = _search(visitor("moderator", world, images), images)
    assert moderator.context["sure"] == []  # staff, but none of these events are theirs
    superuser = _search(visitor("staff", world, images), images)
    assert [photo.pk for photo, _ in superuser.context["sure"]] == [matched.pk]
    records = {r.username: r for r in SearchRecord.objects.all()}
    assert records["owner"].event_ids == sorted([world["event"].pk, world["other_event"].pk])
    assert not records["owner"].all_events and records["owner"].result_count == 1
    assert records["moderator"].event_ids == [] and records["moderator"].result_count == 0
    assert records["staff"].all_events and records["staff"].kind == "face"


def test_a_moderator_sees_no_other_organisers_originals(world, images):
    client = visitor("moderator", world, images)
    photo = world["photos"]["obama.jpg"]
    assert client.get(reverse("photos:photo_media", args=[photo.pk, "original"])).status_code == 404
    preview = client.get(reverse("photos:photo_media", args=[photo.pk, "preview"]))
    assert preview.status_code == 200
    assert Image.open(io.BytesIO(b"".join(preview.streaming_content))).width <= 1600
