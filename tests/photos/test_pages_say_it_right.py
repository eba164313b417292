"""Pages say the right thing, in French as in English: no stray separators, plurals
and genders that agree, translated admin names, meaningful album names."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import EventFactory

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr"}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_an_event_with_a_place_but_no_dates_has_no_leading_separator(
    client, owner_client, owner, language
):
    event = EventFactory(owner=owner, starts_on=None, ends_on=None, location="Lyon")
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    for page in (
        owner_client.get(event.get_absolute_url(), **headers),
        Client().get(reverse("attendees:attendee", args=[event.attendee_token]), **headers),
    ):
        html = page.content.decode()
        assert "Lyon" in html
        assert "· Lyon" not in html and "·  Lyon" not in html


def test_album_counts_agree_in_french(owner_client, album):
    html = owner_client.get(album.get_absolute_url(), **FRENCH).content.decode()
    assert "<dt>Traitées</dt>" in html and "<dt>En échec</dt>" in html
    assert "<dt>Traitée</dt>" not in html


def test_the_admin_names_its_apps_and_models_in_french(client, staff):
    client.force_login(staff)
    html = client.get(reverse("admin:index"), **FRENCH).content.decode()
    for name in ("Événements et photos", "Visages", "Personnes", "Registres du site"):
        assert name in html, name
    for english in (">Events and photos<", ">People<", ">Search records<"):
        assert english not in html, english


def test_a_new_events_first_album_is_named_after_it(owner_client):
    owner_client.post(reverse("photos:event_create"), {"name": "Fête de l’été"}, **FRENCH)
    from photos.models import Album

    assert list(Album.objects.values_list("title", flat=True)) == ["Fête de l’été"]
