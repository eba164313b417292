"""Every page follows the browser's language (English and French ship), English when
it asks for neither; the French translation is complete."""

from pathlib import Path

import polib
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
    url = reverse("attendees:attendee", args=[event.attendee_token])
    french = client.get(url, **FRENCH)
    assert "Trouvez les photos où vous apparaissez" in french.content.decode()
    assert '<html lang="fr">' in french.content.decode()
    assert french["Content-Language"] == "fr" and "Accept-Language" in french["Vary"]
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.8")
    assert "Find the photos you are in" in english.content.decode()
    other = client.get(url, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")  # not shipped: English
    assert "Find the photos you are in" in other.content.decode()


def test_refusals_are_in_the_attendees_language(client, event):
    url = reverse("attendees:search", args=[event.attendee_token])
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
    page = client.get(reverse("attendees:attendee", args=[event.attendee_token]), **FRENCH)
    assert "20 juin 2026" in page.content.decode()


NBSP = "\u00a0"


def test_the_login_page_follows_the_browsers_language(client):
    french = client.get(reverse("login"), **FRENCH)
    assert "Connexion organisateur" in french.content.decode()
    assert french["Content-Language"] == "fr" and "Accept-Language" in french["Vary"]
    english = client.get(reverse("login"))
    assert "Organiser login" in english.content.decode()
    assert 'lang="en-gb"' in english.content.decode()


def test_organiser_pages_follow_the_browsers_language(owner_client, event):
    import datetime as dt

    event.starts_on = dt.date(2026, 6, 20)
    event.save()
    french = owner_client.get(event.get_absolute_url(), **FRENCH).content.decode()
    assert '<html lang="fr">' in french
    assert "Lien participants" in french and "Attendee link" not in french
    assert "Se déconnecter" in french and "20 juin 2026" in french
    # French counts 0 as singular: "0 photo", where English says "0 photos".
    dashboard = owner_client.get(reverse("photos:dashboard"), **FRENCH).content.decode()
    assert "Vos événements" in dashboard and "20 juin 2026 · 0 album · 0 photo<" in dashboard
    for headers in ({}, {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}):  # nothing, or not shipped
        english = owner_client.get(event.get_absolute_url(), **headers).content.decode()
        assert '<html lang="en-gb">' in english
        assert "Attendee link" in english and "Lien participants" not in english
        assert "20 Jun 2026" in english
    dashboard = owner_client.get(reverse("photos:dashboard")).content.decode()
    assert "Your events" in dashboard and "20 Jun 2026 · 0 albums · 0 photos<" in dashboard


def test_messages_and_form_errors_are_in_the_organisers_language(owner_client):
    created = owner_client.post(
        reverse("photos:event_create"), {"name": "Gala d’été"}, follow=True, **FRENCH
    )
    assert f"Événement «{NBSP}Gala d’été{NBSP}» créé." in created.content.decode()
    backwards = owner_client.post(
        reverse("photos:event_create"),
        {"name": "À l’envers", "starts_on": "2026-07-02", "ends_on": "2026-07-01"},
        **FRENCH,
    ).content.decode()
    assert "L’événement ne peut pas se terminer avant d’avoir commencé." in backwards
    assert "Date de début" in backwards  # a model field's label
    english = owner_client.post(reverse("photos:event_create"), {"name": "Summer"}, follow=True)
    assert "Event “Summer” created." in english.content.decode()


def test_upload_refusals_are_in_the_organisers_language(owner_client, album):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("photos:album_upload", args=[album.pk])
    text = SimpleUploadedFile("notes.jpg", b"not an image at all")
    answer = owner_client.post(url, {"files": [text]}, HTTP_ACCEPT="application/json", **FRENCH)
    (result,) = answer.json()["results"]
    assert result["status"] == "rejected"
    assert result["reason"].startswith("Ce fichier n’est pas une image")


def test_the_admin_still_works_in_both_languages(client, staff):
    client.force_login(staff)
    french = client.get(reverse("admin:index"), **FRENCH)
    assert french.status_code == 200 and "Administration" in french.content.decode()
    english = client.get(reverse("admin:index"))
    assert english.status_code == 200 and "Site administration" in english.content.decode()


def test_what_the_workers_write_for_organisers_is_in_the_events_language(
    owner_client, album, settings
):
    """A worker has no request: it writes in the language the event was created in."""
    import datetime as dt

    from django.utils import timezone

    from faces.processing import requeue_stale_photos
    from photos.models import Event, Photo, ZipImport
    from tests.factories import PhotoFactory
    from tests.photos.test_upload import make_zip, upload

    created = owner_client.post(
        reverse("photos:event_create"), {"name": "Mariage"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert created.status_code == 302
    assert Event.objects.get(name="Mariage").language == "fr"

    Event.objects.filter(pk=album.event_id).update(language="fr")
    archive = make_zip([("../evasion.jpg", b"x"), ("notes.txt", b"bonjour")])
    upload(owner_client, album, ("fete.zip", archive))  # the page asks in English
    problems = {p["name"]: p["reason"] for p in ZipImport.objects.get().problems}
    assert problems["../evasion.jpg"].startswith("chemin dangereux")
    assert "notes.txt" in problems and "image" in problems["notes.txt"]

    stuck = PhotoFactory(album=album, processing_status=Photo.Status.PROCESSING)
    long_ago = timezone.now() - dt.timedelta(days=1)
    Photo.objects.filter(pk=stuck.pk).update(processing_started_at=long_ago, processing_attempts=9)
    requeue_stale_photos()
    stuck.refresh_from_db()
    assert stuck.processing_error.startswith("Le traitement a été interrompu")
