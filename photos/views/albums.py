"""Albums: the gallery, uploads with live progress, retries, delete."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from photos import access, direct_uploads, extensions, services
from photos.forms import AlbumForm, UploadForm
from photos.media import serve_zip
from photos.models import CAPTURE_ORDER, Album, Photo
from photos.timeline import timeline_of
from photos.views import events


@login_required
@require_POST
def album_create(request, pk):
    event = access.event_for(request, pk)
    form = AlbumForm(request.POST, event=event)
    if form.is_valid():
        album = services.get_or_create_album(event=event, title=form.cleaned_data["title"])
        return redirect(album)
    return events.event_page(request, event, album_form=form, status=400)


@login_required
def album_detail(request, pk):
    album = access.album_for(request, pk)
    progress = services.album_progress(album=album)
    context = {
        "album": album,
        "event": album.event,
        "photos": _album_page(request, album),
        "timeline": _album_timeline(album),
        "progress": progress,
        # What other apps count in the album's photos (faces found...), with labels.
        "figures": [
            {"name": count.name, "label": count.label, "value": progress["counts"][count.name]}
            for count in extensions.counts()
        ],
        "max_upload_mb": settings.PHOTOS_MAX_UPLOAD_BYTES // (1024 * 1024),
        "max_files": settings.PHOTOS_MAX_FILES_PER_REQUEST,
        "chunk_bytes": settings.PHOTOS_UPLOAD_CHUNK_BYTES,
        "max_zip_gb": round(settings.PHOTOS_MAX_ZIP_BYTES / 1024**3, 1),
    }
    response = render(request, "photos/album_detail.html", context)
    if direct_uploads.is_enabled():
        # The page PUTs big files to the bucket itself: its origin joins connect-src.
        response["Content-Security-Policy"] = direct_uploads.policy_allowing_bucket(
            settings.CONTENT_SECURITY_POLICY
        )
    return response


GALLERY_PAGE_SIZE = 120


def _album_page(request, album: Album):
    """One page of the album's photos by time taken (a wedding can have thousands)."""
    # album_id too: the related manager sets photo.album from it (one query per photo
    # if it is deferred).
    photos = album.photos.order_by(*CAPTURE_ORDER).only(
        "id", "album_id", "original_filename", "thumbnail", "processing_status", "taken_at"
    )
    page = Paginator(photos, GALLERY_PAGE_SIZE).get_page(request.GET.get("page"))
    extensions.note_photos(page.object_list)  # "3 faces" on each processed photo
    return page


def _album_timeline(album: Album):
    """The album's timeline, each bar leading to its first photo's page of the grid."""
    rows = list(album.photos.order_by(*CAPTURE_ORDER).values_list("id", "taken_at"))
    pages = {pk: index // GALLERY_PAGE_SIZE + 1 for index, (pk, _) in enumerate(rows)}
    return timeline_of(rows, link=lambda pk: f"?page={pages[pk]}#photo-{pk}")


@login_required
def album_grid(request, pk):
    album = access.album_for(request, pk)
    return render(request, "photos/_photo_grid.html", {"photos": _album_page(request, album)})


@login_required
def album_progress(request, pk):
    return JsonResponse(services.album_progress(album=access.album_for(request, pk)))


@login_required
@require_POST
def album_upload(request, pk):
    album = access.album_for(request, pk)
    form = UploadForm(files=request.FILES)
    if not form.is_valid():
        return JsonResponse({"error": form.error_text()}, status=400)
    results = []
    for upload in form.cleaned_data["files"]:
        results += services.add_file(album=album, fp=upload, name=upload.name)
    return JsonResponse({"results": [result.as_dict() for result in results]})


@login_required
@require_POST
def album_retry_failed(request, pk):
    album = access.album_for(request, pk)
    failed = album.photos.filter(processing_status=Photo.Status.FAILED)
    count = services.request_processing(photos=failed)
    messages.success(
        request,
        ngettext(
            "%(count)s failed photo queued again.", "%(count)s failed photos queued again.", count
        )
        % {"count": count},
    )
    return redirect(album)


@login_required
def album_delete(request, pk):
    album = access.album_for(request, pk)
    if request.method == "POST":
        services.delete_album(album=album)
        messages.success(
            request,
            gettext("Album “%(title)s” and its photos were deleted.") % {"title": album.title},
        )
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
def album_download(request, pk):
    """Every photo of the album as one zip, each file exactly as it was uploaded."""
    album = access.album_for(request, pk)
    photos = album.photos.order_by("taken_at", "pk")
    return serve_zip(photos, f"{album.event.slug}-{album.title}")
