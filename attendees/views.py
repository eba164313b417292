"""The attendee pages, reached only through an event's secret link (/e/<token>/...)."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from attendees import camera, limits, results, selfie_posts
from attendees.forms import SelfieForm
from attendees.pages import event_for_token, unknown_link
from core.http import private
from faces import api
from faces.models import Face
from photos.filters import SearchFilters
from photos.forms import SearchFiltersForm
from photos.media import serve_attendee_file, serve_zip
from photos.models import Event, Photo
from photos.timeline import timeline_of


@limits.with_browser_id
def attendee(request, token):
    """The event's page for attendees, reached only through its secret link."""
    event = event_for_token(token)
    if event is None:
        return unknown_link(request, token)
    found = results.load_results(request.session, event=event)
    form = None
    if found is not None and request.GET.get("add") == "1":
        # "Add another selfie" on the results page: this selfie adds to those results,
        # and keeps looking if they did.
        form = SelfieForm(initial={"add_to_results": True, "keep_looking": bool(found.live_vector)})
    return attendee_page(request, event, 200, form=form, results=found)


def attendee_page(
    request, event: Event, status: int, *, form=None, error: str = "", **extra
) -> HttpResponse:
    """The attendee page, with the form as sent and an error for the person, if any."""
    context = {
        "event": event,
        "form": form or SelfieForm(),
        "page_error": error,
        "capture_ticket": camera.new_ticket(event) if event.is_camera_selfie_required else "",
        **extra,
    }
    return private(render(request, "attendees/attendee.html", context, status=status))


@csrf_exempt  # checked once the selfie is read in memory (attendees.selfie_posts)
@require_POST
@limits.with_browser_id
def attendee_search(request, token):
    """A selfie search. Everything that can refuse it without reading the selfie comes
    first (unknown link, search turned off, declared size, the browser's limit); the
    body is read in memory only, then checked and searched (attendees.selfie_posts)."""
    event = event_for_token(token)
    if event is None:
        return unknown_link(request, token)
    if not event.is_face_search_enabled:
        return attendee_page(request, event, 403)

    def page(status, *, form=None, error=""):
        earlier = results.load_results(request.session, event=event)
        return attendee_page(request, event, status, form=form, error=error, results=earlier)

    try:
        form = selfie_posts.receive(
            request,
            event=event,
            make_form=lambda: SelfieForm(request.POST, request.FILES),
            page=page,
        )
        search = selfie_posts.search(
            request,
            event=event,
            form=form,
            page=page,
            work=lambda: api.search_by_selfie(
                fp=form.cleaned_data["selfie"],
                # The whole event: the album and date filters are the results page's,
                # where changing them costs no new search.
                filters=SearchFilters([event.pk]),
                refuse_event_faces=True,
            ),
        )
    except selfie_posts.Answered as answered:
        return answered.response
    keep_looking = form.cleaned_data.get("keep_looking", False)
    if form.cleaned_data.get("add_to_results"):
        added = results.add_second_selfie(
            request.session, event=event, search=search, keep_looking=keep_looking
        )
        if added is not None:
            messages.info(request, _second_selfie_message(added))
    else:
        results.save_results(request.session, event=event, search=search, keep_looking=keep_looking)
    # Post, redirect, get: the results have their own address, which a reload, the back
    # button or a reopened tab shows again without searching again.
    response = redirect("attendees:results", token=event.attendee_token)
    response.status_code = 303
    return private(response)


def _second_selfie_message(added: int) -> str:
    if not added:
        return _("This selfie found no other photos of you. Your photos are as they were.")
    return ngettext(
        "This selfie found %(count)d more photo of you: it is added to yours.",
        "This selfie found %(count)d more photos of you: they are added to yours.",
        added,
    ) % {"count": added}


def attendee_results(request, token):
    event = event_for_token(token)
    if event is None:
        return unknown_link(request, token)
    results.add_arrivals(request.session, event=event)  # "Keep looking" (live events)
    found = results.load_results(request.session, event=event)
    if found is None:
        if event.is_face_search_enabled:
            messages.info(
                request,
                _("Your earlier search has expired. Take or upload a selfie to search again."),
            )
        return redirect("attendees:attendee", token=token)
    return results_page(request, event, found)


def results_page(request, event: Event, found: results.StoredResults, **extra) -> HttpResponse:
    """The attendee's photos (a search's, or a registered attendee's), with the viewer,
    filters, questions and zip."""
    context = {**results_context(request, event, found), **extra}
    return private(render(request, "attendees/results.html", context))


def results_context(request, event: Event, found: results.StoredResults) -> dict:
    form = SearchFiltersForm(request.GET or None, events=[event])
    filters = form.filters([event.pk]) if form.is_valid() else SearchFilters([event.pk])
    shown = results.photos_shown(
        found, event=event, filters=filters, show_undated=request.GET.get("undated") == "1"
    )
    _mark_the_attendee(shown.photos, found)
    moments = [(photo.pk, photo.taken_at) for photo in shown.photos]
    return {
        "timeline": timeline_of(moments, link=lambda pk: f"#photo-{pk}"),
        "event": event,
        "filter_form": form,
        "filters_on": filters.album_id is not None or bool(filters.taken_from or filters.taken_to),
        "filters_described": _described(form) if form.is_valid() else "",
        "show_all_url": request.path,
        "shown": shown,
        "show_undated_url": _with_query(request, undated="1"),
        "sure": shown.photos,
        "questions": found.open_questions,
        "results": found,
        "live_poll_ms": settings.ATTENDEE_LIVE_POLL_SECONDS * 1000,
        # "Add another selfie": the selfie form with "add to my results" ticked.
        "add_selfie_url": reverse("attendees:attendee", args=[event.attendee_token])
        + "?add=1#selfie-form",
    }


def _described(form: SearchFiltersForm) -> str:
    """The filters in use, in words: "album “Party”, from 20 June 2026"."""
    data = form.cleaned_data
    parts = []
    if data.get("album"):
        parts.append(_("album “%(album)s”") % {"album": data["album"].title})
    start, end = data.get("taken_from"), data.get("taken_to")
    if start and end:
        parts.append(
            _("from %(start)s to %(end)s")
            % {"start": date_format(start, "j F Y"), "end": date_format(end, "j F Y")}
        )
    elif start:
        parts.append(_("from %(start)s") % {"start": date_format(start, "j F Y")})
    elif end:
        parts.append(_("until %(end)s") % {"end": date_format(end, "j F Y")})
    return ", ".join(parts)


def _with_query(request, **changes: str) -> str:
    query = request.GET.copy()
    for key, value in changes.items():
        query[key] = value
    return f"{request.path}?{query.urlencode()}"


def _mark_the_attendee(photos: list[Photo], found: results.StoredResults) -> None:
    """``photo.you``: where the attendee's face is, in percent of the photo, so that
    the thumbnail is cropped around it and the viewer can point it out."""
    face_ids = [found.face_in(photo.pk) for photo in photos]
    box_fields = ("id", "x", "y", "width", "height")
    faces = Face.objects.only(*box_fields).in_bulk([pk for pk in face_ids if pk])
    for photo, face_id in zip(photos, face_ids, strict=True):
        face = faces.get(face_id)
        photo.you = None
        if face is not None and photo.width and photo.height:
            box = face.box_percentages(photo)
            box["centre_x"] = round(box["left"] + box["width"] / 2, 1)
            box["centre_y"] = round(box["top"] + box["height"] / 2, 1)
            photo.you = box


def attendee_arrivals(request, token):
    """How many photos were processed since this browser's search: a live event's
    guest is told there is more to search (the selfie itself was not kept)."""
    event = event_for_token(token)
    found = event and results.load_results(request.session, event=event)
    if not found:
        return private(JsonResponse({"new_photos": 0, "searched": False}))
    count = results.photos_added_since_search(found, event=event)
    return private(JsonResponse({"new_photos": count, "searched": True}))


def attendee_photo(request, token, photo_id, kind):
    event = event_for_token(token)
    photo = event and results.matched_photo(request.session, event=event, photo_id=photo_id)
    if not photo:
        raise Http404("No such photo.")
    # no-store: "Forget my search" must not leave the photos in a shared phone's cache.
    return private(serve_attendee_file(photo, kind, as_download=request.GET.get("download") == "1"))


def attendee_question_face(request, token, face_id):
    """A small crop of the face an "Is this you?" question is about, not the photo."""
    event = event_for_token(token)
    face = event and results.question_face(request.session, event=event, face_id=face_id)
    if not face:
        raise Http404("No such face.")
    return private(HttpResponse(api.face_crop_jpeg(face), content_type="image/jpeg"))


@require_POST
def attendee_question_answer(request, token, face_id):
    """ "Yes, that's me" adds that person's photos; "No" takes them out."""
    event = event_for_token(token)
    if event is None:
        return unknown_link(request, token)
    is_me = request.POST.get("answer") == "yes"
    if results.answer_question(request.session, event=event, face_id=face_id, is_me=is_me):
        messages.success(
            request,
            _("Thanks: your photos were updated.")
            if is_me
            else _("Thanks: that face is not shown again."),
        )
    return redirect(reverse("attendees:results", args=[token]) + "#questions")


def attendee_download(request, token):
    event = event_for_token(token)
    found = event and results.load_results(request.session, event=event)
    if not found:
        raise Http404("No search results to download.")
    photos = Photo.objects.filter(pk__in=found.sure, event=event).order_by("taken_at", "id")
    return private(serve_zip(photos, f"{event.name}-my-photos", for_attendees=True))


@require_POST
def attendee_forget(request, token):
    event = event_for_token(token)
    if event is None:
        return unknown_link(request, token)
    results.forget_results(request.session, event=event)
    messages.success(request, _("Your search results were deleted from this browser."))
    response = redirect("attendees:attendee", token=token)
    # The photos this browser saw are not cached (no-store), but an older copy or a
    # browser that ignored it would be: ask it to drop this site's cache.
    response["Clear-Site-Data"] = '"cache"'
    return private(response)
