"""Staff moderation in a real browser: hiding faces stops them matching."""

import pytest

from faces.models import Face
from faces.processing import process_photo
from photos.services import add_photo
from tests.factories import AlbumFactory, EventFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def attendee_search(browser, live_server, event, images):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/e/{event.attendee_token}/")
    page.set_input_files("#id_selfie", str(images["obama2.jpg"]))
    page.check("#id_consent")
    page.click("#search-button")
    page.wait_for_selector("h1:text-is('Your photos')")
    hrefs = [link.get_attribute("href") for link in page.locator(".gallery .viewer-link").all()]
    context.close()
    return hrefs


def test_staff_hide_two_faces_in_the_review_grid_and_they_stop_matching(
    live_server, browser, page, screenshot, images, transactional_db
):
    UserFactory(username="moderator", is_staff=True, is_superuser=True)
    event = EventFactory(name="Gala")
    album = AlbumFactory(event=event)
    photos = {}
    for name in ("obama.jpg", "group6.jpg"):
        with images[name].open("rb") as fp:
            added = add_photo(album=album, fp=fp, original_filename=name, queue=False)
        photos[name] = process_photo(photo_id=added.photo.pk)
    obama_face = photos["obama.jpg"].faces.get()
    other_face = photos["group6.jpg"].faces.order_by("score").first()
    before = attendee_search(browser, live_server, event, images)
    assert any(f"/photos/{photos['obama.jpg'].pk}/" in href for href in before)

    page.goto(f"{live_server.url}/admin/login/?next=/admin/faces/face/review/")
    page.fill("#id_username", "moderator")
    page.fill("#id_password", "correct horse battery staple")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/faces/face/review/")
    page.wait_for_load_state("load")  # the review script is attached
    page.select_option("#review-event", str(event.pk))
    page.wait_for_selector("#review-grid li")
    assert page.locator("#review-grid li").count() == 7
    page.click(f"li[data-id='{obama_face.pk}']")
    page.locator(f"li[data-id='{other_face.pk}']").focus()
    page.keyboard.press(" ")
    assert page.inner_text("#selected-count") == "2"
    screenshot("review-selected")
    page.click("#hide-selected")
    page.wait_for_selector("text=2 faces hidden")
    assert page.locator("#review-grid li").count() == 5
    screenshot("review-after")

    hidden = set(Face.objects.filter(status="hidden").values_list("pk", flat=True))
    assert hidden == {obama_face.pk, other_face.pk}
    after = attendee_search(browser, live_server, event, images)
    assert not any(f"/photos/{photos['obama.jpg'].pk}/" in href for href in after)
