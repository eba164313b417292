"""The organiser's People pages (a person's share link is the attendees app's)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from faces import organiser_decisions
from faces.models import Face, FacePerson, Person
from photos import access
from photos.media import serve_zip
from photos.models import Event

PEOPLE_PER_PAGE = 48
FACES_PER_PAGE = 60


def _person_for(request, pk) -> Person:
    people = Person.objects.filter(event__in=Event.objects.visible_to(request.user))
    return get_object_or_404(people.select_related("event", "hidden_by"), pk=pk)


@login_required
def people_list(request, event_pk):
    event = access.event_for(request, event_pk)
    page = Paginator(organiser_decisions.people_of(event), PEOPLE_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "event": event,
        "people": page,
        "hidden_people": organiser_decisions.people_of(event, hidden=True),
    }
    return render(request, "faces/people.html", context)


@login_required
@require_POST
def people_merge(request, event_pk):
    """Merge the two people ticked on the list: into the one with more photos."""
    event = access.event_for(request, event_pk)
    chosen = organiser_decisions.people_of(event).filter(pk__in=request.POST.getlist("people"))
    chosen = list(chosen[:3])
    if len(chosen) != 2:
        messages.error(request, gettext("Tick exactly two people to merge them."))
        return redirect("faces:people", event_pk=event.pk)
    into, other = chosen  # most photographed first
    try:
        organiser_decisions.merge(into=into, other=other)
    except organiser_decisions.PersonError as error:
        messages.error(request, str(error))
        return redirect("faces:people", event_pk=event.pk)
    messages.success(
        request,
        gettext("Merged into %(name)s: their photos are now one person's.") % {"name": into.label},
    )
    return redirect("faces:person", pk=into.pk)


@login_required
def person_detail(request, pk):
    person = _person_for(request, pk)
    memberships = (
        FacePerson.objects.filter(person=person)
        .select_related("face__photo__album")
        .order_by("face__photo__taken_at", "face__photo_id")
    )
    page = Paginator(memberships, FACES_PER_PAGE).get_page(request.GET.get("page"))
    share_url = ""
    if person.share_token:
        share_url = request.build_absolute_uri(
            reverse("attendees:shared", args=[person.share_token])
        )
    context = {
        "event": person.event,
        "person": person,
        "faces": page,
        "photo_count": organiser_decisions.photos_of(person).count(),
        "share_url": share_url,
        "look_alikes": [] if person.is_hidden else organiser_decisions.look_alikes(person),
    }
    return render(request, "faces/person.html", context)


@login_required
@require_POST
def person_action(request, pk, action):
    person = _person_for(request, pk)
    try:
        _apply(request, person, action)
    except organiser_decisions.PersonError as error:
        messages.error(request, str(error))
    return redirect("faces:person", pk=person.pk)


def _apply(request, person: Person, action: str) -> None:
    if action == "rename":
        organiser_decisions.rename(person=person, name=request.POST.get("name", ""))
        messages.success(request, gettext("Saved: %(name)s.") % {"name": person.label})
    elif action == "hide":
        count = organiser_decisions.hide(person=person, user=request.user)
        message = ngettext(
            "%(name)s is hidden in every photo of the event (%(count)s face) and in photos "
            "added later: no search, zip or link shows them.",
            "%(name)s is hidden in every photo of the event (%(count)s faces) and in photos "
            "added later: no search, zip or link shows them.",
            count,
        )
        messages.success(request, message % {"name": person.label, "count": count})
    elif action == "show":
        count = organiser_decisions.show(person=person, user=request.user)
        message = ngettext(
            "%(name)s can be found again: %(count)s face is being processed again and comes "
            "back within a minute or two.",
            "%(name)s can be found again: %(count)s faces are being processed again and come "
            "back within a minute or two.",
            count,
        )
        messages.success(request, message % {"name": person.label, "count": count})
    elif action == "share":
        organiser_decisions.share(person=person)
        messages.success(
            request, gettext("Anyone with the link below can see this person's photos.")
        )
    elif action == "unshare":
        organiser_decisions.unshare(person=person)
        messages.success(request, gettext("The share link no longer works."))
    else:
        raise Http404("Unknown action.")


@login_required
@require_POST
def face_not_this_person(request, pk):
    """ "Not this person": the face leaves its person for good."""
    faces = Face.objects.filter(event__in=Event.objects.visible_to(request.user))
    face = get_object_or_404(faces.select_related("grouping"), pk=pk)
    person_id = getattr(getattr(face, "grouping", None), "person_id", None)
    try:
        organiser_decisions.split_face(face=face)
        messages.success(
            request, gettext("Taken out: that face is no longer counted as this person.")
        )
    except organiser_decisions.PersonError as error:
        messages.error(request, str(error))
    if person_id is None or request.GET.get("from") == "photo":
        return redirect("photos:photo_detail", pk=face.photo_id)
    return redirect(
        reverse("faces:person", args=[person_id]) + f"?page={request.GET.get('page', 1)}"
    )


@login_required
def person_download(request, pk):
    person = _person_for(request, pk)
    name = f"{person.event.name} {person.name or 'person'}"
    return serve_zip(organiser_decisions.photos_of(person), name, for_attendees=True)
