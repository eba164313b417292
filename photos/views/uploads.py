"""Resumable uploads of big files, piece by piece (photos.chunked), to this server's
disk or, with S3 storage, straight to the bucket (photos.direct_uploads)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from photos import access, chunked, direct_uploads, services
from photos.models import ChunkedUpload


@login_required
@require_POST
def chunked_start(request, pk):
    """Declare a file (name, size) that will come in pieces; answers its address."""
    album = access.album_for(request, pk)
    try:
        size = int(request.POST.get("size", ""))
    except ValueError:
        return JsonResponse({"error": gettext("The file's size is missing.")}, status=400)
    name = request.POST.get("name", "").strip() or "upload"
    try:
        upload = chunked.start(album=album, owner=request.user, name=name, size=size)
    except chunked.ChunkError as error:
        return JsonResponse({"error": str(error)}, status=400)
    except direct_uploads.DirectUploadError as error:
        return JsonResponse({"error": str(error)}, status=503)
    answer = {"token": upload.token, "received": 0, "mode": "disk"}
    if upload.is_direct:
        answer.update(mode="s3", part_size=direct_uploads.part_size(upload.size), parts=[])
    return JsonResponse(answer, status=201)


class NotTheirs(Exception):
    pass


def _own_upload(request, token, *, direct: bool = False) -> ChunkedUpload:
    """The upload, if it is the user's and in one of their albums (else 404);
    ``direct``: one going straight to the bucket (else 404)."""
    upload = get_object_or_404(ChunkedUpload.objects.select_related("album"), token=token)
    access.album_for(request, upload.album_id)  # 404 unless the album is theirs
    if upload.owner_id != request.user.pk:
        raise NotTheirs
    if direct and not upload.is_direct:
        raise Http404("This upload comes through the server.")
    return upload


def _not_theirs() -> JsonResponse:
    return JsonResponse({"error": gettext("This upload was started by someone else.")}, status=404)


@login_required
@require_http_methods(["GET", "POST"])
def chunked_piece(request, token):
    """GET: how much has arrived. POST: the piece at ``Upload-Offset``; the last piece
    completes the file and answers the upload's results, as a plain upload does."""
    try:
        upload = _own_upload(request, token)
    except NotTheirs:
        return _not_theirs()
    if request.method == "GET" and upload.is_direct:
        try:
            return JsonResponse(direct_uploads.status(upload))
        except direct_uploads.DirectUploadError as error:
            return JsonResponse({"error": str(error)}, status=410)
    if request.method == "GET":
        return JsonResponse({"received": upload.received, "size": upload.size})
    try:
        offset = int(request.headers.get("Upload-Offset", ""))
        length = int(request.headers.get("Content-Length", ""))
    except ValueError:
        return JsonResponse(
            {"error": gettext("Upload-Offset and Content-Length are needed.")}, status=400
        )
    try:
        # The body is read as a stream, never whole (request.body would hold it).
        received = chunked.append(upload=upload, offset=offset, stream=request, length=length)
    except chunked.OffsetMismatch as error:
        return JsonResponse({"error": str(error), "received": error.received}, status=409)
    except chunked.ChunkError as error:
        return JsonResponse({"error": str(error)}, status=400)
    upload.received = received
    if not chunked.is_complete(upload):
        return JsonResponse({"received": received})
    results = chunked.finish(
        upload=upload,
        handle=lambda fp, name: services.add_file(album=upload.album, fp=fp, name=name),
    )
    return JsonResponse({"received": received, "results": [result.as_dict() for result in results]})


@login_required
@require_POST
def direct_part(request, token, number):
    """S3: a short-lived URL to PUT part ``number`` of the file to the bucket."""
    try:
        upload = _own_upload(request, token, direct=True)
    except NotTheirs:
        return _not_theirs()
    try:
        return JsonResponse({"url": direct_uploads.presign_part(upload, number)})
    except direct_uploads.DirectUploadError as error:
        return JsonResponse({"error": str(error)}, status=400)


@login_required
@require_POST
def direct_complete(request, token):
    """S3: every part is in the bucket; the file is added as an upload would be (409
    with the missing parts when some are not there)."""
    try:
        upload = _own_upload(request, token, direct=True)
    except NotTheirs:
        return _not_theirs()
    try:
        results = chunked.finish_direct(upload=upload)
    except direct_uploads.MissingParts as error:
        return JsonResponse({"error": str(error), "missing": error.missing}, status=409)
    except direct_uploads.SizeMismatch as error:
        return JsonResponse({"error": str(error)}, status=400)
    except direct_uploads.DirectUploadError as error:
        return JsonResponse({"error": str(error)}, status=503)
    return JsonResponse({"results": [result.as_dict() for result in results]})


@login_required
@require_POST
def chunked_cancel(request, token):
    """The page gave up the file: what arrived is deleted (S3: the upload is aborted)."""
    try:
        chunked.cancel(_own_upload(request, token))
    except NotTheirs:
        return _not_theirs()
    return JsonResponse({"cancelled": True})
