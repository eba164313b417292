"""Organiser and staff pages of the faces app: find a person, face crops, hiding."""

import base64

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core import audit
from core.models import SearchRecord
from faces import moderation, organiser_decisions, selfies
from faces.forms import OrganiserSearchForm
from faces.models import Face
from photos import memory_uploads
from photos.models import Event, Photo


@csrf_exempt  # checked once the photo is read in memory (photos.memory_uploads)
@login_required
def organiser_search(request):
    """Search across the organiser's events (or every event, for those who manage all
    events) with a photo of someone. The photo is read in memory, like a selfie."""
    if request.method != "POST":
        return _organiser_search_page(request, 200)
    max_bytes = settings.SELFIE_MAX_BYTES
    too_large = memory_uploads.too_large_message(max_bytes)
    if memory_uploads.declared_too_large(request, max_bytes=max_bytes):
        return _organiser_search_page(request, 413, error=too_large)
    failure, handler = memory_uploads.read_with_csrf(request, field="selfie", max_bytes=max_bytes)
    if failure is not None:
        return failure
    if handler.too_large:
        return _organiser_search_page(request, 413, error=too_large)
    return _organiser_search_post(request)


def _organiser_events(request):
    return Event.objects.visible_to(request.user).order_by("-starts_on", "name")


def _organiser_search_page(request, status: int, *, form=None, error: str = "", **context):
    form = form or OrganiserSearchForm(events=_organiser_events(request))
    context = {"form": form, "page_error": error, **context}
    return render(request, "faces/organiser_search.html", context, status=status)


def _organiser_search_post(request):
    form = OrganiserSearchForm(request.POST, request.FILES, events=_organiser_events(request))
    if not form.is_valid():
        return _organiser_search_page(request, 400, form=form)
    event_ids = form.event_ids(request.user)
    try:
        search = selfies.search_by_selfie(
            fp=form.cleaned_data["selfie"], filters=form.filters(event_ids)
        )
    except selfies.SelfieError as error:
        form.add_error("selfie", str(error))
        return _organiser_search_page(request, 400, form=form)
    except (selfies.SelfieBusy, selfies.SearchUnavailable) as error:
        response = _organiser_search_page(request, 503, form=form, error=str(error))
        response["Retry-After"] = "60"
        return response
    audit.record_search(
        user=request.user,
        kind=SearchRecord.Kind.FACE,
        event_ids=event_ids,
        result_count=len(search.sure) + len(search.maybe),
    )
    photos = Photo.objects.in_bulk([m.photo_id for m in search.sure + search.maybe])
    return _organiser_search_page(
        request,
        200,
        form=form,
        sure=[(photos[m.photo_id], m.distance) for m in search.sure],
        maybe=[(photos[m.photo_id], m.distance) for m in search.maybe],
        searched=True,
        unavailable=list(
            Event.objects.filter(pk__in=search.unavailable_event_ids)
            .order_by("name")
            .values_list("name", flat=True)
        ),
        selfie_preview=base64.b64encode(search.selfie.preview_jpeg).decode(),
    )


def _faces_for(user):
    """The organiser's own faces; every face for moderators (staff allowed to view faces)."""
    if user.has_perm("faces.view_face"):
        return Face.objects.all()
    return Face.objects.filter(event__in=Event.objects.visible_to(user))


@login_required
def face_crop(request, pk):
    """A face's crop for moderation screens: staff, or the event's organiser."""
    face = get_object_or_404(_faces_for(request.user).select_related("photo"), pk=pk)
    response = HttpResponse(moderation.face_crop_jpeg(face), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_POST
def face_moderate(request, pk, action):
    """Organisers hide or restore a face on their photo page (they know their guests),
    or hide every face of that person in the event at once."""
    faces = Face.objects.filter(event__in=Event.objects.visible_to(request.user), pk=pk)
    face = get_object_or_404(faces.select_related("event", "grouping__person"))

    if action == "hide":
        moderation.hide_faces(faces=faces, user=request.user)
        messages.success(request, gettext("The face was hidden: it no longer matches any search."))
    elif action == "hide-person" and face.person is not None:
        count = organiser_decisions.hide(person=face.grouping.person, user=request.user)
        message = ngettext(
            "This person was hidden in every photo of the event (%(count)s face): they no "
            "longer match any search, and faces of theirs in photos added later are hidden too.",
            "This person was hidden in every photo of the event (%(count)s faces): they no "
            "longer match any search, and faces of theirs in photos added later are hidden too.",
            count,
        )
        messages.success(request, message % {"count": count})
    elif action == "restore":
        moderation.restore_faces(faces=faces, user=request.user)
        messages.success(
            request,
            gettext("The face was restored; it can be found again once the photo is processed."),
        )
    else:
        raise Http404("Unknown action.")
    return redirect("photos:photo_detail", pk=face.photo_id)
