"""The language of what the workers write for organisers and keep: why a photo
failed, which files of a zip were skipped. A worker has no request to take a language
from, so it writes in the event's (``Event.language``: the organiser's language when
they created it), and the page shows it as written."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils import translation

from photos.models import Event, Photo, ZipImport


@contextmanager
def of_event(event_id: int | None) -> Iterator[None]:
    language = Event.objects.filter(pk=event_id).values_list("language", flat=True).first()
    with translation.override(language or settings.LANGUAGE_CODE):
        yield


def of_photo(photo_id: int):
    return of_event(Photo.objects.filter(pk=photo_id).values_list("event_id", flat=True).first())


def of_import(import_id: int):
    event = ZipImport.objects.filter(pk=import_id).values_list("album__event_id", flat=True)
    return of_event(event.first())
