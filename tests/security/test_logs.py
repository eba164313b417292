"""Attendee links are secrets: no log line of the production server keeps one."""

import logging

from core.logging import RedactTokensFilter, redact
from tests.factories import EventFactory
from tests.live import HttpClient, production_server


def test_redact_hides_links_and_keeps_the_rest():
    token = "A" * 43
    assert redact(f"GET /e/{token}/photos/3/preview/ HTTP/1.1") == (
        "GET /e/<link>/photos/3/preview/ HTTP/1.1"
    )
    assert redact("GET /albums/3/ HTTP/1.1") == "GET /albums/3/ HTTP/1.1"


def test_django_log_records_lose_the_token():
    record = logging.LogRecord(
        "django.request", logging.WARNING, "", 0, "Not Found: %s", ("/e/" + "b" * 43 + "/",), None
    )
    RedactTokensFilter().filter(record)
    assert record.getMessage() == "Not Found: /e/<link>/"


def test_access_and_error_logs_of_the_production_server_name_no_link(transactional_db, media_root):
    event = EventFactory()
    unknown = "z" * 43
    with production_server(media_root) as server:
        client = HttpClient(server.url)
        assert client.get(f"/e/{event.attendee_token}/").status == 200
        assert client.get(f"/e/{unknown}/").status == 404
        client.get(
            f"/e/{event.attendee_token}/photos/1/preview/",
            headers={"Referer": f"{server.url}/e/{event.attendee_token}/"},
        )
        log = server.log_text()
    assert "GET /e/<link>/ HTTP" in log  # the requests were logged (access log)...
    assert "Not Found: /e/<link>/" in log  # (and Django's own log)
    assert event.attendee_token not in log and unknown not in log  # ...without their links
