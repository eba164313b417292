"""The live wall: started and stopped by the organiser, never a photo with a hidden
face or one not yet processed."""

from django.test import Client
from django.urls import reverse

from faces.models import Face
from faces.processing import process_photo
from live.models import LiveWall
from photos.services import add_photo


def add(album, images, name):
    with images[name].open("rb") as fp:
        photo = add_photo(album=album, fp=fp, original_filename=name, queue=False).photo
    return photo


def test_the_wall_shows_processed_photos_without_hidden_faces_until_stopped(
    owner_client, event, album, images
):
    shown = process_photo(photo_id=add(album, images, "obama.jpg").pk)
    hidden = process_photo(photo_id=add(album, images, "biden.jpg").pk)
    waiting = add(album, images, "group6.jpg")  # not processed: its faces are unknown
    Face.objects.filter(photo=hidden).update(status=Face.Status.HIDDEN)

    assert owner_client.post(reverse("live:wall_start", args=[event.pk])).status_code == 302
    token = LiveWall.objects.get(event=event).token
    screen = Client()  # the venue's screen: no login
    assert screen.get(reverse("live:wall", args=[token])).status_code == 200
    urls = screen.get(reverse("live:wall_photos", args=[token])).json()["photos"]
    assert urls == [reverse("live:wall_photo", args=[token, shown.pk])]
    assert screen.get(urls[0]).status_code == 200
    for photo in (hidden, waiting):
        assert screen.get(reverse("live:wall_photo", args=[token, photo.pk])).status_code == 404

    # A face hidden while on the wall: gone at the next poll, and its image too.
    Face.objects.filter(photo=shown).update(status=Face.Status.HIDDEN)
    assert screen.get(reverse("live:wall_photos", args=[token])).json()["photos"] == []
    assert screen.get(urls[0]).status_code == 404

    owner_client.post(reverse("live:wall_stop", args=[event.pk]))
    stopped = screen.get(reverse("live:wall", args=[token]))
    assert stopped.status_code == 410
    assert "The organiser stopped the live wall" in stopped.content.decode()
    assert screen.get(reverse("live:wall_photos", args=[token])).json()["stopped"] is True


def test_only_the_organiser_starts_the_wall(client, other_user, event):
    client.force_login(other_user)
    assert client.post(reverse("live:wall_start", args=[event.pk])).status_code == 404
    assert not LiveWall.objects.exists()
    assert Client().get("/w/" + "x" * 43 + "/").status_code == 404


def test_a_guest_is_told_how_many_photos_arrived_since_their_search(client, event, album, images):
    from tests.faces.test_attendee import search

    process_photo(photo_id=add(album, images, "obama.jpg").pk)
    url = reverse("attendees:arrivals", args=[event.attendee_token])
    assert client.get(url).json() == {"new_photos": 0, "searched": False}
    search(client, event, images["obama2.jpg"])
    assert client.get(url).json() == {"new_photos": 0, "searched": True}
    process_photo(photo_id=add(album, images, "biden.jpg").pk)
    assert client.get(url).json() == {"new_photos": 1, "searched": True}
