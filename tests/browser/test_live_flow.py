"""Live events in a real browser: a registered guest's open page shows a new photo of
them without reloading; an anonymous guest's page says photos arrived."""

import io
from urllib.parse import urlparse

import pytest
from django.utils import timezone
from PIL import Image

from faces.processing import process_photo
from photos.services import add_photo
from registrations import links, services
from registrations.models import Registration
from tests.factories import AlbumFactory, EventFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def live_event(transactional_db, images, settings):
    settings.ATTENDEE_LIVE_POLL_SECONDS = 1
    event = EventFactory(name="Riverside Wedding")
    album = AlbumFactory(event=event, title="Ceremony")
    with images["obama.jpg"].open("rb") as fp:
        first = add_photo(album=album, fp=fp, original_filename="obama.jpg", queue=False).photo
    process_photo(photo_id=first.pk)
    return event, album


def arrive(album, path, name, quality=None):
    """A photo the camera sent, processed. ``quality``: another JPEG file of the same
    picture (another photo to the site)."""
    data = path.read_bytes()
    if quality:
        buffer = io.BytesIO()
        Image.open(path).convert("RGB").save(buffer, "JPEG", quality=quality)
        data = buffer.getvalue()
    added = add_photo(album=album, fp=io.BytesIO(data), original_filename=name, queue=False)
    return process_photo(photo_id=added.photo.pk)


def test_a_registered_guests_page_shows_new_photos_as_they_arrive(
    live_server, page, screenshot, images, live_event
):
    event, album = live_event
    with images["obama2.jpg"].open("rb") as selfie:
        services.register(event=event, email="guest@example.org", share_email=False, selfie=selfie)
    registration = Registration.objects.get()
    Registration.objects.filter(pk=registration.pk).update(confirmed_at=timezone.now())
    page.goto(live_server.url + urlparse(links.new_login_url(registration)).path)
    page.click("#open-my-photos")
    page.wait_for_selector("#live-results[data-ready]", state="attached")
    assert page.locator(".gallery .viewer-link").count() == 1

    new = arrive(album, images["obama.jpg"], "IMG_0002.JPG", quality=80)  # the camera sends
    # No reload: the page's own script brings the new photo in.
    page.locator(".gallery .viewer-link").nth(1).wait_for(timeout=30_000)
    assert page.locator(".gallery .viewer-link").count() == 2
    assert any(
        f"/photos/{new.pk}/" in link.get_attribute("href")
        for link in page.locator(".gallery .viewer-link").all()
    )
    assert "1 new photo of you." in page.inner_text("#live-announce")
    screenshot("live-registered")
    # The viewer opens the photo that arrived (links are read at each opening).
    page.locator(".gallery .viewer-link").last.click()
    page.wait_for_selector("#viewer:not([hidden]) img")


def test_an_anonymous_guest_is_told_photos_arrived_since_their_search(
    live_server, page, images, live_event
):
    event, album = live_event
    page.goto(f"{live_server.url}/e/{event.attendee_token}/")
    page.set_input_files("#id_selfie", str(images["obama2.jpg"]))
    page.check("#id_consent")
    page.click("#search-button")
    page.wait_for_selector("#live-results[data-ready]", state="attached")
    assert page.is_hidden("#arrivals-notice")
    arrive(album, images["biden.jpg"], "biden.jpg")
    page.wait_for_selector("#arrivals-notice:not([hidden])")
    assert "1 photo was added since your search." in page.inner_text("#arrivals-notice")


def test_the_live_wall_shows_the_newest_photo_on_the_venues_screen(
    live_server, page, screenshot, images, live_event
):
    from live import wall

    event, album = live_event
    token = wall.start(event).token
    page.set_viewport_size({"width": 1920, "height": 1080})  # the venue's screen
    page.goto(f"{live_server.url}/w/{token}/")
    page.wait_for_selector("#wall-photo:not([hidden])")
    assert f"/w/{token}/photos/" in page.get_attribute("#wall-photo", "src")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=page.query_selector("#wall-photo")
    )
    screenshot("wall")
    wall.stop(event)
    assert page.goto(f"{live_server.url}/w/{token}/").status == 410


def test_a_guest_who_keeps_looking_sees_new_photos_without_reloading(
    live_server, page, screenshot, images, live_event
):
    event, album = live_event
    page.goto(f"{live_server.url}/e/{event.attendee_token}/")
    page.set_input_files("#id_selfie", str(images["obama2.jpg"]))
    page.check("#id_consent")
    page.check("#id_keep_looking")
    page.click("#search-button")
    page.wait_for_selector("#live-results[data-ready]", state="attached")
    assert page.get_attribute("#live-results", "data-mode") == "refresh"
    assert page.locator(".gallery .viewer-link").count() == 1
    arrive(album, images["obama.jpg"], "IMG_0003.JPG", quality=75)
    page.locator(".gallery .viewer-link").nth(1).wait_for(timeout=30_000)
    assert "1 new photo of you." in page.inner_text("#live-announce")
    screenshot("keep-looking")
