"""Rate limits: atomic counters, fixed windows, nothing culled, and a venue on one Wi-Fi."""

import datetime as dt
import io
import threading

import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.db.models.functions import Now
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django_q.models import Schedule

from attendees import limits
from core import ratelimit, tasks
from core.models import RateCounter
from tests.factories import EventFactory, UserFactory
from tests.live import HttpClient, production_server
from tests.sample_images import no_face_image

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"
VENUE = "203.0.113.7"


@pytest.fixture
def redis_server(settings):
    """Counters in a real Redis (REDIS_URL set), database 15 emptied before and after."""
    settings.REDIS_URL = REDIS_TEST_URL
    server = redis.Redis.from_url(REDIS_TEST_URL)
    server.flushdb()
    yield server
    server.flushdb()


@pytest.fixture(params=["postgres", "redis"])
def backend(request, settings):
    """Each test runs on the PostgreSQL table and again on Redis."""
    if request.param == "redis":
        return request.getfixturevalue("redis_server")
    settings.REDIS_URL = ""
    return None


def _in_threads(count: int, work) -> list:
    """Run ``work()`` in ``count`` threads released at once; each uses its own connection."""
    start = threading.Barrier(count)
    results = [None] * count

    def run(index):
        try:
            start.wait()
            results[index] = work()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# --- the counter ------------------------------------------------------------------


def test_concurrent_hits_are_all_counted_and_exactly_the_limit_allowed(transactional_db, backend):
    def five_hits():
        return [ratelimit.hit("race", "one-key", limit=30, window_seconds=600) for _ in range(5)]

    results = _in_threads(16, five_hits)
    allowed = [answer for answers in results for answer in answers]
    assert len(allowed) == 80
    assert allowed.count(True) == 30
    assert ratelimit.count("race", "one-key") == 80


def test_later_hits_never_extend_the_window_and_an_expired_one_restarts(db, settings):
    settings.REDIS_URL = ""
    ratelimit.hit("login-failure", "user:victim", limit=3, window_seconds=900)
    counter = RateCounter.objects.get()
    window_end = counter.expires_at
    assert RateCounter.objects.filter(
        pk=counter.pk,
        expires_at__gt=Now() + dt.timedelta(seconds=840),
        expires_at__lte=Now() + dt.timedelta(seconds=900),
    ).exists()
    for _ in range(5):
        ratelimit.hit("login-failure", "user:victim", limit=3, window_seconds=900)
    counter.refresh_from_db()
    assert (counter.count, counter.expires_at) == (6, window_end)

    RateCounter.objects.update(expires_at=Now() - dt.timedelta(seconds=1))
    assert ratelimit.count("login-failure", "user:victim") == 0
    assert ratelimit.hit("login-failure", "user:victim", limit=1, window_seconds=900) is True
    counter.refresh_from_db()
    assert counter.count == 1
    assert counter.expires_at > window_end
    assert RateCounter.objects.filter(expires_at__gt=Now()).count() == 1


def test_with_redis_later_hits_never_extend_the_window_and_an_expired_one_restarts(
    redis_server,
):
    name = "rate:login-failure:user:victim"
    ratelimit.hit("login-failure", "user:victim", limit=3, window_seconds=900)
    window_end = redis_server.pexpiretime(name)
    assert 0 < redis_server.ttl(name) <= 900
    for _ in range(5):
        ratelimit.hit("login-failure", "user:victim", limit=3, window_seconds=900)
    assert redis_server.pexpiretime(name) == window_end
    assert ratelimit.count("login-failure", "user:victim") == 6

    redis_server.delete(name)  # what Redis does when the window ends
    assert ratelimit.count("login-failure", "user:victim") == 0
    assert ratelimit.hit("login-failure", "user:victim", limit=1, window_seconds=900) is True
    assert ratelimit.count("login-failure", "user:victim") == 1
    assert 0 < redis_server.ttl(name) <= 900


def test_thousands_of_other_keys_do_not_wipe_a_login_failure_counter(db, backend, settings):
    settings.LOGIN_FAILURES_ALLOWED = 3
    UserFactory(username="victim")
    client = Client(REMOTE_ADDR="198.51.100.4")
    for _ in range(3):
        client.post(reverse("login"), {"username": "victim", "password": "guess"})
    # A busy event: far more keys than the database cache's MAX_ENTRIES (300).
    for browser in range(2000):
        ratelimit.hit("selfie-browser", f"browser-{browser}", limit=10, window_seconds=600)
    assert ratelimit.count("selfie-browser", "browser-0") == 1
    blocked = client.post(
        reverse("login"), {"username": "victim", "password": "correct horse battery staple"}
    )
    assert blocked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_cleanup_deletes_only_expired_counters_and_runs_hourly(db, settings):
    settings.REDIS_URL = ""
    for key in ("old", "older", "live"):
        ratelimit.hit("cleanup", key, limit=5, window_seconds=600)
    RateCounter.objects.exclude(key__endswith="live").update(expires_at=Now())
    assert tasks.delete_expired_rate_counters() == 2
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["rate:cleanup:live"]
    call_command("setup_schedules", stdout=io.StringIO())
    schedule = Schedule.objects.get(func="core.tasks.delete_expired_rate_counters")
    assert schedule.schedule_type == Schedule.HOURLY


# --- logins -----------------------------------------------------------------------


def test_parallel_login_guesses_check_exactly_the_allowed_number_of_passwords(
    transactional_db, backend, settings
):
    settings.LOGIN_FAILURES_ALLOWED = 3
    UserFactory(username="victim")

    def guess():
        client = Client(REMOTE_ADDR="198.51.100.9")
        response = client.post(reverse("login"), {"username": "victim", "password": "guess"})
        return response.status_code

    statuses = _in_threads(16, guess)
    assert sorted(statuses) == [200] * 3 + [429] * 13


def test_successful_logins_do_not_use_up_the_failure_allowance(db, backend, settings):
    settings.LOGIN_FAILURES_ALLOWED = 2
    UserFactory(username="organiser")
    for _ in range(5):
        client = Client(REMOTE_ADDR="198.51.100.10")
        response = client.post(
            reverse("login"),
            {"username": "organiser", "password": "correct horse battery staple"},
        )
        assert response.status_code == 302
    network = ratelimit.client_networks(RequestFactory().post("/", REMOTE_ADDR="198.51.100.10"))[0]
    key = f"user:organiser:{network}"
    assert ratelimit.count("login-failure", key) == 0
    failed = Client(REMOTE_ADDR="198.51.100.10")
    assert (
        failed.post(reverse("login"), {"username": "organiser", "password": "x"}).status_code == 200
    )
    assert ratelimit.count("login-failure", key) == 1


# --- client addresses --------------------------------------------------------------


def _key_of(address: str, **meta) -> str:
    return ratelimit.client_key(RequestFactory().get("/", REMOTE_ADDR=address, **meta))


def test_ipv6_clients_are_keyed_by_their_64_network_and_ipv4_per_address(settings):
    settings.TRUST_X_FORWARDED_FOR = False
    home = _key_of("2001:db8:1:2::1")
    assert _key_of("2001:db8:1:2:ffff:ffff:ffff:fffe") == home
    assert _key_of("2001:db8:1:3::1") != home
    assert _key_of("2001:db8:2:2::1") != home
    assert _key_of("192.0.2.1") != _key_of("192.0.2.2")
    assert _key_of("::ffff:192.0.2.1") == _key_of("192.0.2.1")
    assert "2001" not in home and "192" not in _key_of("192.0.2.1")  # a keyed hash


def test_behind_a_trusted_proxy_the_forwarded_address_is_keyed(settings):
    settings.TRUST_X_FORWARDED_FOR = True
    forwarded = _key_of("10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1, 2001:db8:5:6::7")
    assert forwarded == _key_of("10.0.0.2", HTTP_X_FORWARDED_FOR="2001:db8:5:6::99")
    assert forwarded != _key_of("2001:db8:5:6::7", HTTP_X_FORWARDED_FOR="192.0.2.9")


# --- selfie searches at a venue -------------------------------------------------------


def _search_url(event) -> str:
    return reverse("attendees:search", args=[event.attendee_token])


def _page_url(event) -> str:
    return reverse("attendees:attendee", args=[event.attendee_token])


def _signed_browser_cookie(browser: str) -> str:
    response = HttpResponse()
    response.set_signed_cookie(limits.COOKIE_NAME, browser, salt=limits.COOKIE_SALT)
    return response.cookies[limits.COOKIE_NAME].value


def test_the_policy_lets_300_browsers_behind_one_address_search(db, backend):
    event = EventFactory()
    factory = RequestFactory()
    refusals = []
    for browser in range(300):
        request = factory.post(_search_url(event), REMOTE_ADDR=VENUE)
        request.COOKIES[limits.COOKIE_NAME] = _signed_browser_cookie(f"guest-{browser}")
        refusals.append(limits.count_attempt(request))
    assert refusals == [None] * 300

    script = factory.post(_search_url(event), REMOTE_ADDR=VENUE)  # keeps no cookies
    answers = [limits.count_attempt(script) for _ in range(11)]
    assert answers[:10] == [None] * 10
    assert "allow cookies" in answers[10].message

    forged = factory.post(_search_url(event), REMOTE_ADDR=VENUE)
    forged.COOKIES[limits.COOKIE_NAME] = "guest-1:not-signed"
    assert "allow cookies" in limits.count_attempt(forged).message


def test_300_browsers_at_a_venue_all_search_while_a_hammering_one_is_stopped(db, backend):
    event = EventFactory()
    # Posts without a selfie: the limits apply before the upload is read, so these are
    # counted like real searches and answered with "choose a selfie" (400) when allowed.
    statuses = []
    for _ in range(300):
        guest = Client(REMOTE_ADDR=VENUE)
        guest.get(_page_url(event))
        statuses.append(guest.post(_search_url(event), {"consent": "on"}).status_code)
    assert statuses == [400] * 300

    hammer = Client(REMOTE_ADDR=VENUE)
    hammer.get(_page_url(event))
    hammering = [hammer.post(_search_url(event), {"consent": "on"}) for _ in range(11)]
    assert [r.status_code for r in hammering] == [400] * 10 + [429]
    assert "Too many searches from this browser" in hammering[10].content.decode()
    assert "wait up to 10 minutes" in hammering[10].content.decode()
    assert hammering[10]["Retry-After"] == "600"

    script = Client(REMOTE_ADDR=VENUE)
    script.get(_page_url(event))
    cookieless = []
    for _ in range(11):
        script.cookies.pop(limits.COOKIE_NAME, None)
        cookieless.append(script.post(_search_url(event), {"consent": "on"}).status_code)
    assert cookieless == [400] * 10 + [429]

    latecomer = Client(REMOTE_ADDR=VENUE)
    latecomer.get(_page_url(event))
    assert latecomer.post(_search_url(event), {"consent": "on"}).status_code == 400


def _readable_selfie(seed: int = 0):
    """A readable image (with no face in it): it counts toward what is shared."""
    data = io.BytesIO()
    no_face_image(seed=seed).save(data, "JPEG")
    return SimpleUploadedFile("me.jpg", data.getvalue())


def test_the_address_ceiling_and_the_event_budget_still_hold(db, backend, settings):
    settings.ATTENDEE_SEARCHES_PER_ADDRESS = 3
    event = EventFactory()
    browsers = [Client(REMOTE_ADDR=VENUE) for _ in range(4)]
    for browser in browsers:
        browser.get(_page_url(event))
    statuses = [
        b.post(_search_url(event), {"consent": "on", "selfie": _readable_selfie(n)}).status_code
        for n, b in enumerate(browsers)
    ]
    assert statuses == [400, 400, 400, 429]  # 400: "No face" (it was searched)
    # Posts without a readable image do not count toward the address: a 4th browser
    # posting nothing is told to choose a selfie, not refused.
    empty = Client(REMOTE_ADDR="192.0.2.60")
    empty.get(_page_url(event))
    for _ in range(5):
        assert empty.post(_search_url(event), {"consent": "on"}).status_code == 400
    elsewhere = Client(REMOTE_ADDR="2001:db8:9:9::1")
    elsewhere.get(_page_url(event))
    answer = elsewhere.post(_search_url(event), {"consent": "on", "selfie": _readable_selfie()})
    assert answer.status_code == 400

    # Past the event's budget, a network's repeat search past its share is refused.
    settings.ATTENDEE_SEARCHES_PER_EVENT = 4
    settings.ATTENDEE_FAIR_SHARE_MIN = 1
    other_network = Client(REMOTE_ADDR="192.0.2.50")
    other_network.get(_page_url(event))
    first = other_network.post(_search_url(event), {"consent": "on", "selfie": _readable_selfie()})
    assert first.status_code == 400  # a first search: slowed down, never refused
    again = other_network.post(_search_url(event), {"consent": "on", "selfie": _readable_selfie()})
    assert again.status_code == 429
    assert "have been searched very often" in again.content.decode()


def test_the_browser_cookie_is_signed_httponly_lax_and_never_given_on_a_wrong_link(db, settings):
    event = EventFactory()
    client = Client()
    assert client.get("/e/" + "z" * 43 + "/").status_code == 404
    assert limits.COOKIE_NAME not in client.cookies
    client.get(_page_url(event))
    cookie = client.cookies[limits.COOKIE_NAME]
    assert cookie["httponly"] is True and cookie["samesite"] == "Lax"
    assert cookie["path"] == "/e/" and cookie["max-age"] == limits.COOKIE_MAX_AGE
    assert not cookie["secure"]
    first_id = cookie.value.split(":")[0]
    client.get(_page_url(event))  # shown again: same browser, expiry renewed
    assert client.cookies[limits.COOKIE_NAME].value.split(":")[0] == first_id

    settings.SESSION_COOKIE_SECURE = True
    assert Client().get(_page_url(event)).cookies[limits.COOKIE_NAME]["secure"] is True


def test_a_search_without_a_cookie_is_given_one(db):
    event = EventFactory()
    response = Client().post(_search_url(event), {"consent": "on"})
    assert response.status_code == 400
    request = RequestFactory().get("/")
    request.COOKIES[limits.COOKIE_NAME] = response.cookies[limits.COOKIE_NAME].value
    assert limits.browser_id(request)


def test_through_the_production_server_a_venue_searches_and_a_script_is_stopped(
    transactional_db, media_root, settings
):
    event = EventFactory()
    search = f"/e/{event.attendee_token}/search/"
    with production_server(media_root) as server:
        guests = [HttpClient(server.url) for _ in range(15)]
        for guest in guests:
            assert guest.get(f"/e/{event.attendee_token}/").status == 200
        cookie = next(c for c in guests[0].jar if c.name == limits.COOKIE_NAME)
        assert cookie.path == "/e/" and cookie.has_nonstandard_attr("HttpOnly")
        assert all(guest.post(search, {"consent": "on"}).status == 400 for guest in guests)

        hammer = guests[0]
        statuses = [hammer.post(search, {"consent": "on"}).status for _ in range(10)]
        assert statuses == [400] * 9 + [429]

        script = HttpClient(server.url)
        script.get(f"/e/{event.attendee_token}/")
        cookieless = []
        for _ in range(11):
            for cookie in [c for c in script.jar if c.name == limits.COOKIE_NAME]:
                script.jar.clear(cookie.domain, cookie.path, cookie.name)
            cookieless.append(script.post(search, {"consent": "on"}))
        assert [r.status for r in cookieless] == [400] * 10 + [429]
        assert "allow cookies" in cookieless[10].text
        assert guests[1].post(search, {"consent": "on"}).status == 400
