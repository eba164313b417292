"""An organiser uses smart search in a real browser (tiny random CLIP model)."""

import pytest

from ml.loader import forget_loaded as forget_loaded_models
from smart import services as smart_search
from tests.browser.conftest import log_in
from tests.clip_models import save_tiny_clip
from tests.factories import AlbumFactory, EventFactory, UserFactory
from tests.smart.test_smart_search import add_image, scenery

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def clip_model(settings, tmp_path):
    settings.PHOTOS_CLIP_MODEL = str(save_tiny_clip(tmp_path / "clip"))
    settings.PHOTOS_CLIP_TEXT_MIN_SIMILARITY = -1.0
    settings.PHOTOS_CLIP_SIMILAR_MIN_SIMILARITY = -1.0
    forget_loaded_models()
    yield
    forget_loaded_models()


def test_organiser_describes_a_photo_then_asks_for_more_like_one(
    live_server, page, screenshot, transactional_db, clip_model
):
    event = EventFactory(owner=UserFactory(username="olivia"), name="Summer Fair")
    album = AlbumFactory(event=event, title="Stage")
    photos = [add_image(album, scenery(seed), f"stage-{seed}.jpg") for seed in range(6)]
    smart_search.embed_pending_photos()

    log_in(page, live_server)
    page.goto(f"{live_server.url}{event.get_absolute_url()}")
    page.fill("#event-smart-search input[name=q]", "people dancing on stage")
    page.click("#event-smart-search button")
    page.wait_for_selector("#smart-results")
    assert page.locator("#smart-results li").count() == 6
    assert "6 of 6 processed photos prepared" in page.inner_text("#smart-coverage")
    assert page.input_value("#id_q") == "people dancing on stage"
    screenshot("text")

    page.click("#smart-results li >> nth=0")
    page.wait_for_selector("text=More like this")
    page.click("text=More like this")
    page.wait_for_selector("#smart-results")
    assert page.locator("#smart-results li").count() == 5  # the example itself left out
    assert "Photos like" in page.inner_text("#smart-search-form")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    screenshot("like-phone")
    assert {p.original_filename for p in photos} >= {
        page.get_attribute(f"#smart-results li >> nth={i} >> img", "alt") for i in range(5)
    }


def test_without_a_model_smart_search_is_not_offered(
    live_server, page, screenshot, transactional_db, settings
):
    settings.PHOTOS_CLIP_MODEL = ""
    forget_loaded_models()
    EventFactory(owner=UserFactory(username="olivia"))
    log_in(page, live_server)
    assert page.locator("nav >> text=Smart search").count() == 0  # off: not offered
    response = page.goto(f"{live_server.url}/photos/search/")
    assert response.status == 404
