"""The organiser's camera accounts and live figures (on the event page)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from live import services
from live.models import CameraAccount
from photos import access


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
    services.delete_account(account=account)
    messages.success(request, _("Camera account %(user)s deleted.") % {"user": account.username})
    return redirect(_back(account.event))


@login_required
def live_status(request, event_pk):
    """What arrived and what is processed, for the event page's live figures."""
    event = access.event_for(request, event_pk)
    response = JsonResponse(services.live_status(event).as_json())
    response["Cache-Control"] = "no-store"
    return response
