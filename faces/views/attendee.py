"""The attendee pages, reached only through an event's secret link (/e/<token>/...)."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from faces import attendees, camera, limits, moderation, selfies, uploads
from faces.forms import SearchFiltersForm, SelfieForm
from faces.models import Face
from photos.images import ImageError
from photos.media import serve_attendee_file, serve_zip
from photos.models import Event, Photo


def event_for_token(token: str) -> Event | None:
    # Tokens are 43 characters of a 256-bit secret: anything shorter is not one.
    if len(token) < 32:
        return None
    return Event.objects.filter(attendee_token=token).first()


def unknown_link(request):
    """The page for an unknown, replaced or revoked link (attendee or share link)."""
    response = render(request, "faces/attendee_unknown.html", status=404)
    response["X-Robots-Tag"] = "noindex"
    return response


def private(response):
    """No cache, no index: for pages and files reached through a secret link."""
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@limits.with_browser_id
def attendee(request, token):
    """The event's page for attendees, reached only through its secret link."""
    event = event_for_token(token)
    if event is None:
        return unknown_link(request)
    results = attendees.load_results(request.session, event=event)
    return _attendee_page(request, event, 200, results=results)


def _attendee_page(request, event: Event, status: int, *, form=None, error: str = "", **extra):
    """The attendee page, with the form as sent and an error for the person, if any."""
    context = {
        "event": event,
        "form": form or SelfieForm(events=[event]),
        "page_error": error,
        "capture_ticket": camera.new_ticket(event) if event.is_camera_selfie_required else "",
        **extra,
    }
    return private(render(request, "faces/attendee.html", context, status=status))


@csrf_exempt  # checked below, once the upload handler is in place (faces/uploads.py)
@require_POST
@limits.with_browser_id
def attendee_search(request, token):
    """Everything that can refuse a search without reading the selfie comes first:
    unknown link, search turned off, declared size, rate limits (failed searches count
    too). Only then is the body read, in memory, through the selfie upload handler."""
    event = event_for_token(token)
    if event is None:
        return unknown_link(request)
    if not event.is_face_search_enabled:
        return _attendee_page(request, event, 403)
    refused = refuse_unread_selfie(
        request, event, lambda status, error: _attendee_page(request, event, status, error=error)
    )
    if refused is not None:
        return refused
    handler = uploads.use_selfie_upload_handler(request)
    return _search_with_selfie(request, event, handler)


def refuse_unread_selfie(request, event: Event, page) -> HttpResponse | None:
    """The refusals a selfie upload gets before its body is read: a declared size over
    the limit, or the browser's own rate limit (failed searches count too; nothing
    shared is counted before CSRF and a readable image: faces.limits).
    ``page(status, error)`` renders the answer; None when the selfie may be read."""
    if uploads.declared_too_large(request):
        return page(413, uploads.too_large_message())
    refusal = limits.count_attempt(request)
    return None if refusal is None else refused_page(page, refusal)


def refused_page(page, refusal: limits.Refusal) -> HttpResponse:
    response = page(refusal.status, refusal.message)
    response["Retry-After"] = str(refusal.retry_after)
    return response


def busy_page(page, error: Exception) -> HttpResponse:
    """Too many selfies at once (this process, or this event under pressure), or the
    event's face model cannot be loaded: come back later (503, Retry-After)."""
    response = page(503, str(error))
    response["Retry-After"] = "60"
    return response


@csrf_protect
def _search_with_selfie(request, event: Event, handler: uploads.SelfieUploadHandler):
    form = SelfieForm(request.POST, request.FILES, events=[event])
    if handler.too_large:
        return _attendee_page(request, event, 413, error=uploads.too_large_message())
    if not form.is_valid():
        return _attendee_page(request, event, 400, form=form)
    if event.is_camera_selfie_required and not camera.use_ticket(
        request.POST.get("capture_ticket", ""), event
    ):
        return _attendee_page(request, event, 400, form=form, error=camera.MESSAGE)
    def page(status, error):
        return _attendee_page(request, event, status, form=form, error=error)

    try:
        with limits.admitted(request, event=event, selfie=form.cleaned_data["selfie"]):
            search = selfies.search_by_selfie(
                fp=form.cleaned_data["selfie"],
                filters=form.filters([event.pk]),
                refuse_event_faces=True,
            )
    except (selfies.SelfieError, ImageError) as error:
        form.add_error("selfie", str(error))
        return _attendee_page(request, event, 400, form=form)
    except limits.Refused as refused:
        return refused_page(page, refused.refusal)
    except (selfies.SelfieBusy, selfies.SearchUnavailable) as error:
        return busy_page(page, error)
    attendees.save_results(request.session, event=event, search=search)
    # Post, redirect, get: the results have their own address, which a reload, the back
    # button or a reopened tab shows again without searching again.
    response = redirect("faces:attendee_results", token=event.attendee_token)
    response.status_code = 303
    return private(response)


def attendee_results(request, token):
    event = event_for_token(token)
    if event is None:
        return unknown_link(request)
    results = attendees.load_results(request.session, event=event)
    if results is None:
        if event.is_face_search_enabled:
            messages.info(
                request,
                _("Your earlier search has expired. Take or upload a selfie to search again."),
            )
        return redirect("faces:attendee", token=token)
    return private(render(request, "faces/results.html", results_context(request, event, results)))


def results_context(request, event: Event, results: attendees.StoredResults) -> dict:
    form = SearchFiltersForm(request.GET or None, events=[event])
    photos = Photo.objects.filter(pk__in=results.sure, event=event).select_related("album")
    if form.is_valid():
        filters = form.filters([event.pk])
        if filters.album_id:
            photos = photos.filter(album_id=filters.album_id)
        if filters.taken_from:
            photos = photos.filter(taken_at__gte=filters.taken_from)
        if filters.taken_to:
            photos = photos.filter(taken_at__lte=filters.taken_to)
    by_id = {
        photo.pk: photo
        for photo in photos.only(
            "id", "album__title", "taken_at", "width", "height", "original_filename"
        )
    }
    sure = [by_id[i] for i in results.sure if i in by_id]
    _mark_the_attendee(sure, results)
    return {
        "event": event,
        "filter_form": form,
        "sure": sure,
        "questions": results.open_questions,
        "results": results,
    }


def _mark_the_attendee(photos: list[Photo], results: attendees.StoredResults) -> None:
    """``photo.you``: where the attendee's face is, in percent of the photo, so that
    the thumbnail is cropped around it and the viewer can point it out."""
    face_ids = [results.faces.get(str(photo.pk)) for photo in photos]
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


def attendee_photo(request, token, photo_id, kind):
    event = event_for_token(token)
    photo = event and attendees.matched_photo(request.session, event=event, photo_id=photo_id)
    if not photo:
        raise Http404("No such photo.")
    # no-store: "Forget my search" must not leave the photos in a shared phone's cache.
    return private(serve_attendee_file(photo, kind, as_download=request.GET.get("download") == "1"))


def attendee_question_face(request, token, face_id):
    """A small crop of the face an "Is this you?" question is about, not the photo."""
    event = event_for_token(token)
    face = event and attendees.question_face(request.session, event=event, face_id=face_id)
    if not face:
        raise Http404("No such face.")
    return private(HttpResponse(moderation.face_crop_jpeg(face), content_type="image/jpeg"))


@require_POST
def attendee_question_answer(request, token, face_id):
    """ "Yes, that's me" adds that person's photos; "No" takes them out."""
    event = event_for_token(token)
    if event is None:
        return unknown_link(request)
    is_me = request.POST.get("answer") == "yes"
    if attendees.answer_question(request.session, event=event, face_id=face_id, is_me=is_me):
        messages.success(
            request,
            _("Thanks: your photos were updated.")
            if is_me
            else _("Thanks: that face is not shown again."),
        )
    return redirect(reverse("faces:attendee_results", args=[token]) + "#questions")


def attendee_download(request, token):
    event = event_for_token(token)
    results = event and attendees.load_results(request.session, event=event)
    if not results:
        raise Http404("No search results to download.")
    photos = Photo.objects.filter(pk__in=results.sure, event=event).order_by("taken_at", "id")
    return private(serve_zip(photos, f"{event.name}-my-photos", for_attendees=True))


@require_POST
def attendee_forget(request, token):
    event = event_for_token(token)
    if event is None:
        return unknown_link(request)
    attendees.forget_results(request.session, event=event)
    messages.success(request, _("Your search results were deleted from this browser."))
    response = redirect("faces:attendee", token=token)
    # The photos this browser saw are not cached (no-store), but an older copy or a
    # browser that ignored it would be: ask it to drop this site's cache.
    response["Clear-Site-Data"] = '"cache"'
    return private(response)
