"""A selfie posted by someone holding the event link (a search, or a registration):
everything between its first byte and the search, in one place.

1. :func:`receive`: the refusals that need no reading (a declared size past the limit,
   the browser's own rate limit, attendees.limits), then the body, read in memory only
   (photos.memory_uploads), then CSRF, then the form.
2. :func:`search`: the camera ticket (camera-only events), then admission (a readable
   image, the shared limits, the event's lane under pressure: attendees.limits), then
   the work itself, with every refusal turned into the page's answer.

Each step that refuses raises :class:`Answered` with the response to send, so a view
reads as the happy path::

    try:
        form = selfie_posts.receive(request, event=event, make_form=..., page=page)
        found = selfie_posts.search(request, event=event, form=form, page=page, work=...)
    except selfie_posts.Answered as answered:
        return answered.response
"""

from collections.abc import Callable
from typing import Protocol, TypeVar

from django.conf import settings
from django.forms import Form
from django.http import HttpResponse

from attendees import camera, limits
from faces.api import SearchUnavailable, SelfieBusy, SelfieError
from photos import memory_uploads
from photos.images import ImageError
from photos.models import Event

T = TypeVar("T")
SELFIE_FIELD = "selfie"


class Page(Protocol):
    """Renders the page the selfie came from, with a status, the form as sent and an
    error for the person."""

    def __call__(
        self, status: int, *, form: Form | None = None, error: str = ""
    ) -> HttpResponse: ...


class Answered(Exception):
    """The selfie was answered before (or instead of) its search: send ``response``."""

    def __init__(self, response: HttpResponse):
        super().__init__(response.status_code)
        self.response = response


def receive(request, *, event: Event, make_form: Callable[[], Form], page: Page) -> Form:
    """The posted form, valid, with its selfie in memory; raises Answered otherwise."""
    max_bytes = settings.SELFIE_MAX_BYTES
    if memory_uploads.declared_too_large(request, max_bytes=max_bytes):
        raise Answered(page(413, error=memory_uploads.too_large_message(max_bytes)))
    refusal = limits.count_attempt(request)
    if refusal is not None:
        raise Answered(refused(page, refusal))
    failure, handler = memory_uploads.read_with_csrf(
        request, field=SELFIE_FIELD, max_bytes=max_bytes
    )
    if failure is not None:
        raise Answered(failure)
    form = make_form()
    if handler.too_large:
        raise Answered(page(413, error=memory_uploads.too_large_message(max_bytes)))
    if not form.is_valid():
        raise Answered(page(400, form=form))
    return form


def search(request, *, event: Event, form: Form, page: Page, work: Callable[[], T]) -> T:
    """``work()`` (the search or the registration) once the selfie is admitted; raises
    Answered for a missing camera ticket, an unreadable or unusable selfie (400, on the
    field), a limit (429) or a busy or unavailable search (503), with Retry-After."""
    if event.is_camera_selfie_required and not camera.use_ticket(
        request.POST.get("capture_ticket", ""), event
    ):
        raise Answered(page(400, form=form, error=str(camera.MESSAGE)))
    try:
        with limits.admitted(request, event=event, selfie=form.cleaned_data[SELFIE_FIELD]):
            return work()
    except (SelfieError, ImageError) as error:
        form.add_error(SELFIE_FIELD, str(error))
        raise Answered(page(400, form=form)) from error
    except limits.Refused as refused_search:
        raise Answered(refused(page, refused_search.refusal)) from refused_search
    except (SelfieBusy, SearchUnavailable) as error:
        # Too many selfies at once (this process, or this event under pressure), or the
        # event's face model cannot be loaded: come back later.
        response = page(503, form=form, error=str(error))
        response["Retry-After"] = "60"
        raise Answered(response) from error


def refused(page: Page, refusal: limits.Refusal) -> HttpResponse:
    response = page(refusal.status, error=refusal.message)
    response["Retry-After"] = str(refusal.retry_after)
    return response
