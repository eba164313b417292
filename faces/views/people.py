"""The organiser's People pages (a person's share link is the attendees app's)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from faces import organiser_decisions, people_review, people_undo
from faces.models import Face, Person
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
        "suggestion": next(iter(people_review.same_person_suggestions(event)), None),
        "last_action": people_undo.last_action(event.pk),
    }
    return render(request, "faces/people.html", context)


@login_required
@require_POST
def people_merge(request, event_pk):
    """Merge the people ticked on the list (any number): into the one with the most
    photos."""
    event = access.event_for(request, event_pk)
    chosen = list(
        organiser_decisions.people_of(event).filter(pk__in=request.POST.getlist("people"))
    )  # most photographed first
    if len(chosen) < 2:
        messages.error(request, gettext("Tick at least two people to merge them."))
        return redirect(_back(request, reverse("faces:people", args=[event.pk])))
    try:
        into = organiser_decisions.merge_people(people=chosen, user=request.user)
    except organiser_decisions.PersonError as error:
        messages.error(request, str(error))
        return redirect(_back(request, reverse("faces:people", args=[event.pk])))
    messages.success(
        request,
        ngettext(
            "Merged %(count)s person into %(name)s: their photos are now one person's.",
            "Merged %(count)s people into %(name)s: their photos are now one person's.",
            len(chosen),
        )
        % {"count": len(chosen), "name": into.label},
    )
    return redirect("faces:person", pk=into.pk)


@login_required
def people_same(request, event_pk):
    """ "The same person?": the closest pair of people not yet said apart, one at a
    time, answered with a key (Y, N, S). Skipped pairs travel in the address."""
    event = access.event_for(request, event_pk)
    skipped = {key for key in request.GET.get("skip", "").split(",") if key}
    if request.method == "POST":
        first = _person_for(request, request.POST.get("first"))
        second = _person_for(request, request.POST.get("second"))
        answer = request.POST.get("answer")
        try:
            if answer == "yes":
                people = sorted([first, second], key=lambda p: -p.memberships.count())
                into = organiser_decisions.merge_people(people=people, user=request.user)
                messages.success(request, gettext("Merged into %(name)s.") % {"name": into.label})
            elif answer == "no":
                organiser_decisions.not_the_same(first=first, second=second, user=request.user)
                messages.success(request, gettext("Kept apart, for good."))
            else:
                skipped.add(f"{min(first.pk, second.pk)}-{max(first.pk, second.pk)}")
        except organiser_decisions.PersonError as error:
            messages.error(request, str(error))
        url = reverse("faces:people_same", args=[event.pk])
        return redirect(f"{url}?skip={','.join(sorted(skipped))}" if skipped else url)
    suggestion = next(iter(people_review.same_person_suggestions(event, skipped=skipped)), None)
    faces = {}
    if suggestion is not None:
        for person in (suggestion.first, suggestion.second):
            ranked = people_review.faces_in_confidence_order(person)
            faces[person.pk] = [r.membership for r in ranked[:6]]
    context = {
        "event": event,
        "suggestion": suggestion,
        "first_faces": faces.get(suggestion.first.pk, []) if suggestion else [],
        "second_faces": faces.get(suggestion.second.pk, []) if suggestion else [],
        "skip": ",".join(sorted(skipped)),
        "last_action": people_undo.last_action(event.pk),
    }
    return render(request, "faces/same_person.html", context)


@login_required
@require_POST
def people_undo_last(request, event_pk):
    """Undo the event's last change to its people (move, merge, split, apart)."""
    event = access.event_for(request, event_pk)
    action = people_undo.undo_last(event_id=event.pk)
    if action is None:
        messages.info(request, gettext("There is nothing to undo."))
    else:
        messages.success(request, gettext("Undone: %(what)s.") % {"what": action.description})
    return redirect(_back(request, reverse("faces:people", args=[event.pk])))


def _back(request, default: str) -> str:
    """Where the form came from (a page of this site), else ``default``."""
    target = request.POST.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


@login_required
def person_detail(request, pk):
    person = _person_for(request, pk)
    ranked = people_review.faces_in_confidence_order(person)
    page = Paginator(ranked, FACES_PER_PAGE).get_page(request.GET.get("page"))
    look_alikes = [] if person.is_hidden else organiser_decisions.look_alikes(person, limit=12)
    seen_together = people_review.seen_with(person, look_alikes) if look_alikes else set()
    merge_offers = [other for other in look_alikes if other.pk not in seen_together][:6]
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
        # To merge with: the look-alikes never seen in one photo with this person.
        "look_alikes": merge_offers,
        "move_targets": _move_targets(person, look_alikes),
        "unsure_count": sum(1 for r in ranked if r.unsure),
        "last_action": people_undo.last_action(person.event_id),
    }
    return render(request, "faces/person.html", context)


def _move_targets(person: Person, look_alikes: list[Person]) -> list[Person]:
    """Where selected faces may go: the closest people first, then the named ones."""
    named = organiser_decisions.people_of(person.event).exclude(name="").exclude(pk=person.pk)
    targets = {other.pk: other for other in look_alikes}
    for other in named.order_by("name")[:200]:
        targets.setdefault(other.pk, other)
    return list(targets.values())


@login_required
@require_POST
def person_faces_move(request, pk):
    """The faces ticked on a person's page go to another person, or a new one."""
    person = _person_for(request, pk)
    faces = list(Face.objects.filter(grouping__person=person, pk__in=request.POST.getlist("faces")))
    target = request.POST.get("to", "new")
    to = None if target == "new" else _person_for(request, target)
    try:
        moved_to = organiser_decisions.move_faces(faces=faces, to=to, user=request.user)
    except organiser_decisions.PersonError as error:
        messages.error(request, str(error))
        return redirect("faces:person", pk=person.pk)
    messages.success(
        request,
        ngettext(
            "%(count)s face moved to %(name)s; it will not come back to this person.",
            "%(count)s faces moved to %(name)s; they will not come back to this person.",
            len(faces),
        )
        % {"count": len(faces), "name": moved_to.label},
    )
    if Face.objects.filter(grouping__person=person).exists():
        return redirect("faces:person", pk=person.pk)
    return redirect("faces:person", pk=moved_to.pk)


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
        organiser_decisions.split_face(face=face, user=request.user)
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
