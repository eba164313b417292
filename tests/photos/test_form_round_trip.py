"""Every form a person saves as shown keeps what it showed, in English and in French.

A form is fetched, and what a browser would send back untouched (tests/forms.py, which
drops date and number values the browser cannot show, as a browser does) is posted:
nothing may change. Before, the event form wrote its dates as 20/11/2026 into
``<input type="date">`` in both languages, browsers showed the fields empty, and saving
the form erased the event's dates.
"""

import datetime as dt

import pytest
from django.urls import reverse

from tests.forms import browser_submission, input_types

LANGUAGES = ["en", "fr"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_event_form_saved_as_shown_changes_nothing(owner_client, event, language):
    event.starts_on, event.ends_on = dt.date(2026, 11, 20), dt.date(2026, 11, 22)
    event.location, event.description = "Lyon", "Deux jours\navec des photos"
    event.is_camera_selfie_required = True
    event.save()
    url = reverse("photos:event_edit", args=[event.pk])
    page = owner_client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    types = input_types(page, "event-form")
    assert types["starts_on"] == "date" and types["ends_on"] == "date"
    sent = browser_submission(page, "event-form")
    assert sent["starts_on"] == "2026-11-20" and sent["ends_on"] == "2026-11-22"
    before = {f: getattr(event, f) for f in sent if hasattr(event, f)}
    response = owner_client.post(url, sent, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 302, response.content.decode()[:3000]
    event.refresh_from_db()
    assert {f: getattr(event, f) for f in before} == before


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_new_event_form_takes_the_dates_a_browser_sends(owner_client, language):
    from photos.models import Event

    url = reverse("photos:event_create")
    page = owner_client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    sent = {**browser_submission(page, "event-form"), "name": "Gala", "starts_on": "2026-12-31"}
    assert owner_client.post(url, sent, HTTP_ACCEPT_LANGUAGE=language).status_code == 302
    assert Event.objects.get(name="Gala").starts_on == dt.date(2026, 12, 31)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_date_filter_is_shown_back_as_the_browser_can_read_it(
    owner_client, event, album, language
):
    """The filters of "Find a person" and the smart search keep their dates across the
    round trip (the form is shown again with what was asked)."""
    from photos.forms import SearchFiltersForm

    form = SearchFiltersForm({"taken_from": "2026-11-20", "taken_to": "2026-11-21"}, events=[event])
    assert form.is_valid(), form.errors
    from django.utils import translation

    with translation.override(language):
        html = f"<form>{form.as_div()}</form>"
    sent = browser_submission(html)
    assert sent["taken_from"] == "2026-11-20" and sent["taken_to"] == "2026-11-21"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_registrations_retention_saved_as_shown_changes_nothing(owner_client, event, language):
    """The event page's "keep registrations for (days)" (the registrations app's part
    of the page): a number input, in both languages, and a bad value is refused."""
    from registrations.models import EventRetention, retention_days

    EventRetention.objects.create(event=event, days=45)
    page = owner_client.get(event.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language)
    html = page.content.decode()
    assert input_types(html, "retention-form")["days"] == "number"
    sent = browser_submission(html, "retention-form")
    assert sent["days"] == "45"
    url = reverse("registrations:retention", args=[event.pk])
    assert owner_client.post(url, sent, HTTP_ACCEPT_LANGUAGE=language).status_code == 302
    assert retention_days(event) == 45
    owner_client.post(url, {"days": "400"}, HTTP_ACCEPT_LANGUAGE=language)
    assert retention_days(event) == 45  # refused: at most 365
    owner_client.post(url, {"days": "90"}, HTTP_ACCEPT_LANGUAGE=language)
    assert retention_days(event) == 90
