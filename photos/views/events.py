"""Events: the dashboard, create, edit, delete, the attendee link and its QR code."""

import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_POST

from photos import access, extensions, services
from photos.forms import AlbumForm, EventForm
from photos.media import serve_zip
from photos.models import Event


@login_required
def dashboard(request):
    events = Event.objects.visible_to(request.user).with_counts().select_related("owner")
    return render(request, "photos/dashboard.html", {"events": events})


@login_required
def event_create(request):
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        event = services.create_event(
            owner=request.user, language=get_language() or "", **form.cleaned_data
        )
        services.get_or_create_album(event=event)
        messages.success(request, gettext("Event “%(name)s” created.") % {"name": event.name})
        return redirect(event)
    return render(request, "photos/event_form.html", {"form": form})


@login_required
def event_detail(request, pk):
    return event_page(request, access.event_for(request, pk))


def event_page(request, event, *, album_form: AlbumForm | None = None, status: int = 200):
    """The event's page; a refused form of it (a new album's title) comes back with its
    error under its field and what was typed still there (``album_form``, 400)."""
    albums = list(event.albums.annotate(photo_count=Count("photos")))
    for album in albums:  # what other apps count in them (faces found...)
        album.counts = extensions.counts_of(album.photos.all())
    attendee_url = request.build_absolute_uri(
        reverse("attendees:attendee", args=[event.attendee_token])
    )
    context = {
        "event": event,
        "albums": albums,
        # "Upload photos" goes to the newest album: where the organiser last added one.
        "upload_album": max(albums, key=lambda album: album.created_at, default=None),
        "attendee_url": attendee_url,
        "album_form": album_form or AlbumForm(event=event),
    }
    return render(request, "photos/event_detail.html", context, status=status)


@login_required
def event_edit(request, pk):
    event = access.event_for(request, pk)
    form = EventForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, gettext("Event saved."))
        return redirect(event)
    return render(request, "photos/event_form.html", {"form": form, "event": event})


@login_required
def event_delete(request, pk):
    event = access.event_for(request, pk)
    if request.method == "POST":
        services.delete_event(event=event)
        messages.success(
            request,
            gettext("Event “%(name)s” and all its photos were deleted.") % {"name": event.name},
        )
        return redirect("photos:dashboard")
    return render(
        request,
        "photos/confirm_delete.html",
        {
            "object": event,
            "kind": "event",
            "photo_count": event.photos.count(),
            "cancel_url": event.get_absolute_url(),
        },
    )


@login_required
def event_qr(request, pk):
    event = access.event_for(request, pk)
    url = request.build_absolute_uri(reverse("attendees:attendee", args=[event.attendee_token]))
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    data = io.BytesIO()
    image.save(data)
    response = HttpResponse(data.getvalue(), content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="{event.slug}-qr.svg"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def event_token_regenerate(request, pk):
    event = services.regenerate_attendee_token(event=access.event_for(request, pk))
    messages.success(
        request, gettext("A new attendee link was issued; the old link no longer works.")
    )
    return redirect(event)


@login_required
def event_download(request, pk):
    """Every photo of the event as one zip, a folder per album, as uploaded."""
    event = access.event_for(request, pk)
    photos = event.photos.order_by("album__title", "taken_at", "pk")
    return serve_zip(photos, event.slug, album_folders=True)
