"""A person's share link (/p/<token>/): their photos, for whoever holds the link (the
organiser made it on the person's page, faces; revocable like the attendee link)."""

from django.http import Http404
from django.shortcuts import render

from attendees.pages import unknown_link
from core.http import private
from faces import api
from faces.models import Person
from photos.media import serve_attendee_file, serve_zip


def _shared_or_404(token) -> Person:
    person = api.shared_person(token)
    if person is None:
        raise Http404("No such link.")
    return person


def shared(request, token):
    """A person's photos; nothing once the person is hidden or the link is revoked."""
    person = api.shared_person(token)
    if person is None:
        return unknown_link(request, token)
    photos = api.photos_of(person).select_related("album")
    context = {"person": person, "event": person.event, "photos": photos, "token": token}
    return private(render(request, "attendees/shared.html", context))


def shared_photo(request, token, photo_id, kind):
    person = _shared_or_404(token)
    photo = api.photos_of(person).filter(pk=photo_id).first()
    if photo is None:
        raise Http404("No such photo.")
    return private(serve_attendee_file(photo, kind, as_download=request.GET.get("download") == "1"))


def shared_download(request, token):
    return private(person_zip(_shared_or_404(token)))


def person_zip(person: Person):
    """The person's photos, copies without private metadata (as attendees get them)."""
    name = f"{person.event.name} {person.name or 'person'}"
    return serve_zip(api.photos_of(person), name, for_attendees=True)
