"""Organiser pages: ownership, events, albums, photos, media and deletion."""

import pytest
from django.test import TestCase
from django.urls import reverse

from faces.models import Face
from faces.processing import process_photo
from photos.models import Album, Event, Photo
from photos.services import add_photo
from tests.factories import PhotoFactory


@pytest.fixture
def photo(album, images):
    with images["group6.jpg"].open("rb") as fp:
        added = add_photo(album=album, fp=fp, original_filename="group.jpg", queue=False)
    return process_photo(photo_id=added.photo.pk)


def event_urls(event, album, photo):
    return [
        reverse("photos:event_detail", args=[event.pk]),
        reverse("photos:event_edit", args=[event.pk]),
        reverse("photos:event_delete", args=[event.pk]),
        reverse("photos:event_qr", args=[event.pk]),
        reverse("photos:album_detail", args=[album.pk]),
        reverse("photos:album_grid", args=[album.pk]),
        reverse("photos:album_progress", args=[album.pk]),
        reverse("photos:album_delete", args=[album.pk]),
        reverse("photos:photo_detail", args=[photo.pk]),
        reverse("photos:photo_media", args=[photo.pk, "original"]),
        reverse("photos:photo_media", args=[photo.pk, "preview"]),
        reverse("photos:photo_media", args=[photo.pk, "thumbnail"]),
    ]


def test_the_owner_and_staff_see_every_page_of_the_event(client, owner, staff, event, album, photo):
    for user in (owner, staff):
        client.force_login(user)
        for url in event_urls(event, album, photo):
            assert client.get(url).status_code == 200, url


def test_another_organiser_gets_404_on_every_page_and_file(client, other_user, event, album, photo):
    client.force_login(other_user)
    for url in event_urls(event, album, photo):
        assert client.get(url).status_code == 404, url
    posts = [
        reverse("photos:album_upload", args=[album.pk]),
        reverse("photos:photo_retry", args=[photo.pk]),
        reverse("photos:photo_delete", args=[photo.pk]),
        reverse("photos:event_token_regenerate", args=[event.pk]),
        reverse("photos:album_create", args=[event.pk]),
    ]
    for url in posts:
        assert client.post(url).status_code == 404, url
    assert Photo.objects.filter(pk=photo.pk).exists()


def test_anonymous_visitors_are_sent_to_login_even_for_files(client, event, album, photo):
    for url in event_urls(event, album, photo):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.url


def test_an_organiser_creates_an_event_with_a_first_album(owner_client, owner):
    response = owner_client.post(
        reverse("photos:event_create"),
        {
            "name": "Summer Gala",
            "starts_on": "2026-07-01",
            "ends_on": "2026-07-02",
            "location": "Leeds",
            "is_face_search_enabled": "on",
        },
    )
    event = Event.objects.get(name="Summer Gala")
    assert response.url == event.get_absolute_url()
    assert (event.owner, event.slug, event.is_face_search_enabled) == (owner, "summer-gala", True)
    assert len(event.attendee_token) >= 40
    # Its first album is named after it: alt texts read "Photo 1 of 3 in Summer Gala".
    assert list(event.albums.values_list("title", flat=True)) == ["Summer Gala"]


def test_an_event_cannot_end_before_it_starts(owner_client):
    response = owner_client.post(
        reverse("photos:event_create"),
        {"name": "Backwards", "starts_on": "2026-07-02", "ends_on": "2026-07-01"},
    )
    assert response.status_code == 200
    assert "cannot end before it starts" in response.content.decode()
    assert not Event.objects.exists()


def test_the_dashboard_lists_only_the_organisers_events(owner_client, event, other_user):
    from tests.factories import EventFactory

    EventFactory(owner=other_user, name="Not yours")
    page = owner_client.get(reverse("photos:dashboard")).content.decode()
    assert event.name in page and "Not yours" not in page


def test_a_new_attendee_link_replaces_the_old_one(owner_client, client, event):
    old = reverse("attendees:attendee", args=[event.attendee_token])
    assert client.get(old).status_code == 200
    owner_client.post(reverse("photos:event_token_regenerate", args=[event.pk]))
    event.refresh_from_db()
    assert client.get(old).status_code == 410  # "The organiser stopped this link"
    assert client.get(reverse("attendees:attendee", args=[event.attendee_token])).status_code == 200


def test_the_qr_code_encodes_the_attendee_link(owner_client, event):
    response = owner_client.get(reverse("photos:event_qr", args=[event.pk]))
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content


def test_the_photo_page_draws_a_box_per_face(owner_client, photo):
    page = owner_client.get(reverse("photos:photo_detail", args=[photo.pk])).content.decode()
    assert page.count('class="face-box') == 6


def test_deleting_a_photo_removes_its_files_and_faces(owner_client, photo, media_root):
    files = [media_root / f.name for f in (photo.file, photo.thumbnail, photo.preview)]
    assert all(path.exists() for path in files)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = owner_client.post(reverse("photos:photo_delete", args=[photo.pk]))
    assert response.status_code == 302
    assert not Photo.objects.exists() and not Face.objects.exists()
    assert not any(path.exists() for path in files)


@pytest.mark.django_db(transaction=True)
def test_deleting_an_event_removes_everything(client, owner, images, media_root):
    from tests.factories import AlbumFactory, EventFactory

    event = EventFactory(owner=owner)
    album = AlbumFactory(event=event)
    with images["obama.jpg"].open("rb") as fp:
        photo = add_photo(album=album, fp=fp, original_filename="o.jpg").photo
    photo.refresh_from_db()
    assert photo.faces.count() == 1
    client.force_login(owner)
    client.post(reverse("photos:event_delete", args=[event.pk]))
    assert not Event.objects.exists() and not Album.objects.exists() and not Face.objects.exists()
    assert not [p for p in media_root.rglob("*") if p.is_file()]


def test_big_albums_are_paged(owner_client, album, photo):
    from photos.views import albums

    PhotoFactory.create_batch(albums.GALLERY_PAGE_SIZE + 5, album=album, file=photo.file.name)
    url = reverse("photos:album_detail", args=[album.pk])
    first = owner_client.get(url).content.decode()
    assert first.count('class="badge') == albums.GALLERY_PAGE_SIZE
    assert "Page 1 of 2" in first
    second = owner_client.get(url, {"page": 2}).content.decode()
    assert second.count('class="badge') == 6


def test_album_page_queries_do_not_grow_with_its_photos(
    owner_client, album, django_assert_max_num_queries
):
    def add_rows(count, start):
        Photo.objects.bulk_create(
            Photo(
                album=album,
                event=album.event,
                file=f"x{i}.jpg",
                thumbnail=f"t{i}.jpg",
                original_filename=f"{i}.jpg",
                content_hash=f"{i:064x}",
                width=10,
                height=10,
                processing_status=Photo.Status.FAILED if i % 2 else Photo.Status.DONE,
                processing_error="broken",
            )
            for i in range(start, start + count)
        )

    add_rows(2, 0)
    url = reverse("photos:album_detail", args=[album.pk])
    # 13: the page of photos, the faces in them (one query for the page: faces'
    # count through photos.extensions), the album's figures...
    with django_assert_max_num_queries(13) as few:
        assert owner_client.get(url).status_code == 200
    add_rows(60, 2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = owner_client.get(url).content.decode()
    assert page.count('loading="lazy"') == 62
