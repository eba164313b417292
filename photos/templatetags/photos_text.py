"""Small pieces of text that several pages share, built so that no part left out
leaves a stray separator behind ("· Paris" when an event has no dates)."""

from django import template
from django.utils.formats import date_format

from photos.models import Event

register = template.Library()


@register.filter
def event_line(event: Event, date_style: str = "DATE_FORMAT") -> str:
    """ "20 June 2026 – 21 June 2026 · Paris": the event's dates and place, each only
    when known, joined by " · "."""
    parts = []
    if event.starts_on:
        dates = date_format(event.starts_on, date_style)
        if event.ends_on and event.ends_on != event.starts_on:
            dates += " – " + date_format(event.ends_on, date_style)
        parts.append(dates)
    if event.location:
        parts.append(event.location)
    return " · ".join(parts)
