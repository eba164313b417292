"""The organiser's People pages in a real browser: name, split, merge, share, hide."""

import pytest

from faces import organiser_decisions, people_upkeep
from faces.models import PeopleAction, PeopleApart, Person
from faces.processing import process_photo
from photos.services import add_photo
from tests.browser.conftest import check_accessibility, layout_problems, log_in
from tests.factories import AlbumFactory, EventFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OBAMA = ("obama.jpg", "obama3.jpg")  # obama2.jpg is the attendee's selfie


@pytest.fixture
def gala(images, transactional_db):
    owner = UserFactory(username="olivia")
    event = EventFactory(name="Gala", owner=owner)
    album = AlbumFactory(event=event, title="Evening")
    photos = {}
    for name in (*OBAMA, "biden.jpg", "group6.jpg"):
        with images[name].open("rb") as fp:
            added = add_photo(album=album, fp=fp, original_filename=name, queue=False)
        photos[name] = process_photo(photo_id=added.photo.pk)
    people_upkeep.group_event_faces(event_id=event.pk)
    return {"event": event, "photos": photos}


def attendee_search(page, live_server, event, selfie) -> set[int]:
    page.goto(f"{live_server.url}/e/{event.attendee_token}/")
    page.set_input_files("#id_selfie", str(selfie))
    page.check("#id_consent")
    page.click("#search-button")
    page.wait_for_selector("h1:text-is('Your photos')")
    return photo_ids_in_gallery(page)


def photo_ids_in_gallery(page) -> set[int]:
    hrefs = [a.get_attribute("href") for a in page.locator(".gallery .viewer-link").all()]
    return {int(href.split("/photos/")[1].split("/")[0]) for href in hrefs}


def test_organiser_names_splits_merges_shares_and_hides_a_person(
    live_server, browser, page, screenshot, images, gala
):
    obama_photos = {gala["photos"][name].pk for name in OBAMA}
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, live_server)
    page.goto(f"{live_server.url}{gala['event'].get_absolute_url()}")
    page.click("#people-link")
    page.wait_for_selector("h1:text-is('People')")
    first = page.locator(".person-tile").first
    assert "2 photos" in first.inner_text()  # most photographed first
    screenshot("people")

    # Name him.
    first.locator("a").click()
    page.fill("#person-name", "Barack")
    page.click("button:text-is('Save name')")
    page.wait_for_selector("h1:text-is('Barack')")
    barack = Person.objects.get(name="Barack")

    # "Not this person" on one face: one photo left.
    page.locator(".face-tile button:text-is('Not this person')").first.click()
    page.wait_for_selector("text=Taken out")
    assert "1 photo" in page.inner_text(".pagehead")
    split_off = Person.objects.exclude(pk=barack.pk).filter(event=gala["event"]).latest("pk")
    # The face taken out is offered back as "the same person?", whatever page it is on.
    assert page.locator(f"#look-alikes a[href='/people/{split_off.pk}/']").count() == 1

    # Merge them back from the People page.
    page.goto(f"{live_server.url}/events/{gala['event'].pk}/people/")
    page.check(f"input[name=people][value='{barack.pk}']")
    page.check(f"input[name=people][value='{split_off.pk}']")
    page.click("#merge-selected")
    page.wait_for_selector("text=Merged 2 people into Barack")
    assert "2 photos" in page.inner_text(".pagehead")

    # Share him: the link shows exactly his photos, to someone not logged in.
    page.click("button:text-is('Create a share link')")
    share_url = page.input_value("#share-url")
    visitor = browser.new_context()
    guest = visitor.new_page()
    guest.goto(share_url)
    guest.wait_for_selector("h1:text-is('Photos of Barack')")
    assert photo_ids_in_gallery(guest) == obama_photos
    zip_response = guest.request.get(f"{share_url}download.zip")
    assert zip_response.status == 200 and zip_response.body()[:2] == b"PK"

    # Hide him everywhere: the link stops, and an attendee's selfie that found his
    # photos before finds nothing.
    selfie = images["obama2.jpg"]
    assert attendee_search(guest, live_server, gala["event"], selfie) == obama_photos
    page.click("button:text-is('Hide everywhere')")
    page.wait_for_selector("text=is hidden in every photo")
    screenshot("hidden")
    assert guest.goto(share_url).status == 410  # "The organiser stopped this link"
    assert attendee_search(guest, live_server, gala["event"], selfie) == set()
    assert guest.locator("text=No photo matched").count() == 1
    visitor.close()

    page.goto(f"{live_server.url}/events/{gala['event'].pk}/people/")
    assert "Barack" in page.inner_text("#hidden-people")
    assert "Barack" not in page.inner_text(".people-grid")


def test_people_pages_on_a_phone(live_server, browser, gala, request):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    log_in(page, live_server)
    page.goto(f"{live_server.url}/events/{gala['event'].pk}/people/")
    tiles = page.locator(".person-tile")
    assert tiles.count() >= 2
    # Two columns at least, and nothing wider than the screen.
    boxes = [tiles.nth(i).bounding_box() for i in range(2)]
    assert boxes[0]["y"] == boxes[1]["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(_artifact(request, "people-phone")), full_page=True)
    # The merge bar stays in its place until something is selected: stuck to the
    # bottom from the start, it covered a phone's people for nothing.
    bar = page.locator(".sticky-actions")
    assert bar.evaluate("(el) => getComputedStyle(el).position") == "static"
    tiles.first.locator("input[type=checkbox]").check()
    assert bar.evaluate("(el) => getComputedStyle(el).position") == "sticky"
    assert layout_problems(page) == []  # the stuck bar covers no control scrolled to
    tiles.first.locator("input[type=checkbox]").uncheck()
    assert bar.evaluate("(el) => getComputedStyle(el).position") == "static"
    tiles.first.locator("a").click()
    page.wait_for_selector(".face-tile")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(_artifact(request, "person-phone")), full_page=True)
    visited = [f"{live_server.url}/events/{gala['event'].pk}/people/", page.url]
    problems = check_accessibility(context, visited)
    context.close()
    assert problems == []


def _artifact(request, name):
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{request.node.name}-{name}.png"


def test_organiser_separates_a_merged_pair_names_them_and_undo_restores(
    live_server, browser, page, screenshot, images, gala
):
    """The grouping put two people together (here: Obama and Biden, merged as the
    grouping merged Serena and Venus Williams). The organiser selects the other's face,
    moves it to a new person and names both; Obama's selfie then finds only his
    photos. "Not this person" on one of his faces keeps that photo out of his results;
    "Undo" brings it back."""
    event = gala["event"]
    obama = Person.objects.get(memberships__face__photo=gala["photos"]["obama.jpg"])
    biden = Person.objects.get(memberships__face__photo=gala["photos"]["biden.jpg"])
    organiser_decisions.merge_people(people=[obama, biden])
    PeopleAction.objects.all().delete()  # the grouping's mistake, not the organiser's
    selfie = images["obama2.jpg"]
    obama_photos = {gala["photos"][name].pk for name in OBAMA}

    log_in(page, live_server)
    page.goto(f"{live_server.url}/people/{obama.pk}/")
    biden_face = gala["photos"]["biden.jpg"].faces.get()
    # The stranger in the person is the least like the others: last, marked unsure.
    assert "Unsure" in page.locator(".face-tile").last.inner_text()
    page.check(f"input[name=faces][value='{biden_face.pk}']")
    assert "1 selected" in page.inner_text("#selection-count")
    page.select_option("#move-to", "new")
    screenshot("select-faces")
    page.click("#move-faces")
    page.wait_for_selector("text=1 face moved to")
    page.fill("#person-name", "Barack")
    page.click("button:text-is('Save name')")
    page.wait_for_selector("h1:text-is('Barack')")
    joe = Person.objects.get(memberships__face=biden_face)
    page.goto(f"{live_server.url}/people/{joe.pk}/")
    page.fill("#person-name", "Joe")
    page.click("button:text-is('Save name')")
    page.wait_for_selector("h1:text-is('Joe')")

    guest = browser.new_context().new_page()
    assert attendee_search(guest, live_server, event, selfie) == obama_photos

    # "Not this person" on obama3's face: his results leave that photo out...
    page.goto(f"{live_server.url}/people/{obama.pk}/")
    obama3 = gala["photos"]["obama3.jpg"]
    page.click(f"form[action^='/faces/{obama3.faces.get().pk}/not-this-person/'] button")
    page.wait_for_selector("text=Taken out")
    assert obama3.pk not in attendee_search(guest, live_server, event, selfie)
    # ...and Undo puts the face back with him.
    page.click("#undo-button")
    page.wait_for_selector("text=Undone:")
    assert attendee_search(guest, live_server, event, selfie) == obama_photos
    check = check_accessibility(page.context, [f"{live_server.url}/people/{obama.pk}/"])
    assert check == []


def test_same_person_pairs_are_answered_with_one_key(live_server, page, screenshot, gala):
    event = gala["event"]
    obama3_face = gala["photos"]["obama3.jpg"].faces.get()
    organiser_decisions.split_face(face=obama3_face)  # the grouping split him in two
    PeopleApart.objects.all().delete()
    log_in(page, live_server)
    page.goto(f"{live_server.url}/events/{event.pk}/people/")
    page.click("#same-person-offer a")
    page.wait_for_selector("h1:text-is('The same person?')")
    screenshot("same-person")
    pair = {
        int(v)
        for v in page.locator(
            "#same-form input[type=hidden][name=first], #same-form input[type=hidden][name=second]"
        ).evaluate_all("els => els.map(e => e.value)")
    }
    page.keyboard.press("y")
    page.wait_for_selector("text=Merged into")
    assert Person.objects.filter(pk__in=pair).count() == 1
    assert (
        check_accessibility(page.context, [f"{live_server.url}/events/{event.pk}/people/same/"])
        == []
    )
