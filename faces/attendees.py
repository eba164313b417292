"""An attendee's search results, kept in their browser session for a limited time.

Only photo ids are kept (no selfie, no embedding, no address): enough to show the
gallery and to decide which photos this browser may fetch.
"""

import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings

from faces.services import SelfieSearch
from photos.models import Event, Photo

SESSION_KEY = "attendee_results"


@dataclass
class StoredResults:
    sure: list[int]
    maybe: list[int]
    expires_at: float
    face_count: int

    @property
    def photo_ids(self) -> list[int]:
        return self.sure + self.maybe


def save_results(session, *, event: Event, search: SelfieSearch) -> StoredResults:
    results = StoredResults(
        sure=[m.photo_id for m in search.sure],
        maybe=[m.photo_id for m in search.maybe],
        expires_at=time.time() + settings.ATTENDEE_RESULTS_TTL_SECONDS,
        face_count=search.selfie.face_count,
    )
    stored = dict(session.get(SESSION_KEY, {}))
    stored[str(event.pk)] = results.__dict__
    session[SESSION_KEY] = stored
    session.set_expiry(settings.ATTENDEE_RESULTS_TTL_SECONDS)
    return results


def load_results(session, *, event: Event) -> StoredResults | None:
    """This session's results for the event, or None if there are none or they expired."""
    raw = session.get(SESSION_KEY, {}).get(str(event.pk))
    if raw is None:
        return None
    results = StoredResults(**raw)
    if results.expires_at < time.time():
        forget_results(session, event=event)
        return None
    return results


def forget_results(session, *, event: Event) -> None:
    stored = dict(session.get(SESSION_KEY, {}))
    if stored.pop(str(event.pk), None) is not None:
        session[SESSION_KEY] = stored


def matched_photo(session, *, event: Event, photo_id: int) -> Photo | None:
    """The photo if this session's search in this event matched it, else None."""
    results = load_results(session, event=event)
    if results is None or photo_id not in results.photo_ids:
        return None
    return Photo.objects.filter(pk=photo_id, event=event).first()


class _Sink:
    """A write-only buffer that zipfile can stream into (it is not seekable)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def stream_zip(photos: Iterable[Photo]) -> Iterator[bytes]:
    """The photos' originals as one zip, produced piece by piece (never whole in memory)."""
    sink = _Sink()
    used_names: set[str] = set()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED) as archive:
        for photo in photos:
            name = _unique_name(photo, used_names)
            with (
                photo.file.open("rb") as source,
                archive.open(name, "w", force_zip64=True) as target,
            ):
                for chunk in iter(lambda: source.read(256 * 1024), b""):
                    target.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


def _unique_name(photo: Photo, used: set[str]) -> str:
    base = photo.original_filename.replace("\\", "/").rsplit("/", 1)[-1] or f"photo-{photo.pk}.jpg"
    name = base
    if name in used:
        stem, _, extension = base.rpartition(".")
        name = f"{stem or base}-{photo.pk}.{extension}" if stem else f"{base}-{photo.pk}"
    used.add(name)
    return name
