"""The organiser's view of an event's registrations: counts, and the addresses of
those who agreed to share them (photos' event page loads it; photos never imports
this app)."""

from django import template

from registrations.models import EventCounts

register = template.Library()


@register.inclusion_tag("registrations/_summary.html")
def registration_summary(event) -> dict:
    registrations = event.registrations.all()
    counts = EventCounts.objects.filter(event=event).first() or EventCounts(event=event)
    return {
        "event": event,
        "active": registrations.count(),
        "confirmed": registrations.filter(confirmed_at__isnull=False).count(),
        "counts": counts,
        "shared": list(
            registrations.filter(share_email=True).order_by("email").values_list("email", flat=True)
        ),
    }
