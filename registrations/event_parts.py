"""What registrations shows on the organiser's event page (registered in
registrations/apps.py through photos.extensions): counts, the addresses of those who
agreed to share them, hide requests waiting, and how long registrations are kept."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from photos import access, extensions
from photos.views.events import event_page
from registrations.models import EventCounts, EventRetention, HideRequest, retention_days


class RetentionForm(forms.ModelForm):
    class Meta:
        model = EventRetention
        fields = ["days"]
        # The card says how long they are kept, above the field: no help text again.
        help_texts = {"days": ""}


def summary(request, event) -> dict:
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
        "retention_days": retention_days(event),
        # A refused value comes back as typed, its error under the field (retention_save).
        "retention_form": getattr(request, "refused_retention_form", None)
        or RetentionForm(initial={"days": retention_days(event)}),
    }


@login_required
@require_POST
def retention_save(request, event_pk):
    """The organiser's "keep registrations for (days)" of the event."""
    event = access.event_for(request, event_pk)
    row = EventRetention.objects.filter(event=event).first() or EventRetention(event=event)
    form = RetentionForm(request.POST, instance=row)
    if form.is_valid():
        form.save()
        messages.success(request, _("Registrations are now kept for the new period."))
        return redirect(f"{event.get_absolute_url()}#registrations")
    # The event page again, this card showing the value as typed with its error.
    request.refused_retention_form = form
    return event_page(request, event, status=400)


def register() -> None:
    extensions.add_part("event", "registrations/_summary.html", context=summary)
