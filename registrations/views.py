"""The registered attendee's pages, under the event's secret link (/e/<token>/...)."""

import logging

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from attendees import camera, limits, results, selfie_posts
from attendees.pages import event_for_token, unknown_link
from attendees.views import attendee_page, results_page
from core import ratelimit
from core.http import private
from photos.models import Event
from registrations import links, services, sessions
from registrations import results as registered
from registrations.forms import DeleteForm, NewLinkForm, RegisterForm
from registrations.models import kept_until

logger = logging.getLogger(__name__)


def _page(request, template: str, event: Event, status: int = 200, **context):
    return private(render(request, template, {"event": event, **context}, status=status))


def _register_page(request, event: Event, status: int, *, form=None, error: str = ""):
    today = timezone.localdate()
    return _page(
        request,
        "registrations/register.html",
        event,
        status,
        form=form or RegisterForm(),
        page_error=error,
        kept_until=kept_until(event, today),
        capture_ticket=camera.new_ticket(event) if event.is_camera_selfie_required else "",
    )


@csrf_exempt  # checked once the selfie is read in memory (attendees.selfie_posts)
@limits.with_browser_id
def register(request, token):
    """ "Send me my photos as they arrive": an email, a selfie and consent, received and
    checked exactly as a search's selfie (a registration is a search too)."""
    event = event_for_token(token)
    if event is None:
        return unknown_link(request, token)
    if not event.is_face_search_enabled:
        return attendee_page(request, event, 403)
    if request.method != "POST":
        return _register_page(request, event, 200)

    def page(status, *, form=None, error=""):
        return _register_page(request, event, status, form=form, error=error)

    try:
        form = selfie_posts.receive(
            request,
            event=event,
            make_form=lambda: RegisterForm(request.POST, request.FILES),
            page=page,
        )
        search = selfie_posts.search(
            request,
            event=event,
            form=form,
            page=page,
            work=lambda: services.register(
                event=event,
                email=form.cleaned_data["email"],
                share_email=form.cleaned_data["share_email"],
                selfie=form.cleaned_data["selfie"],
                language=get_language() or "",
            ),
        )
    except selfie_posts.Answered as answered:
        return answered.response
    # The same answer for a new address and a registered one (nobody learns who is
    # registered), and no log-in: only the link sent to the address does that. The
    # browser sees what its own selfie found, as after a search.
    results.save_results(request.session, event=event, search=search)
    messages.success(
        request,
        _(
            "Almost done: we sent an email to %(email)s. Open its link to confirm the "
            "address; from then on we email you when new photos of you arrive. Here "
            "are the photos your selfie found now."
        )
        % {"email": form.cleaned_data["email"].strip().lower()},
    )
    response = redirect("attendees:results", token=event.attendee_token)
    response.status_code = 303
    return private(response)


def mine(request, token):
    """The registered attendee's photos as they are now (searched again with their
    vector and answers on each visit), with the viewer, filters, zip and questions of
    the search results page."""
    event = event_for_token(token)
    if event is None:
        return unknown_link(request, token)
    registration = sessions.registration_of(request.session, event)
    if registration is None or not event.is_face_search_enabled:
        return redirect("attendees:attendee", token=token)
    found = registered.current_results(registration)
    if found is None:
        messages.warning(request, str(sessions.REREGISTER_MESSAGE))
        return redirect("registrations:register", token=token)
    results.save_stored(request.session, event=event, results=found, cycle=False)
    return results_page(request, event, found, registration=registration)


@require_POST
def answer(request, token, face_id):
    """A registered attendee's "Is this you?": applied now and remembered for every
    later search and email."""
    event = event_for_token(token)
    if event is None:
        return unknown_link(request, token)
    registration = sessions.registration_of(request.session, event)
    if registration is None:
        return redirect("attendees:attendee", token=token)
    is_me = request.POST.get("answer") == "yes"
    if results.answer_question(request.session, event=event, face_id=face_id, is_me=is_me):
        registered.remember_answer(registration, face_id=face_id, is_me=is_me)
        messages.success(
            request,
            _("Thanks: your photos were updated, and we will remember your answer.")
            if is_me
            else _("Thanks: that face is not shown again, and we will remember your answer."),
        )
    return redirect(reverse("registrations:mine", args=[token]) + "#questions")


@require_POST
def log_out(request, token):
    """Log this browser out (the registration stays: "Delete my data" deletes it)."""
    event = event_for_token(token)
    if event is None:
        return unknown_link(request, token)
    sessions.log_out(request.session, event)
    results.forget_results(request.session, event=event)
    messages.success(
        request, _("This browser no longer shows your photos. Your registration stays.")
    )
    response = redirect("attendees:attendee", token=token)
    response["Clear-Site-Data"] = '"cache"'
    return private(response)


def login(request, token, link):
    """A link from an email. GET asks for one click (mail scanners fetch links and
    must not use them up); POST uses the link and logs this browser in."""
    event = event_for_token(token)
    if event is None:
        return unknown_link(request, token)
    try:
        login_link = links.check_login_token(link, event_id=event.pk)
        if request.method != "POST":
            return _page(request, "registrations/login.html", event, is_change=login_link.change)
        registration = services.open_login_link(login_link)
    except links.LinkError as error:
        logger.info("Attendee link refused for event %s: %s", event.pk, error.reason)
        return _link_error(request, event, error.reason)
    sessions.log_in(request.session, registration)  # the photos page searches
    response = redirect("registrations:mine", token=token)
    response.status_code = 303
    return private(response)


def _link_error(
    request, event: Event, reason: str, *, form=None, status: int = 410, error: str = ""
):
    return _page(
        request,
        "registrations/link_error.html",
        event,
        status if reason != "invalid" else 404,
        reason=reason,
        form=form or NewLinkForm(),
        page_error=error,
    )


@limits.with_browser_id
def new_link(request, token):
    """ "Email me a new link": the same answer whether or not the address is
    registered, so that nobody learns who registered."""
    event = event_for_token(token)
    if event is None:
        return unknown_link(request, token)
    if request.method != "POST":
        return _link_error(request, event, "new", status=200)
    form = NewLinkForm(request.POST)
    if not form.is_valid():
        return _link_error(request, event, "new", form=form, status=400)
    email = form.cleaned_data["email"].strip().lower()
    key = limits.browser_id(request) or ratelimit.client_key(request)
    if not ratelimit.hit("new-link", key, limit=5, window_seconds=3600):
        error = _("Too many links were asked for in a short time. Please try again in an hour.")
        return _link_error(request, event, "new", form=form, status=429, error=error)
    # The recipient's own limits (mail_limits) apply inside, silently: the answer
    # below is the same whether the address is registered, limited, or neither.
    services.queue_new_link(event=event, email=email)
    messages.success(
        request,
        _(
            "If %(email)s is registered for this event, a new link is on its way. "
            "Check your spam folder if it does not arrive within a few minutes."
        )
        % {"email": email},
    )
    return redirect("attendees:attendee", token=token)


def delete(request, token, link=None):
    """ "Delete my data": from an email's link (signed) or a logged-in browser, one
    click on a confirmation page, with "also ask to hide me" offered.

    An email's link works as long as its registration exists, even after the
    organiser issued a new attendee link (its signature names the registration; the
    event's old token in it no longer has to work). Its pages then do not show the
    new attendee link: whoever holds an old email should not learn it."""
    event = event_for_token(token)
    registration = None
    if link is not None:
        registration = links.registration_for_delete_token(link)
        event = registration.event if registration is not None else event
    elif event is not None:
        registration = sessions.registration_of(request.session, event)
    if event is None:
        return unknown_link(request, token)
    home = event.attendee_token == token
    if registration is None:
        return _page(request, "registrations/deleted.html", event, 404, gone=True, home=home)
    form = DeleteForm(request.POST if request.method == "POST" else None)
    if request.method != "POST" or not form.is_valid():
        return _page(
            request,
            "registrations/delete.html",
            event,
            form=form,
            email=registration.email,
            home=home,
        )
    hide_me = form.cleaned_data["hide_me"]
    hide_request = services.delete_registration(registration, hide_me=hide_me)
    sessions.log_out(request.session, event)
    results.forget_results(request.session, event=event)
    response = _page(
        request,
        "registrations/deleted.html",
        event,
        hide_request=hide_request,
        asked_to_hide=hide_me,
        home=home,
    )
    response["Clear-Site-Data"] = '"cache"'
    return response
