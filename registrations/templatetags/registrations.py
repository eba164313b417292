"""The organiser's view of an event's registrations: counts, and the addresses of
those who agreed to share them (photos' event page loads it; photos never imports
this app)."""

from django import template

from registrations.models import EventCounts, HideRequest

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
        "hide_requests_waiting": event.hide_requests.filter(
            decision=HideRequest.Decision.WAITING
        ).count(),
        # Only addresses whose owner confirmed them: anyone can type an address into
        # the form, and the organiser must not take a stranger's for a guest's.
        "shared": list(
            registrations.filter(share_email=True, confirmed_at__isnull=False)
            .order_by("email")
            .values_list("email", flat=True)
        ),
    }
