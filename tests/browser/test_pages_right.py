"""Issue 29's pages in a real browser, in English and French, at laptop and phone
sizes, each checked with axe-core: the guest's filtered results with the timeline and
the viewer, the organiser's photo page moved through by keys, and refused forms
answering next to their field. Screenshots land in test-artifacts/."""

import datetime as dt

import pytest
from django.utils import timezone
from PIL import Image

from faces.processing import process_photo
from photos.models import Photo
from photos.services import add_photo
from tests.browser.conftest import (
    ARTIFACTS,
    accessibility_of,
    check_accessibility,
    covered_controls,
)
from tests.factories import AlbumFactory, EventFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = {"laptop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
LOCALES = {"en": "en-GB", "fr": "fr-FR"}
COMBINATIONS = [(language, size) for language in LOCALES for size in SIZES]
TEXT = {
    "en": {"shown": "Showing 2 of your 3 photos", "undated": "has no capture date"},
    "fr": {"shown": "2 de vos 3 photos affichées", "undated": "n’a pas de date de prise de vue"},
}


@pytest.fixture
def wedding(transactional_db, images, tmp_path):
    """Three photos of one guest (15:00; 19:30 by Ana Lima; undated) among others."""
    owner = UserFactory(username="olivia")
    event = EventFactory(name="Riverside Wedding", owner=owner)
    album = AlbumFactory(event=event, title="Ceremony")
    local = timezone.get_current_timezone()
    plan = [
        ("obama.jpg", images["obama.jpg"], dt.datetime(2026, 6, 20, 15, 0, tzinfo=local), ""),
        ("toast.jpg", None, dt.datetime(2026, 6, 20, 19, 30, tzinfo=local), "Ana Lima"),
        ("scan.jpg", None, None, ""),
        ("group.jpg", images["group6.jpg"], dt.datetime(2026, 6, 20, 16, 0, tzinfo=local), ""),
    ]
    photos = {}
    with Image.open(images["obama.jpg"]) as picture:
        for quality, (name, path, taken, artist) in zip((0, 85, 75, 0), plan, strict=True):
            if path is None:  # another file of the same photo: another photo
                path = tmp_path / name
                picture.convert("RGB").save(path, "JPEG", quality=quality)
            with path.open("rb") as fp:
                added = add_photo(album=album, fp=fp, original_filename=name, queue=False)
            Photo.objects.filter(pk=added.photo.pk).update(taken_at=taken, photographer=artist)
            photos[name] = process_photo(photo_id=added.photo.pk)
    return event, album, photos


def new_context(browser, language, size):
    context = browser.new_context(
        locale=LOCALES[language], viewport=SIZES[size], is_mobile=size == "phone"
    )
    context.set_default_timeout(60_000)
    return context


def log_in(page, live_server):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "olivia")
    page.fill("#id_password", "correct horse battery staple")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"pages-right-{name}.png"), full_page=True)


# The caption must keep off the screen's edges, and the photo must not run under the
# caption and its download button (its controls: covered_controls).
VIEWER_LAYOUT = """() => {
  const viewer = document.getElementById("viewer");
  const problems = [];
  const caption = viewer.querySelector(".viewer-caption").getBoundingClientRect();
  if (caption.left < 8 || caption.right > innerWidth - 8) problems.push("caption at the edge");
  const bar = viewer.querySelector(".viewer-bar").getBoundingClientRect();
  if (bar.bottom > innerHeight) problems.push("caption below the screen");
  const photo = viewer.querySelector("img").getBoundingClientRect();
  if (photo.bottom > bar.top) problems.push("photo under the caption");
  return problems;
}"""


@pytest.mark.parametrize(("language", "size"), COMBINATIONS)
def test_a_guest_filters_by_date_sees_what_was_left_out_and_browses_by_timeline(
    live_server, browser, images, wedding, language, size
):
    event, album, photos = wedding
    context = new_context(browser, language, size)
    page = context.new_page()
    visited = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and visited.append(frame.url))
    try:
        page.goto(f"{live_server.url}/e/{event.attendee_token}/")
        page.set_input_files("#id_selfie", str(images["obama2.jpg"]))
        page.check("#id_consent")
        page.click("#search-button")
        page.wait_for_selector(".gallery .viewer-link")
        links = page.locator(".gallery .viewer-link")
        assert links.count() == 3
        # Capture order, undated last.
        order = [link.get_attribute("href") for link in links.all()]
        expected = [photos[name].pk for name in ("obama.jpg", "toast.jpg", "scan.jpg")]
        assert [f"/photos/{pk}/" in href for pk, href in zip(expected, order, strict=True)] == [
            True
        ] * 3
        assert page.is_visible("#timeline")
        assert page.locator("#timeline a").count() == 2  # 15:00 and 19:30
        shot(page, f"timeline-{language}-{size}")

        if not page.evaluate("document.getElementById('filters').open"):
            page.click("#filters summary")
        page.fill("#id_taken_from", "2026-06-20")
        page.click("#filters button[type=submit]")
        page.wait_for_selector("#filter-notice")
        assert TEXT[language]["shown"] in page.inner_text("#filter-notice")
        assert TEXT[language]["undated"] in page.inner_text("#undated-notice")
        assert page.locator(".gallery .viewer-link").count() == 2
        shot(page, f"filtered-{language}-{size}")
        page.click("#show-undated")
        page.wait_for_function("document.querySelectorAll('.gallery .viewer-link').length === 3")

        # A timeline bar jumps to its moment's first photo.
        page.locator("#timeline a").last.click()
        assert page.url.endswith(f"#photo-{photos['toast.jpg'].pk}")

        page.locator(".gallery .viewer-link").nth(1).click()
        page.wait_for_selector("#viewer:not([hidden]) img")
        caption = page.inner_text(".viewer-caption")
        assert "2026" in caption and "Ana Lima" in caption
        background = page.evaluate(
            "getComputedStyle(document.getElementById('viewer')).backgroundColor"
        )
        assert background == "rgb(10, 12, 16)"  # opaque: the page does not show through
        page.wait_for_function("document.querySelector('#viewer img').naturalWidth > 0")
        # On a phone the photo spans the screen's width: it once hid "previous".
        assert covered_controls(page, within="#viewer") == []
        assert page.evaluate(VIEWER_LAYOUT) == []
        shot(page, f"viewer-{language}-{size}")
        page.keyboard.press("Escape")
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
        problems = check_accessibility(context, visited)
    finally:
        context.close()
    assert problems == []


@pytest.mark.parametrize(("language", "size"), [("en", "laptop"), ("fr", "phone")])
def test_the_organiser_moves_through_an_albums_photos_by_keys(
    live_server, browser, wedding, language, size
):
    event, album, photos = wedding
    context = new_context(browser, language, size)
    page = context.new_page()
    try:
        log_in(page, live_server)
        group = photos["group.jpg"]
        page.goto(f"{live_server.url}/photos/{group.pk}/")
        page.wait_for_function("document.body.dataset.photoKeys === 'ready'")
        place = page.inner_text("#photo-place")
        assert ("Photo 2 of 4" if language == "en" else "Photo 2 sur 4") in place
        # The boxes on the photo carry the numbers of the list beside it.
        numbers = page.locator(".face-box .face-number").all_inner_texts()
        assert numbers == [str(n) for n in range(1, len(numbers) + 1)] and len(numbers) >= 5
        assert page.locator(".face-list .face-number").all_inner_texts() == numbers
        shot(page, f"photo-{language}-{size}")
        page.keyboard.press("ArrowRight")
        page.wait_for_url(f"**/photos/{photos['toast.jpg'].pk}/")
        assert "Ana Lima" in page.inner_text(".pagehead")
        page.keyboard.press("ArrowLeft")
        page.wait_for_url(f"**/photos/{group.pk}/")
        page.keyboard.press("ArrowLeft")
        page.wait_for_url(f"**/photos/{photos['obama.jpg'].pk}/")
        problems = check_accessibility(context, [page.url])
    finally:
        context.close()
    assert problems == []


@pytest.mark.parametrize(("language", "size"), COMBINATIONS)
def test_a_refused_form_answers_next_to_its_field(live_server, browser, wedding, language, size):
    event, album, photos = wedding
    context = new_context(browser, language, size)
    page = context.new_page()
    try:
        log_in(page, live_server)
        page.goto(f"{live_server.url}/events/{event.pk}/")
        page.fill("#id_album_title", "Ceremony")  # already an album of the event
        page.click("#id_album_title ~ button, form:has(#id_album_title) button[type=submit]")
        page.wait_for_selector("#album-title-error")
        field = page.locator("#id_album_title")
        error = page.locator("#album-title-error")
        message = {
            "en": "This event already has an album with that title.",
            "fr": "Cet événement a déjà un album portant ce titre.",
        }[language]
        assert error.inner_text() == message
        assert field.input_value() == "Ceremony"  # what was typed is still there
        assert page.evaluate("document.activeElement.id") == "id_album_title"
        below = (
            error.bounding_box()["y"]
            >= field.bounding_box()["y"] + field.bounding_box()["height"] - 1
        )
        assert below and abs(error.bounding_box()["x"] - field.bounding_box()["x"]) < 2
        shot(page, f"form-error-{language}-{size}")
        problems = accessibility_of(page)

        page.fill("#id_days", "1000")
        page.click("#retention-form button[type=submit]")
        page.wait_for_selector("#id_days_error")
        assert "365" in page.inner_text("#id_days_error")
        assert page.input_value("#id_days") == "1000"
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
        problems += accessibility_of(page)
    finally:
        context.close()
    assert problems == []
