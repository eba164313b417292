"""An attendee's results follow the organiser's decisions at once, stay off shared
devices, and "Is this you?" candidates show a face crop, not someone's photo."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from PIL import Image

from faces import moderation
from faces.models import FaceVector128, FaceVector512
from faces.processing import process_photo
from photos.services import add_photo


@pytest.fixture
def photos(album, images):
    added = {}
    for name in ("obama.jpg", "group6.jpg"):
        with images[name].open("rb") as fp:
            photo = add_photo(album=album, fp=fp, original_filename=name, queue=False).photo
        added[name] = process_photo(photo_id=photo.pk)
    return added


def url(event, name, *args):
    return reverse(f"attendees:{name}", args=[event.attendee_token, *args])


def search(client, event, images, name="obama2.jpg"):
    selfie = SimpleUploadedFile("me.jpg", images[name].read_bytes())
    return client.post(url(event, "search"), {"selfie": selfie, "consent": "on"}, follow=True)


def test_a_face_hidden_after_the_search_disappears_from_results_and_downloads(
    client, event, photos, images, owner
):
    matched = photos["obama.jpg"]
    assert [p.pk for p in search(client, event, images).context["sure"]] == [matched.pk]
    preview = url(event, "photo", matched.pk, "preview")
    assert client.get(preview).status_code == 200
    moderation.hide_faces(faces=matched.faces.all(), user=owner)
    assert client.get(preview).status_code == 404
    assert client.get(url(event, "photo", matched.pk, "original")).status_code == 404
    assert client.get(url(event, "results")).context["sure"] == []
    archive = client.get(url(event, "download"))
    assert b"obama.jpg" not in b"".join(archive.streaming_content)


def test_turning_face_search_off_ends_every_search_of_the_event(client, event, photos, images):
    matched = photos["obama.jpg"]
    search(client, event, images)
    event.is_face_search_enabled = False
    event.save()
    assert client.get(url(event, "photo", matched.pk, "preview")).status_code == 404
    assert client.get(url(event, "download")).status_code == 404
    results = client.get(url(event, "results"))
    assert results.status_code == 302 and results["Location"] == url(event, "attendee")
    assert "results" not in client.session or not client.session["results"]


def test_attendee_photos_are_never_cached_and_forgetting_clears_the_cache(
    client, event, photos, images
):
    matched = photos["obama.jpg"]
    search(client, event, images)
    for kind in ("thumbnail", "preview", "original"):
        response = client.get(url(event, "photo", matched.pk, kind))
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"], kind
    forget = client.post(url(event, "forget"))
    assert forget["Clear-Site-Data"] == '"cache"'
    assert client.get(url(event, "photo", matched.pk, "thumbnail")).status_code == 404


def test_saving_results_gives_the_browser_a_new_session_key(client, event, photos, images):
    client.get(url(event, "attendee"))
    client.session.save()
    before = client.cookies["sessionid"].value if "sessionid" in client.cookies else None
    search(client, event, images)
    assert client.cookies["sessionid"].value != before


@pytest.fixture
def only_candidates(settings):
    """Nothing is sure, everything close is a question: the "Is this you?" path."""
    settings.FACES_MATCH_THRESHOLD = 0.01
    settings.FACES_MATCH_ALONE_THRESHOLD = 0.01
    settings.FACES_MAYBE_THRESHOLD = 0.6


def _question_about(response, photo):
    """The open question whose face is in ``photo``."""
    return next(q for q in response.context["questions"] if q.photo == photo.pk)


def test_questions_show_a_face_crop_not_the_photo_until_confirmed(
    client, event, photos, images, only_candidates
):
    matched = photos["obama.jpg"]
    response = search(client, event, images)
    assert response.context["sure"] == []
    question = _question_about(response, matched)
    page = response.content.decode()
    assert url(event, "question_face", question.face) in page
    assert url(event, "photo", matched.pk, "thumbnail") not in page
    for kind in ("thumbnail", "preview", "original"):
        assert client.get(url(event, "photo", matched.pk, kind)).status_code == 404
    crop = client.get(url(event, "question_face", question.face))
    assert crop.status_code == 200 and "no-store" in crop["Cache-Control"]
    assert max(Image.open(io.BytesIO(crop.content)).size) <= 160
    answer = client.post(url(event, "question_answer", question.face), {"answer": "yes"})
    assert answer.status_code == 302
    assert client.get(url(event, "photo", matched.pk, "preview")).status_code == 200
    results = client.get(url(event, "results"))
    assert matched.pk in [p.pk for p in results.context["sure"]]
    assert client.get(url(event, "question_face", question.face)).status_code == 404


def test_no_to_a_question_keeps_its_photos_out(client, event, photos, images, only_candidates):
    matched = photos["obama.jpg"]
    question = _question_about(search(client, event, images), matched)
    client.post(url(event, "question_answer", question.face), {"answer": "no"})
    results = client.get(url(event, "results"))
    assert matched.pk not in [p.pk for p in results.context["sure"]]
    assert question.face not in [q.face for q in results.context["questions"]]
    assert client.get(url(event, "question_face", question.face)).status_code == 404
    assert client.get(url(event, "photo", matched.pk, "preview")).status_code == 404


def test_crops_and_answers_are_only_for_this_browsers_questions(client, event, photos, images):
    other_face = photos["group6.jpg"].faces.first()
    response = client.get(url(event, "question_face", other_face.pk))
    assert response.status_code == 404
    answer = client.post(url(event, "question_answer", other_face.pk), {"answer": "yes"})
    assert answer.status_code == 302
    photo = photos["group6.jpg"].pk
    assert client.get(url(event, "photo", photo, "preview")).status_code == 404


def test_hidden_faces_keep_no_vector_and_are_never_candidates(
    client, event, photos, images, owner, only_candidates
):
    matched = photos["obama.jpg"]
    moderation.hide_faces(faces=matched.faces.all(), user=owner)
    assert matched.faces.count() == 1  # the face stays, hidden, with no vector at all
    assert not FaceVector128.objects.filter(photo=matched).exists()
    assert not FaceVector512.objects.filter(photo=matched).exists()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = search(client, event, images)
    assert matched.pk not in [p.pk for p in response.context["sure"]]
    assert matched.pk not in [q.photo for q in response.context["questions"]]


def _ticket(client, event) -> str:
    import re

    page = client.get(url(event, "attendee")).content.decode()
    return re.search(r'data-ticket="([^"]+)"', page).group(1)


def test_camera_only_events_need_a_fresh_ticket_from_the_page(client, event, photos, images):
    from tests.factories import EventFactory

    event.is_camera_selfie_required = True
    event.save()
    selfie = images["obama2.jpg"].read_bytes()

    def post(**extra):
        data = {"selfie": SimpleUploadedFile("me.jpg", selfie), "consent": "on", **extra}
        return client.post(url(event, "search"), data, follow=True)

    page = client.get(url(event, "attendee")).content.decode()
    assert "Upload a selfie" not in page and "taken with your camera" in page
    refused = post()
    assert refused.status_code == 400
    assert "selfie taken with the camera on this page" in refused.content.decode()
    ticket = _ticket(client, event)
    assert post(capture_ticket=ticket).status_code == 200
    assert post(capture_ticket=ticket).status_code == 400  # single use
    other = EventFactory(is_camera_selfie_required=True)
    assert post(capture_ticket=_ticket(client, other)).status_code == 400
    assert post(capture_ticket=ticket[:-2] + "xx").status_code == 400


def test_other_events_still_take_uploaded_selfies(client, event, photos, images):
    page = client.get(url(event, "attendee")).content.decode()
    assert "Upload a selfie" in page and "data-ticket" not in page
    assert search(client, event, images).status_code == 200
