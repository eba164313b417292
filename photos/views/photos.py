"""One photo: its page, its files, processing it again, deleting it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from photos import access, extensions, services
from photos.media import serve_photo_file
from photos.models import Photo


@login_required
def photo_detail(request, pk):
    photo = access.photo_for(request, pk)
    extensions.note_photos([photo])  # other apps' parts come through photos.extensions
    context = {"photo": photo, "place": services.place_in_album(photo)}
    return render(request, "photos/photo_detail.html", context)


@login_required
@require_POST
def photo_retry(request, pk):
    photo = access.photo_for(request, pk)
    services.request_processing(photos=[photo])
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"queued": photo.pk})
    messages.success(request, gettext("The photo was queued for processing again."))
    return redirect(photo)


@login_required
@require_POST
def photo_delete(request, pk):
    photo = access.photo_for(request, pk)
    services.delete_photos(photos=[photo])
    messages.success(
        request, gettext("Photo “%(name)s” deleted.") % {"name": photo.original_filename}
    )
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
