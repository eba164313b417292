"""The whole journey of a registered attendee, in Chromium, with a real worker and a
real SMTP server: register with the camera, the organiser uploads, the worker
processes, the email arrives, its link shows the photos, "Delete my data" works."""

import time

import pytest

from faces.people_upkeep import group_changed_events
from photos.models import Photo
from registrations import notify
from registrations.models import Registration
from tests.browser.conftest import layout_problems, log_in
from tests.factories import AlbumFactory, EventFactory, UserFactory
from tests.registrations.conftest import Inbox, free_port, link_in, text_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "guest@example.org"


@pytest.fixture
def smtp_inbox():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    yield inbox
    controller.stop()


@pytest.fixture
def worker_settings(smtp_inbox, live_server):
    return {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_inbox.port),
        "EMAIL_USE_TLS": "false",
        "SITE_URL": live_server.url,
        "ATTENDEE_EMAIL_RETRY_SECONDS": "0",
    }


def wait_for(check, what: str, seconds: float = 90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"Waited {seconds} s for {what}")


def test_register_get_emailed_new_photos_and_delete_my_data(
    live_server, task_worker, smtp_inbox, browser, page, screenshot, images, transactional_db
):
    organiser = UserFactory(username="olivia")
    event = EventFactory(name="Riverside Wedding", owner=organiser)
    album = AlbumFactory(event=event, title="Ceremony")

    # The attendee registers on a phone, before any photo is up, with the camera.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/e/{event.attendee_token}/")
    page.click("text=Send me my photos as they arrive")
    page.fill("#id_email", EMAIL)
    page.click("#camera-open")
    page.wait_for_selector("#camera-shoot:not([disabled])")
    page.click("#camera-shoot")
    page.wait_for_selector("#camera-still:not([hidden])")
    page.check("#id_consent")
    screenshot("register")
    assert layout_problems(page) == []
    page.click("#search-button")
    # Not logged in by registering: only the emailed link does that.
    page.wait_for_selector(f"text=Almost done: we sent an email to {EMAIL}")
    assert "No photo of you yet" in page.inner_text("main")

    welcome = wait_for(lambda: smtp_inbox.to(EMAIL), "the welcome email")[0]
    page.goto(live_server.url + link_in(welcome, "me"))
    page.click("#open-my-photos")  # confirms the address
    page.wait_for_selector("h1:text-is('Your photos')")

    # The organiser uploads three photos; the worker processes them.
    organiser_page = browser.new_page()
    log_in(organiser_page, live_server)
    organiser_page.goto(f"{live_server.url}/albums/{album.pk}/")
    organiser_page.wait_for_selector("#uploader[data-ready]", state="attached")
    files = [str(images[name]) for name in ("obama.jpg", "obama3.jpg", "biden.jpg")]
    organiser_page.set_input_files("#file-input", files)
    organiser_page.wait_for_selector("#stat-done:text-is('3')", timeout=180_000)
    organiser_page.close()

    # The people job (every minute in production) then tells the registrations app,
    # whose task runs in the worker; the email job queues the email, the worker sends it.
    group_changed_events()
    wait_for(
        lambda: (
            (r := Registration.objects.get(email=EMAIL)).pending_photo_ids or r.pending_check_ids
        ),
        "the new photos to be noted",
    )
    assert notify.send_due() == 1
    new_photos = wait_for(lambda: smtp_inbox.to(EMAIL)[1:], "the new photos email")[0]
    assert "Riverside Wedding" in new_photos["Subject"]
    assert "Riverside Wedding" in text_of(new_photos)

    page.goto(live_server.url + link_in(new_photos, "me"))
    page.click("#open-my-photos")
    page.wait_for_selector("h1:text-is('Your photos')")
    # The camera's picture of a picture is less sharp than an upload: Obama may be a
    # face to check rather than a sure match; "Yes, that's me" then adds his photos,
    # and the answer is kept for later searches.
    if page.locator(".gallery .viewer-link").count() == 0:
        assert "may show you" in text_of(new_photos)
        page.click('#questions button:text-is("Yes, that\'s me")')
        page.wait_for_selector("text=we will remember your answer")
        assert Registration.objects.get().answers.filter(is_me=True).exists()
    page.wait_for_selector(".gallery .viewer-link")
    obama = Photo.objects.get(event=event, original_filename="obama.jpg")
    hrefs = [a.get_attribute("href") for a in page.locator(".gallery .viewer-link").all()]
    assert any(f"/photos/{obama.pk}/" in href for href in hrefs)
    biden = Photo.objects.get(event=event, original_filename="biden.jpg")
    assert not any(f"/photos/{biden.pk}/" in href for href in hrefs)
    screenshot("my-photos")
    assert layout_problems(page) == []

    page.click("#delete-my-data")
    page.check("#id_hide_me")
    screenshot("delete")
    page.click("#confirm-delete")
    page.wait_for_selector("h1:text-is('Your data was deleted')")
    assert "Nothing is hidden until they approve" in page.inner_text("main")
    assert not Registration.objects.exists()
    assert obama.faces.filter(status="visible").exists()  # asked, not yet decided

    # The organiser sees the request on the event page and approves it.
    organiser_page = browser.new_page()
    log_in(organiser_page, live_server)
    organiser_page.goto(f"{live_server.url}/events/{event.pk}/")
    organiser_page.click("text=1 guest asked to be hidden in the photos")
    organiser_page.wait_for_selector(".hide-request .face-strip img")
    screenshot("hide-request", organiser_page)
    organiser_page.click("text=Hide this guest")
    organiser_page.wait_for_selector("text=The guest is told by email")
    organiser_page.close()
    assert not obama.faces.filter(status="visible").exists()  # hidden, as approved
    told = wait_for(lambda: [m for m in smtp_inbox.to(EMAIL) if "request" in m["Subject"]],
                    "the decision email")  # fmt: skip
    assert "The organiser hid you" in text_of(told[0])
    # The first email's delete link now says there is nothing left.
    page.goto(live_server.url + link_in(welcome, "delete"))
    page.wait_for_selector("h1:text-is('Nothing to delete')")
