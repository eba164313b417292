"""Serving a photo's files. There is no public media URL: every file goes through a view
that has checked who is asking (photos/views/photos.py for organisers,
faces/views/attendee.py for attendees) and then calls these."""

import mimetypes

from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.text import slugify

from photos import downloads, zips
from photos.metadata import MetadataError
from photos.models import Photo

MEDIA_KINDS = {"original": "file", "preview": "preview", "thumbnail": "thumbnail"}


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


def serve_zip(
    photos, name: str, *, for_attendees: bool = False, album_folders: bool = False
) -> StreamingHttpResponse:
    """``photos`` (a queryset) as one streamed zip named after ``name``: the originals
    as uploaded, or, ``for_attendees``, copies without private metadata. Never cached."""
    open_copy = downloads.open_attendee_copy if for_attendees else zips.open_original
    if album_folders:
        photos = photos.select_related("album")
    stream = zips.stream_zip(photos.iterator(), open_copy=open_copy, album_folders=album_folders)
    response = StreamingHttpResponse(stream, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{slugify(name) or "photos"}.zip"'
    response["Cache-Control"] = "private, no-store"
    return response
