"""What a signed-in user may reach: their own events, albums and photos (everything for
those who manage all events); anything else is a 404, never a 403."""

from django.shortcuts import get_object_or_404

from photos.models import Album, Event, Photo


def event_for(request, pk) -> Event:
    return get_object_or_404(Event.objects.visible_to(request.user), pk=pk)


def album_for(request, pk) -> Album:
    albums = Album.objects.filter(event__in=Event.objects.visible_to(request.user))
    return get_object_or_404(albums.select_related("event"), pk=pk)


def photo_for(request, pk) -> Photo:
    return get_object_or_404(
        Photo.objects.visible_to(request.user).select_related("album", "event"), pk=pk
    )
