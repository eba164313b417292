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


@pytest.mark.parametrize(
    ("language", "title", "message"),
    [
        ("en", "", "Give the new album a title."),
        ("fr", "", "Donnez un titre au nouvel album."),
        ("en", "Ceremony", "This event already has an album with that title."),
    ],
)
def test_a_refused_album_title_answers_under_its_field_keeping_what_was_typed(
    owner_client, event, language, title, message
):
    from photos.services import get_or_create_album

    get_or_create_album(event=event, title="Ceremony")
    response = owner_client.post(
        reverse("photos:album_create", args=[event.pk]),
        {"title": title},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f'<p class="error" id="album-title-error">{message}</p>' in html
    assert 'aria-invalid="true" aria-describedby="album-title-error"' in html
    assert f'value="{title}"' in html
    assert event.albums.count() == 1


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Ensure this value is less than or equal to 365."),
        ("fr", "Assurez-vous que cette valeur est inférieure ou égale à 365."),
    ],
)
def test_a_refused_retention_answers_under_its_field_keeping_what_was_typed(
    owner_client, event, language, message
):
    from registrations.models import retention_days

    before = retention_days(event)
    response = owner_client.post(
        reverse("registrations:retention", args=[event.pk]),
        {"days": "1000"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f'<p class="error" id="id_days_error">{message}</p>' in html
    assert 'value="1000" aria-invalid="true" aria-describedby="id_days_error"' in html
    assert retention_days(event) == before


def test_the_event_page_has_a_visible_upload_button_to_its_newest_album(owner_client, event):
    from photos.services import get_or_create_album

    get_or_create_album(event=event, title="Ceremony")
    newest = get_or_create_album(event=event, title="Party")
    html = owner_client.get(event.get_absolute_url()).content.decode()
    assert f'id="upload-link" href="{newest.get_absolute_url()}#uploader"' in html


def test_the_upload_page_offers_files_before_a_folder_in_tab_order(owner_client, album):
    html = owner_client.get(album.get_absolute_url()).content.decode()
    assert html.index('id="file-input"') < html.index('id="folder-input"')


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")


def test_zip_entries_carry_the_capture_or_upload_date(event, album, images):
    import datetime as dt
    import io
    import zipfile

    from django.utils import timezone

    from photos.media import serve_zip
    from photos.models import Photo
    from photos.services import add_photo

    photos = []
    for name in ("obama.jpg", "biden.jpg"):
        with images[name].open("rb") as fp:
            photos.append(add_photo(album=album, fp=fp, original_filename=name, queue=False).photo)
    taken = dt.datetime(2026, 6, 20, 15, 30, 12, tzinfo=dt.UTC)
    Photo.objects.filter(pk=photos[0].pk).update(taken_at=taken)
    Photo.objects.filter(pk=photos[1].pk).update(taken_at=None)  # no capture date
    response = serve_zip(Photo.objects.filter(event=event).order_by("id"), "x")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    times = {info.filename: info.date_time for info in archive.infolist()}
    local = timezone.localtime(taken)
    assert times["obama.jpg"] == (local.year, local.month, local.day, local.hour, 30, 12)
    uploaded = timezone.localtime(Photo.objects.get(pk=photos[1].pk).uploaded_at)
    assert times["biden.jpg"][:3] == (uploaded.year, uploaded.month, uploaded.day)


def _jpeg_with(tmp_path, name, *, taken: str | None = None, artist: str | None = None):
    from PIL import Image

    image = Image.new("RGB", (64, 48), (120, 140, 160))
    exif = Image.Exif()
    if taken:
        exif[0x0132] = taken  # DateTime
    if artist:
        exif[0x013B] = artist  # Artist
    path = tmp_path / name
    image.save(path, "JPEG", exif=exif.tobytes())
    return path


def test_the_photo_page_says_where_it_is_in_the_album_when_and_by_whom(
    owner_client, album, tmp_path
):
    from photos.services import add_photo

    added = []
    for name, taken, artist in [
        ("late.jpg", "2026:06:20 18:00:00", "Ana Lima\x00\x00"),
        ("early.jpg", "2026:06:20 09:00:00", None),
        ("undated.jpg", None, None),
    ]:
        with _jpeg_with(tmp_path, name, taken=taken, artist=artist).open("rb") as fp:
            added.append(add_photo(album=album, fp=fp, original_filename=name, queue=False).photo)
    late, early, undated = added
    assert late.photographer == "Ana Lima"
    html = owner_client.get(late.get_absolute_url()).content.decode()
    assert f"Photo 2 of 3 in {album.title}" in html
    assert "by Ana Lima" in html
    assert f'rel="prev" id="photo-prev" href="{early.get_absolute_url()}"' in html
    assert f'rel="next" id="photo-next" href="{undated.get_absolute_url()}"' in html
    first = owner_client.get(early.get_absolute_url(), **FRENCH).content.decode()
    assert f"Photo 1 sur 3 dans {album.title}" in first and 'rel="prev"' not in first
    last = owner_client.get(undated.get_absolute_url()).content.decode()
    assert "No capture date" in last and 'rel="next"' not in last
