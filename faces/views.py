import base64

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from faces import attendees, moderation, ratelimit, services
from faces.forms import OrganiserSearchForm, SearchFiltersForm, SelfieForm
from faces.models import Face
from photos.models import Event, Photo
from photos.views import serve_photo_file


def _event_for_token(token: str) -> Event | None:
    # Tokens are 43 characters of a 256-bit secret: anything shorter is not one.
    if len(token) < 32:
        return None
    return Event.objects.filter(attendee_token=token).first()


def _unknown_link(request):
    response = render(request, "faces/attendee_unknown.html", status=404)
    response["X-Robots-Tag"] = "noindex"
    return response


def _private(response):
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def attendee(request, token):
    """The event's page for attendees, reached only through its secret link."""
    event = _event_for_token(token)
    if event is None:
        return _unknown_link(request)
    form = SelfieForm(events=[event])
    results = attendees.load_results(request.session, event=event)
    return _private(
        render(request, "faces/attendee.html", {"event": event, "form": form, "results": results})
    )


@require_POST
def attendee_search(request, token):
    event = _event_for_token(token)
    if event is None:
        return _unknown_link(request)
    if not event.is_face_search_enabled:
        return _private(render(request, "faces/attendee.html", {"event": event}, status=403))
    form = SelfieForm(request.POST, request.FILES, events=[event])
    context = {"event": event, "form": form}
    if not form.is_valid():
        return _private(render(request, "faces/attendee.html", context, status=400))
    if not _within_rate_limits(request, event):
        form.add_error(
            None,
            "Too many searches from here in a short time. Please wait a few minutes and try again.",
        )
        return _private(render(request, "faces/attendee.html", context, status=429))
    try:
        search = services.search_by_selfie(
            fp=form.cleaned_data["selfie"], filters=form.filters([event.pk])
        )
    except services.SelfieError as error:
        form.add_error("selfie", str(error))
        return _private(render(request, "faces/attendee.html", context, status=400))
    results = attendees.save_results(request.session, event=event, search=search)
    context = _results_context(request, event, results)
    context["selfie_preview"] = base64.b64encode(search.selfie.preview_jpeg).decode()
    context["selfie_face_count"] = search.selfie.face_count
    return _private(render(request, "faces/results.html", context))


def _within_rate_limits(request, event: Event) -> bool:
    window = settings.ATTENDEE_RATE_WINDOW_SECONDS
    per_client = ratelimit.allow(
        "selfie-client",
        ratelimit.client_key(request),
        limit=settings.ATTENDEE_SEARCHES_PER_CLIENT,
        window_seconds=window,
    )
    per_event = ratelimit.allow(
        "selfie-event",
        str(event.pk),
        limit=settings.ATTENDEE_SEARCHES_PER_EVENT,
        window_seconds=window,
    )
    return per_client and per_event


def attendee_results(request, token):
    event = _event_for_token(token)
    if event is None:
        return _unknown_link(request)
    results = attendees.load_results(request.session, event=event)
    if results is None:
        messages.info(
            request, "Your earlier search has expired. Take or upload a selfie to search again."
        )
        return redirect("faces:attendee", token=token)
    return _private(
        render(request, "faces/results.html", _results_context(request, event, results))
    )


def _results_context(request, event: Event, results: attendees.StoredResults) -> dict:
    form = SearchFiltersForm(request.GET or None, events=[event])
    photos = Photo.objects.filter(pk__in=results.photo_ids, event=event).select_related("album")
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
    return {
        "event": event,
        "filter_form": form,
        "sure": [by_id[i] for i in results.sure if i in by_id],
        "maybe": [by_id[i] for i in results.maybe if i in by_id],
        "results": results,
    }


def attendee_photo(request, token, photo_id, kind):
    event = _event_for_token(token)
    photo = event and attendees.matched_photo(request.session, event=event, photo_id=photo_id)
    if not photo:
        raise Http404("No such photo.")
    return serve_photo_file(photo, kind, as_download=request.GET.get("download") == "1")


def attendee_download(request, token):
    event = _event_for_token(token)
    results = event and attendees.load_results(request.session, event=event)
    if not results:
        raise Http404("No search results to download.")
    ids = results.photo_ids if request.GET.get("include") == "maybe" else results.sure
    photos = Photo.objects.filter(pk__in=ids, event=event).order_by("taken_at", "id")
    response = StreamingHttpResponse(
        attendees.stream_zip(photos.iterator()), content_type="application/zip"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{slugify(event.name) or "photos"}-my-photos.zip"'
    )
    return _private(response)


@require_POST
def attendee_forget(request, token):
    event = _event_for_token(token)
    if event is None:
        return _unknown_link(request)
    attendees.forget_results(request.session, event=event)
    messages.success(request, "Your search results were deleted from this browser.")
    return redirect("faces:attendee", token=token)


@login_required
def organiser_search(request):
    """Search across the organiser's events (staff: every event) with a photo of someone."""
    events = Event.objects.visible_to(request.user).order_by("-starts_on", "name")
    form = OrganiserSearchForm(request.POST or None, request.FILES or None, events=events)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            search = services.search_by_selfie(
                fp=form.cleaned_data["selfie"], filters=form.filters(form.event_ids(request.user))
            )
        except services.SelfieError as error:
            form.add_error("selfie", str(error))
            return render(request, "faces/organiser_search.html", context, status=400)
        photos = Photo.objects.in_bulk([m.photo_id for m in search.sure + search.maybe])
        context.update(
            sure=[(photos[m.photo_id], m.distance) for m in search.sure],
            maybe=[(photos[m.photo_id], m.distance) for m in search.maybe],
            searched=True,
            selfie_preview=base64.b64encode(search.selfie.preview_jpeg).decode(),
        )
    return render(request, "faces/organiser_search.html", context)


def _faces_for(user):
    return Face.objects.filter(event__in=Event.objects.visible_to(user))


@login_required
def face_crop(request, pk):
    """A face's crop for moderation screens: staff, or the event's organiser."""
    face = get_object_or_404(
        _faces_for(request.user).select_related("photo").defer("embedding"), pk=pk
    )
    response = HttpResponse(moderation.face_crop_jpeg(face), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_POST
def face_moderate(request, pk, action):
    """Organisers hide or restore a face on their photo page (they know their guests)."""
    faces = _faces_for(request.user).filter(pk=pk)
    face = get_object_or_404(faces.only("id", "photo_id"))
    if action == "hide":
        moderation.hide_faces(faces=faces, user=request.user)
        messages.success(request, "The face was hidden: it no longer matches any search.")
    elif action == "restore":
        moderation.restore_faces(faces=faces, user=request.user)
        messages.success(request, "The face was restored.")
    else:
        raise Http404("Unknown action.")
    return redirect("photos:photo_detail", pk=face.photo_id)
