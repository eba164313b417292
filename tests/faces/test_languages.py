"""Attendee pages follow the browser's language (English and French ship); organiser
pages stay in the site's language; the French translation is complete."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9,en;q=0.5"}


def test_the_french_translation_is_complete():
    (po_path,) = Path(settings.LOCALE_PATHS[0]).glob("fr/LC_MESSAGES/django.po")
    po = polib.pofile(str(po_path))
    assert po.untranslated_entries() == [] and po.fuzzy_entries() == []
    assert len(po.translated_entries()) > 80
    # Every placeholder survives translation.
    for entry in po:
        pairs = [(entry.msgid, entry.msgstr)]
        if entry.msgid_plural:
            pairs = [
                (entry.msgid, entry.msgstr_plural[0]),
                (entry.msgid_plural, entry.msgstr_plural[1]),
            ]
        for original, translated in pairs:
            for placeholder in ("%(", "{minutes}", "<a "):
                assert original.count(placeholder) == translated.count(placeholder), entry.msgid


def test_the_attendee_page_follows_the_browsers_language(client, event):
    url = reverse("faces:attendee", args=[event.attendee_token])
    french = client.get(url, **FRENCH)
    assert "Trouvez les photos où vous apparaissez" in french.content.decode()
    assert '<html lang="fr">' in french.content.decode()
    assert french["Content-Language"] == "fr" and "Accept-Language" in french["Vary"]
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.8")
    assert "Find the photos you are in" in english.content.decode()
    other = client.get(url, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")  # not shipped: English
    assert "Find the photos you are in" in other.content.decode()


def test_refusals_are_in_the_attendees_language(client, event):
    url = reverse("faces:attendee_search", args=[event.attendee_token])
    selfie = SimpleUploadedFile("me.jpg", b"")
    response = client.post(url, {"selfie": selfie}, **FRENCH)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Cochez la case pour donner votre accord" in page
    unknown = client.get("/e/not-a-real-link-at-all/", **FRENCH).content.decode()
    assert "Ce lien ne fonctionne pas" in unknown


def test_dates_are_written_the_french_way(client, event):
    import datetime as dt

    event.starts_on = dt.date(2026, 6, 20)
    event.save()
    page = client.get(reverse("faces:attendee", args=[event.attendee_token]), **FRENCH)
    assert "20 juin 2026" in page.content.decode()


@pytest.mark.parametrize("path", ["/", "/login/"])
def test_organiser_pages_stay_in_the_sites_language(owner_client, path):
    page = owner_client.get(path, **FRENCH, follow=True).content.decode()
    assert "Événements" not in page and 'lang="en-gb"' in page
