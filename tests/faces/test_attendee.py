"""The attendee page: secret link, consent, selfie search, results, private media."""

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from faces import api
from faces.models import Face
from faces.processing import process_photo
from photos.models import Photo
from photos.services import add_photo, get_or_create_album, regenerate_attendee_token
from tests import bad_files
from tests.sample_images import another_picture_of, no_face_image


def _add(album, path, name, taken_at):
    with path.open("rb") as fp:
        photo = add_photo(album=album, fp=fp, original_filename=name, queue=False).photo
    Photo.objects.filter(pk=photo.pk).update(taken_at=taken_at)
    return process_photo(photo_id=photo.pk)


@pytest.fixture
def gallery(event, images):
    """Obama alone (day 1, album Ceremony), six strangers, Biden (day 2, album Party)."""
    ceremony = get_or_create_album(event=event, title="Ceremony")
    party = get_or_create_album(event=event, title="Party")
    day1 = dt.datetime(2026, 6, 20, 15, tzinfo=dt.UTC)
    day2 = dt.datetime(2026, 6, 21, 22, tzinfo=dt.UTC)
    return {
        "obama": _add(ceremony, images["obama.jpg"], "obama.jpg", day1),
        "group": _add(ceremony, images["group6.jpg"], "group.jpg", day1),
        "biden": _add(party, images["biden.jpg"], "biden.jpg", day2),
        "ceremony": ceremony,
        "party": party,
    }


def page_url(event, name="attendee", *args):
    return reverse(f"attendees:{name}", args=[event.attendee_token, *args])


def search(client, event, path=None, data=None, consent=True, **filters):
    payload = {
        "selfie": SimpleUploadedFile("me.jpg", data if data is not None else path.read_bytes())
    }
    if consent:
        payload["consent"] = "on"
    payload.update(filters)
    # The search redirects to the results page (post, redirect, get): followed.
    return client.post(page_url(event, "search"), payload, follow=True)


def matched_ids(response):
    return {photo.pk for photo in response.context["sure"]} if response.context else set()


def test_the_attendee_page_explains_the_selfie_and_asks_consent(client, event):
    page = client.get(page_url(event)).content.decode()
    assert event.name in page
    assert "never saved" in page and 'name="consent"' in page
    assert client.get(page_url(event))["Cache-Control"] == "private, no-store"


def test_attendee_pages_title_leads_back_to_the_event_never_to_the_organiser_login(client, event):
    import re

    page = client.get(page_url(event)).content.decode()
    brand = re.search(r'<a class="brand" href="([^"]*)"', page).group(1)
    assert brand == page_url(event)
    unknown = client.get("/e/nope/").content.decode()
    assert re.search(r'<a class="brand" href="([^"]*)"', unknown).group(1) == "/e/nope/"
    assert 'rel="icon"' in page  # no favicon 404 on every page


@pytest.mark.parametrize("token", ["nope", "x" * 43, ""])
def test_a_wrong_token_says_so_and_leaks_nothing(client, event, token):
    response = client.get(f"/e/{token}/") if token else client.get("/e/")
    assert response.status_code == 404
    if token:
        assert "This link does not work" in response.content.decode()
        assert "stopped" not in response.content.decode()
        assert event.name not in response.content.decode()


def test_a_replaced_token_stops_working_and_says_the_organiser_stopped_it(client, event):
    old = page_url(event)
    regenerate_attendee_token(event=event)
    response = client.get(old, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 410
    page = response.content.decode()
    assert "L’organisateur a arrêté ce lien" in page and "recopié en entier" not in page
    assert event.name not in page
    assert client.get(page_url(event)).status_code == 200
    # Nothing in the database gives the old link back: only a keyed hash is kept.
    from core.models import RevokedLink

    assert not RevokedLink.objects.filter(digest__contains=old.split("/")[2]).exists()


def test_a_deleted_events_link_says_the_organiser_stopped_it(client, event):
    from photos.services import delete_event

    old = page_url(event)
    delete_event(event=event)
    assert client.get(old).status_code == 410


def test_face_search_turned_off_is_said_plainly_and_refused(client, event, gallery, images):
    event.is_face_search_enabled = False
    event.save()
    assert "turned off face search" in client.get(page_url(event)).content.decode()
    assert search(client, event, images["obama2.jpg"]).status_code == 403


def test_a_selfie_finds_only_that_persons_photos(client, event, gallery, images):
    response = search(client, event, images["obama2.jpg"])
    assert response.status_code == 200
    assert matched_ids(response) == {gallery["obama"].pk}
    assert "We used the face boxed in green" in response.content.decode()
    again = client.get(page_url(event, "results"))
    assert matched_ids(again) == {gallery["obama"].pk}


def test_without_consent_nothing_is_searched(client, event, gallery, images):
    response = search(client, event, images["obama2.jpg"], consent=False)
    assert response.status_code == 400
    assert "tick the box" in response.content.decode()
    assert client.get(page_url(event, "results")).status_code == 302


@pytest.mark.parametrize(
    "data, message",
    [
        (None, "No face was found"),
        (b"definitely not an image", "not an image"),
        (bad_files.truncated_jpeg(), "damaged or truncated"),
        (b"", "The file is empty"),
    ],
)
def test_unusable_selfies_get_a_clear_message(client, event, gallery, data, message):
    if data is None:
        buffer = io.BytesIO()
        no_face_image().save(buffer, "JPEG")
        data = buffer.getvalue()
    response = search(client, event, data=data)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_selfie_with_several_faces_uses_the_largest_and_says_so(client, event, gallery, images):
    from PIL import Image

    # Obama large on the left, Biden smaller on the right: one picture, two faces.
    obama = Image.open(images["obama2.jpg"]).convert("RGB")
    biden = Image.open(images["biden.jpg"]).convert("RGB")
    biden = biden.resize((biden.width // 2, biden.height // 2))
    both = Image.new("RGB", (obama.width + biden.width, obama.height), "white")
    both.paste(obama, (0, 0))
    both.paste(biden, (obama.width, 0))
    data = io.BytesIO()
    both.save(data, "JPEG", quality=90)
    response = search(client, event, data=data.getvalue())
    assert response.status_code == 200
    assert "We saw 2 faces in your picture and used the largest one" in response.content.decode()
    assert matched_ids(response) == {gallery["obama"].pk}


def test_the_search_ignores_filters_sent_with_it_the_results_page_applies_them(
    client, event, gallery, images
):
    # Filters sent with the selfie (an old page, a hand-made post) change nothing: the
    # search covers the event, the results page narrows without searching again.
    everything = search(client, event, images["obama2.jpg"], album=gallery["party"].pk)
    assert matched_ids(everything) == {gallery["obama"].pk}
    url = page_url(event, "results")
    on_day1 = client.get(url, {"taken_from": "2026-06-20", "taken_to": "2026-06-20"})
    assert matched_ids(on_day1) == {gallery["obama"].pk}
    page = on_day1.content.decode()
    assert "Showing 1 of your 1 photos: from 20 June 2026 to 20 June 2026." in page
    on_day2 = client.get(url, {"taken_from": "2026-06-21"})
    assert matched_ids(on_day2) == set()
    page = on_day2.content.decode()
    assert "None of your photos is in this album or between these dates." in page
    assert "No photo matched your face" not in page


def test_a_date_filter_says_how_many_undated_photos_it_left_out_and_offers_them(
    client, event, gallery, images
):
    undated = gallery["obama"]
    Photo.objects.filter(pk=undated.pk).update(taken_at=None)
    search(client, event, images["obama2.jpg"])
    url = page_url(event, "results")
    filtered = client.get(url, {"taken_from": "2026-06-20"})
    assert matched_ids(filtered) == set()
    page = filtered.content.decode()
    assert "1 of your photos has no capture date, so a date filter cannot place it." in page
    show_too = filtered.context["show_undated_url"]
    assert "undated=1" in show_too and "taken_from=2026-06-20" in show_too
    assert matched_ids(client.get(show_too)) == {undated.pk}


def test_results_are_in_capture_order_undated_last(client, event, images, tmp_path):
    album = get_or_create_album(event=event, title="Day")
    times = [dt.datetime(2026, 6, 20, hour, tzinfo=dt.UTC) for hour in (18, 9)]
    copies = []
    with Image.open(images["obama.jpg"]) as picture:
        for quality in (95, 85, 75):  # three files of one photo: three photos
            copies.append(tmp_path / f"obama-{quality}.jpg")
            picture.save(copies[-1], "JPEG", quality=quality)
    late = _add(album, copies[0], "late.jpg", times[0])
    early = _add(album, copies[1], "early.jpg", times[1])
    undated = _add(album, copies[2], "undated.jpg", None)
    response = search(client, event, images["obama2.jpg"])
    assert [photo.pk for photo in response.context["sure"]] == [early.pk, late.pk, undated.pk]


def test_the_album_filter_offers_only_albums_with_photos(client, event, gallery, images):
    get_or_create_album(event=event, title="Empty")
    page = search(client, event, images["obama2.jpg"]).content.decode()
    assert ">Ceremony<" in page and ">Party<" in page
    assert ">Empty<" not in page


def test_results_can_be_filtered_after_the_search(client, event, gallery, images):
    search(client, event, images["obama2.jpg"])
    url = page_url(event, "results")
    assert matched_ids(client.get(url, {"album": gallery["ceremony"].pk})) == {gallery["obama"].pk}
    assert matched_ids(client.get(url, {"album": gallery["party"].pk})) == set()


def test_hidden_faces_never_match(client, event, gallery, images):
    Face.objects.filter(photo=gallery["obama"]).update(status=Face.Status.HIDDEN)
    assert matched_ids(search(client, event, images["obama2.jpg"])) == set()


def test_attendees_only_get_media_of_photos_their_search_matched(client, event, gallery, images):
    obama, biden = gallery["obama"], gallery["biden"]
    assert client.get(page_url(event, "photo", obama.pk, "preview")).status_code == 404
    search(client, event, images["obama2.jpg"])
    for kind in ("thumbnail", "preview", "original"):
        assert client.get(page_url(event, "photo", obama.pk, kind)).status_code == 200
    assert client.get(page_url(event, "photo", biden.pk, "preview")).status_code == 404
    # and not through the organiser's URLs either
    assert client.get(reverse("photos:photo_media", args=[obama.pk, "preview"])).status_code == 302


def test_results_expire(client, event, gallery, images, settings):
    settings.ATTENDEE_RESULTS_TTL_SECONDS = -1
    search(client, event, images["obama2.jpg"])
    photo = gallery["obama"]
    assert client.get(page_url(event, "photo", photo.pk, "preview")).status_code == 404
    assert client.get(page_url(event, "results")).status_code == 302


def test_results_belong_to_the_browser_that_searched(
    client, event, gallery, images, django_user_model
):
    from django.test import Client

    search(client, event, images["obama2.jpg"])
    stranger = Client()
    assert stranger.get(page_url(event, "photo", gallery["obama"].pk, "preview")).status_code == 404


def test_the_selfie_leaves_no_file_and_no_row(client, event, gallery, images, media_root):
    files_before = sorted(p for p in media_root.rglob("*") if p.is_file())
    rows_before = (Photo.objects.count(), Face.objects.count())
    search(client, event, images["obama2.jpg"])
    assert sorted(p for p in media_root.rglob("*") if p.is_file()) == files_before
    assert (Photo.objects.count(), Face.objects.count()) == rows_before
    stored = client.session["attendee_results"][str(event.pk)]
    # Ids only: photos, the faces that matched, answers, where the face used was in
    # the selfie (four numbers); no vector (unless "Keep looking" was chosen), no picture.
    assert set(stored) == {
        "sure", "faces", "questions", "expires_at", "face_count", "selfie_box",
        "live_vector", "live_embedder",
    }  # fmt: skip
    assert stored["live_vector"] is None and stored["live_embedder"] == ""
    assert len(stored["selfie_box"]) == 4 and all(0 <= v <= 100 for v in stored["selfie_box"])
    assert all(isinstance(v, int) for v in stored["faces"].values())
    for question in stored["questions"]:
        assert set(question) == {"face", "photo", "kind", "adds", "removes", "answer"}


def test_results_have_their_own_address_a_reload_shows_without_searching_again(
    client, event, gallery, images
):
    response = client.post(
        page_url(event, "search"),
        {
            "selfie": SimpleUploadedFile("me.jpg", images["obama2.jpg"].read_bytes()),
            "consent": "on",
        },
    )
    assert response.status_code == 303
    assert response["Location"] == page_url(event, "results")
    first = client.get(response["Location"])
    again = client.get(response["Location"])  # a reload, a bookmark, a reopened tab
    assert matched_ids(first) == matched_ids(again) == {gallery["obama"].pk}


def test_download_all_streams_a_zip_of_the_matches(client, event, gallery, images):
    search(client, event, images["obama2.jpg"])
    response = client.get(page_url(event, "download"))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.namelist() == ["obama.jpg"]
    from PIL import Image

    # The same picture, without the photographer's XMP and Photoshop blocks
    # (tests/photos/test_metadata.py checks what attendees' copies lose and keep).
    copy = Image.open(io.BytesIO(archive.read("obama.jpg")))
    original = Image.open(images["obama.jpg"])
    assert copy.tobytes() == original.tobytes()
    assert {"xmp", "photoshop"} <= set(original.info)
    assert {"xmp", "photoshop"} & set(copy.info) == set()


def test_forget_my_search_removes_the_results(client, event, gallery, images):
    search(client, event, images["obama2.jpg"])
    client.post(page_url(event, "forget"))
    assert client.get(page_url(event, "photo", gallery["obama"].pk, "preview")).status_code == 404


def test_searches_are_rate_limited_per_browser(client, event, gallery, images, settings):
    settings.ATTENDEE_SEARCHES_PER_BROWSER = 2
    client.get(page_url(event))  # the page gives the browser its id (faces/limits.py)
    assert search(client, event, images["obama2.jpg"]).status_code == 200
    assert search(client, event, images["obama2.jpg"]).status_code == 200
    limited = search(client, event, images["obama2.jpg"])
    assert limited.status_code == 429
    assert "Too many searches from this browser" in limited.content.decode()


def test_past_its_budget_an_event_refuses_repeat_searches_not_new_guests(
    client, event, gallery, images, settings
):
    from django.test import Client

    settings.ATTENDEE_SEARCHES_PER_EVENT = 1
    settings.ATTENDEE_FAIR_SHARE_MIN = 1
    client.get(reverse("attendees:attendee", args=[event.attendee_token]))
    assert search(client, event, images["obama2.jpg"]).status_code == 200
    assert search(client, event, images["obama2.jpg"]).status_code == 429
    newcomer = Client(REMOTE_ADDR="10.0.0.9")
    newcomer.get(reverse("attendees:attendee", args=[event.attendee_token]))
    assert search(newcomer, event, images["obama2.jpg"]).status_code == 200


def test_a_face_too_small_to_match_reliably_is_refused_with_advice(client, event, gallery, images):
    from PIL import Image

    small = Image.open(images["obama.jpg"]).convert("RGB")
    small = small.resize((small.width // 8, small.height // 8))  # the face is ~30 px wide
    canvas = Image.new("RGB", (800, 600), (200, 200, 200))
    canvas.paste(small, (300, 200))
    data = io.BytesIO()
    canvas.save(data, "JPEG", quality=95)
    response = search(client, event, data=data.getvalue())
    assert response.status_code == 400
    assert "too small or too blurred" in response.content.decode()


def test_a_selfie_without_a_clear_human_face_is_refused(client, event, gallery):
    """A deep-sky photo (public domain, scikit-image) holds blobs the detector scores
    0.63-0.73 as faces: fine to look at in an album, not to search with."""
    from skimage import data

    sky = io.BytesIO()
    Image.fromarray(data.hubble_deep_field()).save(sky, "JPEG")
    response = search(client, event, data=sky.getvalue())
    assert response.status_code == 400
    assert "could not see a clear human face" in response.content.decode()
    assert not client.session.get("results")


def test_no_question_asks_about_a_stranger_in_a_photo_already_shown():
    from attendees.results import StoredQuestion, StoredResults

    results = StoredResults(
        sure=[1],
        faces={1: 10},
        questions=[
            StoredQuestion(face=11, photo=1, kind="candidate"),  # beside the guest
            StoredQuestion(face=12, photo=2, kind="candidate"),
            StoredQuestion(face=10, photo=1, kind="check"),  # the guest's own face
        ],
        expires_at=0,
        face_count=1,
    )
    assert [question.face for question in results.open_questions] == [12, 10]


@pytest.mark.parametrize("keep_looking", [True, False])
def test_keep_looking_adds_photos_that_arrive_later_and_only_when_chosen(
    client, event, images, keep_looking, settings
):
    settings.ATTENDEE_LIVE_POLL_SECONDS = 0  # no pause between two looks
    album = get_or_create_album(event=event, title="Live")
    first = _add(album, images["obama.jpg"], "first.jpg", None)
    extra = {"keep_looking": "on"} if keep_looking else {}
    response = search(client, event, images["obama2.jpg"], **extra)
    assert matched_ids(response) == {first.pk}
    stored = client.session["attendee_results"][str(event.pk)]
    assert (stored["live_vector"] is not None) == keep_looking  # nothing kept unless chosen
    with Image.open(images["obama.jpg"]) as picture:  # the camera sends another photo
        data = io.BytesIO()
        picture.save(data, "JPEG", quality=80)
    later = add_photo(album=album, fp=data, original_filename="later.jpg", queue=False).photo
    process_photo(photo_id=later.pk)
    again = client.get(page_url(event, "results"))
    expected = {first.pk, later.pk} if keep_looking else {first.pk}
    assert matched_ids(again) == expected
    if keep_looking:  # and its photo can be opened
        assert client.get(page_url(event, "photo", later.pk, "preview")).status_code == 200
        client.post(page_url(event, "forget"))
        assert str(event.pk) not in client.session.get("attendee_results", {})


def test_hammering_the_results_page_of_a_guest_who_keeps_looking_searches_once(
    client, event, images, monkeypatch
):
    """Someone holding the event link reloads the results page in a loop: the kept
    vector is searched at most once per half poll period, not once per request."""
    album = get_or_create_album(event=event, title="Live")
    _add(album, images["obama.jpg"], "first.jpg", None)
    search(client, event, images["obama2.jpg"], keep_looking="on")
    calls = []
    real = api.search_by_vector
    monkeypatch.setattr(
        api, "search_by_vector", lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs)
    )
    for _ in range(20):
        assert client.get(page_url(event, "results")).status_code == 200
    assert len(calls) == 0  # the search itself has just looked
    import time as clock

    later = clock.time() + 11  # past half of the 20 s poll period
    monkeypatch.setattr("attendees.results.time.time", lambda: later)
    for _ in range(20):
        client.get(page_url(event, "results"))
    assert len(calls) == 1


def _add_another_picture(album, path, name):
    """Another picture of the person in ``path``, so that the original can be their
    selfie (tests.sample_images.another_picture_of)."""
    data = io.BytesIO(another_picture_of(path))
    photo = add_photo(album=album, fp=data, original_filename=name, queue=False).photo
    return process_photo(photo_id=photo.pk)


def test_a_second_selfie_adds_what_it_finds_to_the_first_ones_photos(client, event, images):
    album = get_or_create_album(event=event, title="Day")
    obama = _add(album, images["obama.jpg"], "obama.jpg", None)
    hanks = _add_another_picture(album, images["tom_hanks.png"], "hanks.jpg")
    first = search(client, event, images["obama2.jpg"])
    assert matched_ids(first) == {obama.pk}
    page = client.get(page_url(event) + "?add=1")
    assert 'name="add_to_results" id="id_add_to_results" checked' in page.content.decode()

    second = search(client, event, images["tom_hanks.png"], add_to_results="on")
    assert matched_ids(second) == {obama.pk, hanks.pk}
    assert "This selfie found 1 more photo of you" in second.content.decode()
    assert client.get(page_url(event, "photo", hanks.pk, "preview")).status_code == 200

    # Without the box ticked, a new search replaces the results, as before.
    replaced = search(client, event, images["obama2.jpg"])
    assert matched_ids(replaced) == {obama.pk}


def test_a_second_selfie_without_earlier_results_is_a_first_search(client, event, images):
    album = get_or_create_album(event=event, title="Day")
    obama = _add(album, images["obama.jpg"], "obama.jpg", None)
    page = client.get(page_url(event) + "?add=1")
    assert "add_to_results" not in page.content.decode()  # nothing to add to
    response = search(client, event, images["obama2.jpg"], add_to_results="on")
    assert matched_ids(response) == {obama.pk}
    assert "This selfie found" not in response.content.decode()


def test_an_unusable_second_selfie_leaves_the_first_ones_photos_as_they_were(client, event, images):
    album = get_or_create_album(event=event, title="Day")
    obama = _add(album, images["obama.jpg"], "obama.jpg", None)
    search(client, event, images["obama2.jpg"])
    refused = search(client, event, data=b"not an image", add_to_results="on")
    assert refused.status_code == 400
    assert 'id="id_add_to_results" checked' in refused.content.decode()  # as sent
    assert matched_ids(client.get(page_url(event, "results"))) == {obama.pk}


def test_a_second_selfie_never_brings_back_what_a_no_took_out():
    from attendees.results import StoredQuestion, StoredResults, combined_results

    earlier = StoredResults(
        sure=[1, 2],
        faces={1: 10, 2: 20},
        questions=[
            StoredQuestion(face=30, photo=3, kind="check", removes=[3, 4], answer=False),
            StoredQuestion(face=50, photo=5, kind="candidate", adds=[5]),
        ],
        expires_at=100,
        face_count=1,
    )
    latest = StoredResults(
        sure=[4, 2, 6],  # 4: a "No" took it out; 2: already there; 6: new
        faces={4: 40, 2: 21, 6: 60},
        questions=[
            StoredQuestion(face=50, photo=5, kind="candidate", adds=[5]),  # asked already
            StoredQuestion(face=31, photo=3, kind="check", removes=[3]),  # photo declined
            StoredQuestion(face=70, photo=7, kind="candidate", adds=[7]),
        ],
        expires_at=200,
        face_count=2,
        selfie_box=[1.0, 2.0, 3.0, 4.0],
    )
    combined = combined_results(earlier, latest)
    assert combined.sure == [1, 2, 6]
    assert combined.faces == {1: 10, 2: 20, 6: 60}  # earlier photos keep their face
    assert [q.face for q in combined.questions] == [30, 50, 70]
    assert combined.questions[0].answer is False  # the answer is kept
    assert (combined.expires_at, combined.face_count) == (200, 2)
    assert combined.selfie_box == [1.0, 2.0, 3.0, 4.0]


def test_adding_a_selfie_from_another_browser_never_reaches_a_guests_results(client, event, images):
    """Someone holding only the event link posts "add to my results": they get their
    own search, the guest's results neither grow nor leak to them."""
    from django.test import Client

    album = get_or_create_album(event=event, title="Day")
    obama = _add(album, images["obama.jpg"], "obama.jpg", None)
    hanks = _add_another_picture(album, images["tom_hanks.png"], "hanks.jpg")
    search(client, event, images["obama2.jpg"])
    guest_key = client.session.session_key

    intruder = Client()
    theirs = search(intruder, event, images["tom_hanks.png"], add_to_results="on")
    assert matched_ids(theirs) == {hanks.pk}
    assert intruder.session.session_key != guest_key
    assert intruder.get(page_url(event, "photo", obama.pk, "preview")).status_code == 404
    assert matched_ids(client.get(page_url(event, "results"))) == {obama.pk}
