"""The organiser's camera accounts and live figures (on the event page)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import links
from core.http import private
from live import services, wall
from live.models import CameraAccount
from photos import access
from photos.media import serve_attendee_file


def _back(event) -> str:
    return f"{event.get_absolute_url()}#cameras"


@login_required
@require_POST
def camera_create(request, event_pk):
    event = access.event_for(request, event_pk)
    album = event.albums.filter(pk=request.POST.get("album") or 0).first()
    if album is None:
        messages.error(request, _("Choose the album the camera's photos go to."))
        return redirect(_back(event))
    account = services.create_account(album=album)
    messages.success(
        request,
        _("Camera account %(user)s created: type its settings into the camera.")
        % {"user": account.username},
    )
    return redirect(_back(event))


def _account_for(request, pk) -> CameraAccount:
    account = CameraAccount.objects.filter(pk=pk).first()
    if account is None:
        raise Http404("No such camera account.")
    access.event_for(request, account.event_id)  # 404 unless the event is theirs
    return account


@login_required
@require_POST
def camera_password(request, pk):
    account = services.new_password(account=_account_for(request, pk))
    messages.success(
        request,
        _("New password for %(user)s: the old one no longer works. Type it into the camera.")
        % {"user": account.username},
    )
    return redirect(_back(account.event))


@login_required
@require_POST
def camera_delete(request, pk):
    account = _account_for(request, pk)
    account.delete()
    messages.success(request, _("Camera account %(user)s deleted.") % {"user": account.username})
    return redirect(_back(account.event))


@login_required
def live_status(request, event_pk):
    """What arrived and what is processed, for the event page's live figures."""
    event = access.event_for(request, event_pk)
    response = JsonResponse(services.live_status(event).as_json())
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def wall_start(request, event_pk):
    event = access.event_for(request, event_pk)
    wall.start(event)
    messages.success(request, _("The live wall is on: open its address on the venue's screen."))
    return redirect(_back(event))


@login_required
@require_POST
def wall_stop(request, event_pk):
    event = access.event_for(request, event_pk)
    wall.stop(event)
    messages.success(request, _("The live wall is off: its address no longer shows photos."))
    return redirect(_back(event))


def wall_page(request, token):
    found = wall.wall_for_token(token)
    if found is None:
        return unknown_wall(request, token)
    context = {"event": found.event, "token": token}
    return private(render(request, "live/wall.html", context))


def wall_photos(request, token):
    found = wall.wall_for_token(token)
    if found is None:
        return private(JsonResponse({"photos": [], "stopped": True}, status=410))
    ids = wall.newest(found.event)
    urls = [reverse("live:wall_photo", args=[token, pk]) for pk in ids]
    return private(JsonResponse({"photos": urls, "stopped": False}))


def wall_photo(request, token, photo_id):
    found = wall.wall_for_token(token)
    photo = found and wall.showable(found.event).filter(pk=photo_id).first()
    if not photo:
        raise Http404("No such photo on this wall.")
    return private(serve_attendee_file(photo, "preview"))


def unknown_wall(request, token):
    stopped = links.was_revoked(token)
    response = render(
        request, "live/wall_stopped.html", {"stopped": stopped}, status=410 if stopped else 404
    )
    return private(response)
