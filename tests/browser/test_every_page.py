"""Every page people use, at laptop and phone sizes: a screenshot of each lands in
test-artifacts/, nothing is wider than the screen, and axe-core finds no serious
violation (tests/browser/conftest.py)."""

from urllib.parse import urlparse

import pytest
from django.utils import timezone

from core import links as links_module
from faces import organiser_decisions, people_upkeep
from faces.models import FacePerson
from faces.processing import process_photo
from live import wall as live_wall
from photos.services import add_photo
from registrations import links
from registrations.models import HideRequest, Registration
from tests.browser.conftest import ARTIFACTS, check_accessibility, layout_problems, log_in
from tests.factories import AlbumFactory, EventFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Lazy images below the fold would be blank in a full-page screenshot.
EVERY_IMAGE_LOADED = """Promise.all([...document.images].map((img) => {
  img.loading = "eager";
  return img.complete ? 0 : new Promise((done) => { img.onload = img.onerror = done; });
}))"""

SIZES = {"laptop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def site(images, transactional_db, media_root):
    owner = UserFactory(username="olivia")
    UserFactory(username="staff", is_staff=True, is_superuser=True)
    event = EventFactory(name="Riverside Wedding", owner=owner)
    album = AlbumFactory(event=event, title="Ceremony")
    photos = []
    for name in ("obama.jpg", "group6.jpg", "biden.jpg"):
        with images[name].open("rb") as fp:
            added = add_photo(album=album, fp=fp, original_filename=name, queue=False)
        photos.append(process_photo(photo_id=added.photo.pk))
    people_upkeep.group_event_faces(event_id=event.pk)
    person = FacePerson.objects.get(face=photos[0].faces.get()).person
    token = organiser_decisions.share(person=person)
    registration = Registration.objects.create(
        event=event, email="guest@example.org", consented_at=timezone.now()
    )
    # A guest who asked to be hidden (the faces their selfie found), and one decided.
    HideRequest.objects.create(
        event=event, email="gone@example.org", face_ids=[photos[0].faces.get().pk]
    )
    HideRequest.objects.create(
        event=event, email="other@example.org", decision=HideRequest.Decision.DECLINED,
        decided_by=owner, decided_at=timezone.now(),
    )  # fmt: skip
    stopped = "s" * 43
    links_module.revoke(stopped)  # a link the organiser replaced
    return {
        "wall-token": live_wall.start(event).token,
        "stopped-token": stopped,
        "event": event,
        "album": album,
        "photo": photos[1],
        "person": person,
        "token": token,
        "email-link": urlparse(links.new_login_url(registration)).path,
        "delete-link": urlparse(links.delete_url(registration)).path,
    }


def pages(site) -> dict[str, str]:
    event, album = site["event"], site["album"]
    return {
        "dashboard": "/",
        "event": f"/events/{event.pk}/",
        "event-edit": f"/events/{event.pk}/edit/",
        "album": f"/albums/{album.pk}/",
        "photo": f"/photos/{site['photo'].pk}/",
        "people": f"/events/{event.pk}/people/",
        "person": f"/people/{site['person'].pk}/",
        "find-a-person": "/search/",
        "hide-requests": f"/events/{event.pk}/hide-requests/",
        "same-person": f"/events/{event.pk}/people/same/",
        "new-event": "/events/new/",
    }


def public_pages(site) -> dict[str, str]:
    return {
        "attendee": f"/e/{site['event'].attendee_token}/",
        "unknown-link": "/e/not-a-link-at-all/",
        "stopped-link": f"/e/{site['stopped-token']}/",
        "live-wall": f"/w/{site['wall-token']}/",
        "share-link": f"/p/{site['token']}/",
        "login": "/login/",
        "register": f"/e/{site['event'].attendee_token}/register/",
        "email-link": site["email-link"],
        "new-link": f"/e/{site['event'].attendee_token}/me/new-link/",
        "delete-my-data": site["delete-link"],
    }


@pytest.mark.parametrize("language", ["en-GB", "fr-FR"])
@pytest.mark.parametrize("size", SIZES)
def test_every_page_at_laptop_and_phone_size(live_server, browser, site, size, language):
    ARTIFACTS.mkdir(exist_ok=True)
    problems, too_wide, layout = [], [], []
    options = {"viewport": SIZES[size], "is_mobile": size == "phone", "locale": language}
    visitor = browser.new_context(**options)
    organiser = browser.new_context(**options)
    try:
        for context, urls in ((visitor, public_pages(site)), (organiser, pages(site))):
            page = context.new_page()
            if context is organiser:
                log_in(page, live_server, wait_for="#logout-form")
            for name, path in urls.items():
                page.goto(f"{live_server.url}{path}")
                page.wait_for_load_state("load")
                page.evaluate(EVERY_IMAGE_LOADED)
                shot = ARTIFACTS / f"page-{name}-{size}-{language[:2]}.png"
                page.screenshot(path=str(shot), full_page=True)
                layout += [f"{name}: {problem}" for problem in layout_problems(page)]
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > SIZES[size]["width"]:
                    too_wide.append(f"{name}: {width}px")
            problems += check_accessibility(
                context, [f"{live_server.url}{p}" for p in urls.values()]
            )
    finally:
        visitor.close()
        organiser.close()
    assert too_wide == []
    assert layout == []
    assert problems == []
