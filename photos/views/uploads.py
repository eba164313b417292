"""Resumable uploads of big files, piece by piece (photos.chunked)."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from photos import access, chunked, services
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
    return JsonResponse({"token": upload.token, "received": 0}, status=201)


@login_required
@require_http_methods(["GET", "POST"])
def chunked_piece(request, token):
    """GET: how much has arrived. POST: the piece at ``Upload-Offset``; the last piece
    completes the file and answers the upload's results, as a plain upload does."""
    upload = get_object_or_404(ChunkedUpload.objects.select_related("album"), token=token)
    access.album_for(request, upload.album_id)  # 404 unless the album is theirs
    if upload.owner_id != request.user.pk:
        return JsonResponse(
            {"error": gettext("This upload was started by someone else.")}, status=404
        )
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
        handle=lambda fp, name: services.upload_file(album=upload.album, fp=fp, name=name),
    )
    return JsonResponse({"received": received, "results": [result.as_dict() for result in results]})
