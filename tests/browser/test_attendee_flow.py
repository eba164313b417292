"""An attendee in a real browser: link, consent, selfie, their photos only, viewer, zip."""

import io
import zipfile

import pytest

from faces.processing import process_photo
from photos.services import add_photo
from tests.browser.conftest import layout_problems
from tests.factories import AlbumFactory, EventFactory
from tests.sample_images import another_picture_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def wedding(transactional_db, images):
    event = EventFactory(name="Riverside Wedding")
    album = AlbumFactory(event=event, title="Ceremony")
    photos = {}
    for name in ("obama.jpg", "group6.jpg", "biden.jpg"):
        with images[name].open("rb") as fp:
            added = add_photo(album=album, fp=fp, original_filename=name, queue=False)
        photos[name] = process_photo(photo_id=added.photo.pk)
    return event, photos


def test_attendee_finds_their_photos_and_downloads_them(
    live_server, page, screenshot, images, wedding
):
    event, photos = wedding
    page.goto(f"{live_server.url}/e/{event.attendee_token}/")
    assert page.is_visible("text=never saved")
    screenshot("consent")

    page.set_input_files("#id_selfie", str(images["obama2.jpg"]))
    page.click("#search-button")
    assert page.is_visible("text=tick the box")  # consent comes first...
    # ...answered on the page itself: the chosen selfie is still there.
    assert page.url == f"{live_server.url}/e/{event.attendee_token}/"
    assert page.evaluate("document.getElementById('id_selfie').files.length") == 1
    assert page.evaluate("document.activeElement.id") == "id_consent"
    assert page.get_attribute("#id_consent", "aria-invalid") == "true"
    screenshot("consent-missing")

    page.check("#id_consent")
    assert page.is_hidden("#consent-error")
    page.click("#search-button")
    page.wait_for_selector("h1:text-is('Your photos')")
    links = page.locator(".gallery .viewer-link")
    assert links.count() == 1
    assert f"/photos/{photos['obama.jpg'].pk}/" in links.first.get_attribute("href")
    # The thumbnail is cropped around their face, not the photo's centre.
    position = links.first.locator("img").evaluate("img => img.style.objectPosition")
    assert position and position != "50% 50%"
    # The results have their own address: a reload shows them again, no new search.
    assert page.url == f"{live_server.url}/e/{event.attendee_token}/photos/"
    assert page.is_visible("#used-face img")  # this browser's copy, the face boxed
    screenshot("results")
    assert layout_problems(page) == []
    page.reload()
    page.wait_for_selector("h1:text-is('Your photos')")
    assert page.locator(".gallery .viewer-link").count() == 1

    # The viewer by keyboard: focus goes into it, Tab stays inside, Esc returns it.
    links.first.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#viewer:not([hidden]) img")
    assert page.evaluate("document.activeElement.classList.contains('viewer-close')")
    assert page.is_visible(".viewer-you")  # their face, pointed out
    assert "you are outlined" in page.inner_text(".viewer-caption")
    for _ in range(6):
        page.keyboard.press("Tab")
        assert page.evaluate("document.getElementById('viewer').contains(document.activeElement)")
    screenshot("viewer")
    page.keyboard.press("Escape")
    assert page.is_hidden("#viewer")
    assert page.evaluate("document.activeElement.classList.contains('viewer-link')")

    with page.expect_download() as download_info:
        page.click("#download-all")
    archive = zipfile.ZipFile(io.BytesIO(open(download_info.value.path(), "rb").read()))
    assert archive.namelist() == ["obama.jpg"]

    # Another browser (no search) cannot fetch the photo.
    other = page.context.browser.new_context()
    response = other.request.get(
        f"{live_server.url}/e/{event.attendee_token}/photos/{photos['obama.jpg'].pk}/preview/"
    )
    assert response.status == 404
    other.close()

    assert page.evaluate("document.getElementById('filters').open")  # laptop: open
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/e/{event.attendee_token}/photos/")
    page.wait_for_selector(".gallery .viewer-link")
    # Phone: the filters are folded away and the first photo shows without scrolling.
    assert not page.evaluate("document.getElementById('filters').open")
    assert page.locator("#filters").bounding_box()["height"] < 80  # one line, not a form
    assert page.locator(".gallery .viewer-link").first.bounding_box()["y"] < 844
    page.click("#filters summary")
    assert page.is_visible("#id_album")
    screenshot("results-phone")
    assert layout_problems(page) == []
    key = f"selfie:{event.attendee_token}"
    assert page.evaluate(f"sessionStorage.getItem('{key}')") is not None
    page.click("button:text-is('Forget my search')")
    page.wait_for_selector("text=deleted from this browser")
    assert page.evaluate(f"sessionStorage.getItem('{key}')") is None


def test_attendee_takes_a_selfie_with_the_camera_and_can_retake_it(
    live_server, page, screenshot, wedding
):
    event, photos = wedding
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{live_server.url}/e/{event.attendee_token}/")
    page.click("#camera-open")
    page.wait_for_selector("#camera-shoot:not([disabled])")
    page.click("#camera-shoot")
    page.wait_for_selector("#camera-still:not([hidden])")
    assert page.is_visible("#camera-retake")
    page.click("#camera-retake")
    page.wait_for_selector("#camera-video:not([hidden])")
    page.click("#camera-shoot")
    page.wait_for_selector("#camera-still:not([hidden])")
    assert page.evaluate("document.getElementById('id_selfie').files.length") == 1
    screenshot("camera")
    page.check("#id_consent")
    page.click("#search-button")
    page.wait_for_selector("h1:text-is('Your photos')")
    # The camera's picture of a picture is less sharp: a sure match, or a candidate.
    found = [link.get_attribute("href") for link in page.locator(".gallery .viewer-link").all()]
    found += [img.get_attribute("src") for img in page.locator(".candidate img").all()]
    pk = photos["obama.jpg"].pk
    face = photos["obama.jpg"].faces.get().pk
    assert any(f"/photos/{pk}/" in url or f"/questions/{face}/" in url for url in found)


def test_attendee_confirms_a_candidate_by_keyboard(
    live_server, page, screenshot, images, wedding, settings
):
    """An uncertain match shows only a face crop; "Yes, that's me" adds the photo."""
    settings.FACES_MATCH_THRESHOLD = 0.01  # nothing is sure: everything close is a question
    settings.FACES_MATCH_ALONE_THRESHOLD = 0.01
    settings.FACES_MAYBE_THRESHOLD = 0.6
    event, photos = wedding
    page.goto(f"{live_server.url}/e/{event.attendee_token}/")
    page.set_input_files("#id_selfie", str(images["obama2.jpg"]))
    page.check("#id_consent")
    page.click("#search-button")
    # Only "maybe": the questions are the next step, first thing under the title.
    page.wait_for_selector("h2:text-is('Are any of these you?')")
    assert page.locator(".gallery .viewer-link").count() == 0
    assert page.locator("#filters").count() == 0  # nothing to filter yet
    assert "No sure match yet" in page.inner_text(".pagehead")
    assert page.locator("#questions").bounding_box()["y"] < 900
    crop = page.locator(".candidate img").first
    assert "/questions/" in crop.get_attribute("src")
    # The crop is served (lazy loading: wait until the browser has it).
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=crop.element_handle())
    screenshot("maybe-only")
    assert layout_problems(page) == []
    page.locator(".candidate button[value=yes]").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".gallery .viewer-link")
    hrefs = [link.get_attribute("href") for link in page.locator(".gallery .viewer-link").all()]
    assert any(f"/photos/{photos['obama.jpg'].pk}/" in href for href in hrefs)
    assert page.is_visible("text=your photos were updated")
    assert page.is_visible("#download-all")


def test_a_camera_only_event_takes_the_camera_selfie(live_server, page, wedding):
    event, photos = wedding
    event.is_camera_selfie_required = True
    event.save()
    page.goto(f"{live_server.url}/e/{event.attendee_token}/")
    assert page.locator("label[for=id_selfie]").count() == 0  # no file picker offered
    page.click("#camera-open")
    page.wait_for_selector("#camera-shoot:not([disabled])")
    page.click("#camera-shoot")
    page.wait_for_selector("#camera-still:not([hidden])")
    assert page.input_value("#capture-ticket")
    page.check("#id_consent")
    page.click("#search-button")
    page.wait_for_selector("h1:text-is('Your photos')")


def test_the_accessibility_check_finds_what_it_should(browser):
    """axe-core (bundled, no download) reports a picture without a text alternative:
    the check that runs after every browser test can fail."""
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context()
    page = context.new_page()
    page.set_content('<html lang="en"><title>t</title><main><img src="x.png"></main></html>')
    violations = Axe().run(page).response["violations"]
    context.close()
    assert "image-alt" in {v["id"] for v in violations}


def test_a_french_browser_gets_the_attendee_pages_in_french(live_server, browser, images, wedding):
    from tests.browser.conftest import ARTIFACTS, check_accessibility

    event, photos = wedding
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server.url}/e/{event.attendee_token}/")
    assert page.inner_text("h2") == "Trouvez les photos où vous apparaissez"
    page.set_input_files("#id_selfie", str(images["obama2.jpg"]))
    assert page.inner_text("#selfie-name") == "Choisi : obama2.jpg"  # from the script
    page.check("#id_consent")
    page.click("#search-button")
    page.wait_for_selector("h1:text-is('Vos photos')")
    assert "1 photo de vous" in page.inner_text(".pagehead")
    page.locator(".gallery .viewer-link").first.click()
    assert "vous êtes entouré·e en jaune" in page.inner_text(".viewer-caption")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "attendee-results-french-phone.png"), full_page=True)
    urls = [f"{live_server.url}/e/{event.attendee_token}/", page.url]
    assert check_accessibility(context, urls) == []
    context.close()


def test_a_second_selfie_adds_the_photos_the_first_one_missed(
    live_server, page, screenshot, images, wedding
):

    event, photos = wedding
    data = io.BytesIO(another_picture_of(images["tom_hanks.png"]))
    added = add_photo(
        album=event.albums.first(), fp=data, original_filename="hanks.jpg", queue=False
    )
    hanks = process_photo(photo_id=added.photo.pk)

    page.goto(f"{live_server.url}/e/{event.attendee_token}/")
    page.set_input_files("#id_selfie", str(images["obama2.jpg"]))
    page.check("#id_consent")
    page.click("#search-button")
    page.wait_for_selector("h1:text-is('Your photos')")
    assert page.locator(".gallery .viewer-link").count() == 1

    page.click("#second-selfie a")  # "Add another selfie"
    page.wait_for_selector("#selfie-form")
    assert page.is_checked("#id_add_to_results")
    assert page.inner_text("h2 >> nth=0") == "Add another selfie"
    page.set_viewport_size({"width": 390, "height": 844})  # as on a phone
    screenshot("add-selfie-form")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.set_input_files("#id_selfie", str(images["tom_hanks.png"]))
    page.check("#id_consent")
    page.click("#search-button")
    page.wait_for_selector("h1:text-is('Your photos')")
    assert page.is_visible("text=This selfie found 1 more photo of you")
    hrefs = [link.get_attribute("href") for link in page.locator(".gallery .viewer-link").all()]
    assert len(hrefs) == 2
    assert any(f"/photos/{photos['obama.jpg'].pk}/" in href for href in hrefs)
    assert any(f"/photos/{hanks.pk}/" in href for href in hrefs)
    screenshot("second-selfie")
