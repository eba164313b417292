"""An organiser's day in a real browser: log in, create an event, upload, watch, look."""

import faulthandler
import io
import zipfile

import pytest

from photos.models import Event, Photo
from tests.browser.conftest import log_in
from tests.factories import UserFactory
from tests.sample_images import no_face_image

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _zip_of(images) -> bytes:
    data = io.BytesIO()
    wall = io.BytesIO()
    no_face_image(seed=9).save(wall, "JPEG")
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("day2/biden.jpg", images["biden.jpg"].read_bytes())
        archive.writestr("day2/wall.jpg", wall.getvalue())
        archive.writestr("../sneaky.jpg", wall.getvalue())
    return data.getvalue()


def test_organiser_uploads_photos_and_a_zip_and_sees_faces(
    live_server, task_worker, page, screenshot, images, tmp_path
):
    UserFactory(username="olivia")
    (tmp_path / "party.zip").write_bytes(_zip_of(images))

    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "olivia")
    page.fill("#id_password", "correct horse battery staple")
    page.click("button[type=submit]")
    page.click("text=New event")
    page.fill("#id_name", "Riverside Wedding")
    page.fill("#id_starts_on", "2026-06-20")
    page.fill("#id_location", "Riverside Hall")
    page.click("text=Create event")
    page.wait_for_selector("text=Attendee link")
    assert page.input_value("#attendee-url").startswith(f"{live_server.url}/e/")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("button:text-is('Copy link')")
    page.wait_for_selector("#copy-status:text-is('Link copied.')")
    assert page.evaluate("navigator.clipboard.readText()") == page.input_value("#attendee-url")
    screenshot("event")

    # The event page's own Upload button, to its first album (named after the event).
    page.click("#upload-link")
    page.wait_for_selector("#uploader[data-ready]", state="attached")
    assert page.inner_text("h1") == "Riverside Wedding"
    # By keyboard alone: Tab reaches the file input (drawn as its "Choose files" label,
    # which shows the focus ring), Space opens the chooser.
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id")
        assert focused != "folder-input", "the folder picker comes before the file picker"
        if focused == "file-input":
            break
    else:
        pytest.fail("Tab never reaches the file input")
    label_outline = "getComputedStyle(document.querySelector('label[for=file-input]')).outlineStyle"
    assert page.evaluate(label_outline) == "solid"
    chooser = _file_chooser_by_keyboard(page)
    chooser.set_files(
        [str(images["obama.jpg"]), str(images["group6.jpg"]), str(tmp_path / "party.zip")]
    )
    # If the server ever hangs here, every thread's stack goes to the test report.
    faulthandler.dump_traceback_later(50)
    try:
        page.wait_for_selector("#overall-text:has-text('3 of 3 files uploaded')")
    finally:
        faulthandler.cancel_dump_traceback_later()
        screenshot("uploading")
    page.wait_for_selector("#stat-done:text-is('4')")
    page.wait_for_selector("#stat-faces:text-is('8')")
    page.wait_for_selector("#import-list li.done")  # the zip, unpacked by the worker
    assert "unsafe path" in page.inner_text("#import-list")
    page.wait_for_selector("#photo-grid img >> nth=3")
    screenshot("album")

    event = Event.objects.get(name="Riverside Wedding")
    group = Photo.objects.get(event=event, original_filename="group6.jpg")
    page.click(f"a[href='/photos/{group.pk}/']")
    page.wait_for_selector(".photo-with-faces img")
    assert page.locator(".face-box").count() == 6
    screenshot("photo")

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{live_server.url}/albums/{group.album_id}/")
    screenshot("album-phone")


def test_on_a_phone_the_menu_items_never_split_over_two_lines(browser, live_server, request):
    from tests.browser.conftest import ARTIFACTS

    UserFactory(username="olivia")
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/")
        page.fill("#id_username", "olivia")
        page.fill("#id_password", "correct horse battery staple")
        page.click("button[type=submit]")
        page.wait_for_selector(".topbar nav")
        for item in page.query_selector_all(".topbar nav a, .topbar nav button"):
            box = item.bounding_box()
            line = float(item.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 24"))
            assert box["height"] < 1.6 * line, item.inner_text()  # one line each
            assert box["x"] >= 0 and box["x"] + box["width"] <= 360, item.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-phone.png"), full_page=True)
    finally:
        context.close()


def test_a_big_file_resumes_after_the_connection_drops(
    live_server, page, screenshot, images, settings, media_root, transactional_db
):
    """Pieces of 32 KB: the second piece's connection drops once; the page asks the
    server where it is and sends only the rest, and the photo arrives whole."""
    from tests.factories import AlbumFactory, EventFactory

    settings.PHOTOS_UPLOAD_CHUNK_BYTES = 32 * 1024
    settings.PHOTOS_CHUNKS_DIR = str(media_root.parent / "chunks")
    user = UserFactory(username="olivia")
    album = AlbumFactory(event=EventFactory(owner=user))
    data = images["obama.jpg"].read_bytes()
    offsets, dropped = [], []

    def flaky(route):
        offset = route.request.headers.get("upload-offset")
        if route.request.method == "POST" and offset is not None:
            offsets.append(int(offset))
            if int(offset) > 0 and not dropped:
                dropped.append(int(offset))
                return route.abort("connectionreset")
        return route.continue_()

    page.route("**/uploads/*/", flaky)
    log_in(page, live_server)
    page.goto(f"{live_server.url}/albums/{album.pk}/")
    page.wait_for_selector("#uploader[data-ready]", state="attached")
    page.set_input_files("#file-input", str(images["obama.jpg"]))
    page.wait_for_selector("#overall-text:has-text('1 of 1 files uploaded')")
    screenshot("resumed")
    photo = Photo.objects.get(album=album)
    with photo.file.open("rb") as stored:
        assert stored.read() == data
    piece = 32 * 1024
    assert dropped == [piece]
    # Every piece went once, but the dropped one, sent again from the same offset.
    assert offsets == [0, piece, *range(piece, len(data), piece)]


def test_a_folder_of_photos_is_uploaded_with_its_subfolders(
    live_server, page, images, tmp_path, media_root, transactional_db
):
    from tests.factories import AlbumFactory, EventFactory

    user = UserFactory(username="olivia")
    album = AlbumFactory(event=EventFactory(owner=user))
    folder = tmp_path / "wedding"
    (folder / "ceremony").mkdir(parents=True)
    (folder / "ceremony" / "obama.jpg").write_bytes(images["obama.jpg"].read_bytes())
    (folder / "biden.jpg").write_bytes(images["biden.jpg"].read_bytes())
    (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")  # hidden files are left out
    log_in(page, live_server)
    page.goto(f"{live_server.url}/albums/{album.pk}/")
    page.wait_for_selector("#uploader[data-ready]", state="attached")
    page.set_input_files("#folder-input", str(folder))
    page.wait_for_selector("#overall-text:has-text('2 of 2 files uploaded')")
    names = set(Photo.objects.filter(album=album).values_list("original_filename", flat=True))
    assert names == {"obama.jpg", "biden.jpg"}


def _file_chooser_by_keyboard(page):
    """Space on the focused file input opens the file chooser. On a loaded machine
    Chromium once let a press go by without one (a 60 s timeout in the full suite,
    never alone): a second press, still by keyboard, is allowed; two misses fail."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(2):
        try:
            with page.expect_file_chooser(timeout=20_000) as chooser:
                page.keyboard.press(" ")
            return chooser.value
        except PlaywrightTimeout:
            assert page.evaluate("document.activeElement.id") == "file-input"
            if attempt:
                raise
    raise AssertionError("unreachable")
