"""S3 direct uploads in Chromium: the album page PUTs the parts of a big photo straight
to an S3-compatible server (moto, in the test process, answering CORS from the
bucket's own configuration only), resumes after a dropped part, and the photo arrives."""

import pytest

from photos.models import Photo
from tests.browser.conftest import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MIB = 1024 * 1024


def test_a_big_photo_goes_straight_to_the_bucket_and_resumes_after_a_drop(
    live_server, page, screenshot, images, s3_storage, tmp_path, transactional_db
):
    from urllib.parse import parse_qs, urlparse

    from tests.factories import AlbumFactory, EventFactory

    user = UserFactory(username="olivia")
    album = AlbumFactory(event=EventFactory(owner=user))
    # A real JPEG padded to 11 MB: two parts of 8 MB and 3 MB.
    data = images["obama.jpg"].read_bytes()
    data += b"\0" * (11 * MIB - len(data))
    path = tmp_path / "big.jpg"
    path.write_bytes(data)
    put_parts, dropped, through_site = [], [], []

    def bucket(route):
        if route.request.method == "PUT":
            number = int(parse_qs(urlparse(route.request.url).query)["partNumber"][0])
            put_parts.append(number)
            if number == 2 and not dropped:
                dropped.append(number)
                return route.abort("connectionreset")
        return route.continue_()

    page.route(f"{s3_storage.endpoint}/**", bucket)
    page.on(
        "request",
        lambda request: (
            request.url.startswith(live_server.url)
            and request.method == "POST"
            and "/uploads/" in request.url
            and through_site.append(len(request.post_data_buffer or b""))
        ),
    )
    # A refused part (CSP, CORS) is printed: pytest shows it when the test fails.
    page.on("requestfailed", lambda r: print("failed:", r.method, r.url[:100], r.failure))
    log_in(page, live_server)
    page.goto(f"{live_server.url}/albums/{album.pk}/")
    page.wait_for_selector("#uploader[data-ready]", state="attached")
    page.set_input_files("#file-input", str(path))
    page.wait_for_selector("#overall-text:has-text('1 of 1 files uploaded')")
    screenshot("s3-resumed")
    # Part 2 dropped once and sent again; part 1 never twice.
    assert put_parts == [1, 2, 2] and dropped == [2]
    # The site only signed and completed: no piece of the file went through it.
    assert max(through_site) < 1024
    photo = Photo.objects.get(album=album)
    assert photo.file.name.startswith(f"events/{album.event_id}/uploads/")
    with photo.file.open("rb") as stored:
        assert stored.read() == data
    assert photo.width > 0  # checked as any upload (the task ran in the live server here)
