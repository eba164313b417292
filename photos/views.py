import io
import mimetypes

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from photos import downloads, services
from photos.forms import AlbumForm, EventForm
from photos.metadata import MetadataError
from photos.models import Album, Event, Photo

MEDIA_KINDS = {"original": "file", "preview": "preview", "thumbnail": "thumbnail"}


def _event_for(request, pk) -> Event:
    return get_object_or_404(Event.objects.visible_to(request.user), pk=pk)


def _album_for(request, pk) -> Album:
    albums = Album.objects.filter(event__in=Event.objects.visible_to(request.user))
    return get_object_or_404(albums.select_related("event"), pk=pk)


def _photo_for(request, pk) -> Photo:
    return get_object_or_404(
        Photo.objects.visible_to(request.user).select_related("album", "event"), pk=pk
    )


@login_required
def dashboard(request):
    events = Event.objects.visible_to(request.user).with_counts().select_related("owner")
    return render(request, "photos/dashboard.html", {"events": events})


@login_required
def event_create(request):
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        event = services.create_event(owner=request.user, **form.cleaned_data)
        services.get_or_create_album(event=event, title="Photos")
        messages.success(request, f"Event “{event.name}” created.")
        return redirect(event)
    return render(request, "photos/event_form.html", {"form": form})


@login_required
def event_detail(request, pk):
    event = _event_for(request, pk)
    albums = event.albums.annotate(
        photo_count=Count("photos"), face_total=Sum("photos__face_count")
    )
    attendee_url = request.build_absolute_uri(
        reverse("faces:attendee", args=[event.attendee_token])
    )
    context = {
        "event": event,
        "albums": albums,
        "attendee_url": attendee_url,
        "album_form": AlbumForm(event=event),
    }
    return render(request, "photos/event_detail.html", context)


@login_required
def event_edit(request, pk):
    event = _event_for(request, pk)
    form = EventForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Event saved.")
        return redirect(event)
    return render(request, "photos/event_form.html", {"form": form, "event": event})


@login_required
def event_delete(request, pk):
    event = _event_for(request, pk)
    if request.method == "POST":
        services.delete_event(event=event)
        messages.success(request, f"Event “{event.name}” and all its photos were deleted.")
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
    event = _event_for(request, pk)
    url = request.build_absolute_uri(reverse("faces:attendee", args=[event.attendee_token]))
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
    event = services.regenerate_attendee_token(event=_event_for(request, pk))
    messages.success(request, "A new attendee link was issued; the old link no longer works.")
    return redirect(event)


@login_required
@require_POST
def album_create(request, pk):
    event = _event_for(request, pk)
    form = AlbumForm(request.POST, event=event)
    if form.is_valid():
        album = services.get_or_create_album(event=event, title=form.cleaned_data["title"])
        return redirect(album)
    messages.error(request, " ".join(form.errors.get("title", ["Invalid album title."])))
    return redirect(event)


@login_required
def album_detail(request, pk):
    album = _album_for(request, pk)
    context = {
        "album": album,
        "event": album.event,
        "photos": _album_page(request, album),
        "progress": services.album_progress(album=album),
        "max_upload_mb": settings.PHOTOS_MAX_UPLOAD_BYTES // (1024 * 1024),
        "max_files": settings.PHOTOS_MAX_FILES_PER_REQUEST,
    }
    return render(request, "photos/album_detail.html", context)


GALLERY_PAGE_SIZE = 120


def _album_page(request, album: Album):
    """One page of the album's photos by time taken (a wedding can have thousands)."""
    # album_id too: the related manager sets photo.album from it (one query per photo
    # if it is deferred).
    photos = album.photos.order_by("taken_at", "id").only(
        "id", "album_id", "original_filename", "thumbnail", "face_count", "faces_status", "taken_at"
    )
    return Paginator(photos, GALLERY_PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def album_grid(request, pk):
    album = _album_for(request, pk)
    return render(request, "photos/_photo_grid.html", {"photos": _album_page(request, album)})


@login_required
def album_progress(request, pk):
    return JsonResponse(services.album_progress(album=_album_for(request, pk)))


@login_required
@require_POST
def album_upload(request, pk):
    album = _album_for(request, pk)
    files = request.FILES.getlist("files")
    if not files:
        return JsonResponse({"error": "No file was sent."}, status=400)
    if len(files) > settings.PHOTOS_MAX_FILES_PER_REQUEST:
        return JsonResponse(
            {"error": f"At most {settings.PHOTOS_MAX_FILES_PER_REQUEST} files per request."},
            status=400,
        )
    results = []
    for upload in files:
        results += services.upload_file(album=album, fp=upload, name=upload.name)
    return JsonResponse({"results": [result.as_dict() for result in results]})


@login_required
@require_POST
def album_retry_failed(request, pk):
    album = _album_for(request, pk)
    failed = album.photos.filter(faces_status=Photo.Status.FAILED)
    count = services.request_processing(photos=failed)
    messages.success(request, f"{count} failed photos queued again.")
    return redirect(album)


@login_required
def album_delete(request, pk):
    album = _album_for(request, pk)
    if request.method == "POST":
        services.delete_album(album=album)
        messages.success(request, f"Album “{album.title}” and its photos were deleted.")
        return redirect(album.event)
    return render(
        request,
        "photos/confirm_delete.html",
        {
            "object": album,
            "kind": "album",
            "photo_count": album.photos.count(),
            "cancel_url": album.get_absolute_url(),
        },
    )


@login_required
def photo_detail(request, pk):
    photo = _photo_for(request, pk)
    # The photo's faces through its reverse relation: drawn and listed by the faces
    # app's template part (templates/faces/_photo_faces.html).
    faces = photo.faces.select_related("grouping").defer("embedding").order_by("x")
    boxes = [{"face": face, **face.box_percentages(photo)} for face in faces]
    return render(request, "photos/photo_detail.html", {"photo": photo, "boxes": boxes})


@login_required
@require_POST
def photo_retry(request, pk):
    photo = _photo_for(request, pk)
    services.request_processing(photos=[photo])
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"queued": photo.pk})
    messages.success(request, "The photo was queued for processing again.")
    return redirect(photo)


@login_required
@require_POST
def photo_delete(request, pk):
    photo = _photo_for(request, pk)
    services.delete_photos(photos=[photo])
    messages.success(request, f"Photo “{photo.original_filename}” deleted.")
    return redirect(photo.album)


# Moderators (staff with the "view photo" permission) review faces on previews of
# every event; originals stay with the organiser and those who manage all events.
MODERATION_KINDS = {"preview", "thumbnail"}


@login_required
def photo_media(request, pk, kind):
    photos = Photo.objects.visible_to(request.user)
    if kind in MODERATION_KINDS and request.user.has_perm("photos.view_photo"):
        photos = Photo.objects.all()
    return serve_photo_file(get_object_or_404(photos, pk=pk), kind)


def serve_photo_file(photo: Photo, kind: str, *, as_download: bool = False) -> FileResponse:
    """Stream one of a photo's files; callers have already checked permission."""
    field = getattr(photo, MEDIA_KINDS.get(kind, ""), None)
    if not field or not field.name:
        raise Http404("No such file.")
    try:
        handle = field.storage.open(field.name, "rb")
    except FileNotFoundError:
        raise Http404("No such file.")
    filename = photo.original_filename.rsplit("/", 1)[-1] if kind == "original" else None
    content_type = mimetypes.guess_type(field.name)[0] or "application/octet-stream"
    response = FileResponse(
        handle, content_type=content_type, as_attachment=as_download, filename=filename
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def serve_attendee_file(photo: Photo, kind: str, *, as_download: bool = False):
    """Like serve_photo_file, but the original comes without private metadata.

    Callers have already checked permission. Thumbnails and previews are served as
    they are: they are JPEGs made by make_renditions, which carry no metadata.
    """
    if kind != "original":
        return serve_photo_file(photo, kind, as_download=as_download)
    try:
        copy = downloads.open_attendee_copy(photo=photo)
    except FileNotFoundError:
        raise Http404("No such file.")
    except MetadataError:
        return HttpResponse(
            "This photo cannot be downloaded: it could not be prepared safely. "
            "Please ask the organiser for it.",
            status=500,
            content_type="text/plain; charset=utf-8",
        )
    response = StreamingHttpResponse(copy.chunks, content_type=copy.content_type)
    response["Content-Disposition"] = content_disposition_header(as_download, copy.filename)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
