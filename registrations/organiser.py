"""The organiser's pages of registrations: guests' requests to be hidden (the event
page shows the counts through the registrations template tag)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from faces.models import Face
from photos import access
from photos.models import Event
from registrations import hide_requests
from registrations.models import HideRequest


@login_required
def hide_request_list(request, event_pk):
    """The organiser's list of guests' requests to be hidden, with the photos their
    search found, to approve or decline."""
    event = access.event_for(request, event_pk)
    requests = list(event.hide_requests.select_related("decided_by"))
    faces = Face.objects.filter(event=event, pk__in={f for r in requests for f in r.face_ids})
    by_id = {face.pk: face for face in faces.only("id", "photo_id", "status")}
    for hide_request in requests:
        hide_request.faces = [by_id[pk] for pk in hide_request.face_ids if pk in by_id]
    context = {
        "event": event,
        "waiting": [r for r in requests if r.is_waiting],
        "decided": [r for r in requests if not r.is_waiting],
    }
    return render(request, "registrations/hide_requests.html", context)


@login_required
@require_POST
def hide_request_decide(request, pk):
    events = Event.objects.visible_to(request.user)
    hide_request = get_object_or_404(HideRequest.objects.filter(event__in=events), pk=pk)
    approve = request.POST.get("decision") == "approve"
    decided = hide_requests.decide(hide_request, approve=approve, user=request.user)
    if decided.decision == HideRequest.Decision.APPROVED:
        messages.success(
            request,
            ngettext(
                "Hidden: %(count)s face, and the same person in photos added later. The "
                "guest is told by email.",
                "Hidden: %(count)s faces, and the same person in photos added later. The "
                "guest is told by email.",
                decided.faces_hidden,
            )
            % {"count": decided.faces_hidden},
        )
    else:
        messages.success(request, _("Declined: nothing was hidden. The guest is told by email."))
    return redirect("registrations:hide_requests", event_pk=hide_request.event_id)
