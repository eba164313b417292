"""An attendee's search results, kept in their browser session for a limited time.

Only photo and face ids are kept (no selfie, no embedding, no address): enough to show
the gallery and to decide which photos this browser may fetch. Every access checks
again that face search is still on for the event and that the face that matched is
still visible, so an organiser's "hide" or "turn off" takes effect at once, not an hour
later. "Is this you?" candidates are shown as a small crop of the face only; the photo
itself is served once the attendee says it is them.
"""

import time
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field

from django.conf import settings

from faces.models import Face
from faces.selfies import SelfieSearch
from photos.downloads import download_name, open_attendee_copy
from photos.metadata import MetadataError
from photos.models import Event, Photo

SESSION_KEY = "attendee_results"
LEFT_OUT_NOTE = "photos-not-included.txt"  # in a zip that lacks some photos


@dataclass
class StoredResults:
    sure: list[int]  # photo ids, closest first; confirmed candidates join them
    maybe: list[int]  # "is this you?" candidates: only a crop of the face is shown
    faces: dict[str, int]  # photo id (as text: JSON keys) -> the face that matched
    expires_at: float
    face_count: int
    declined: list[int] = field(default_factory=list)

    @property
    def photo_ids(self) -> list[int]:
        return self.sure + self.maybe

    def face_id(self, photo_id: int) -> int | None:
        return self.faces.get(str(photo_id))


def save_results(session, *, event: Event, search: SelfieSearch) -> StoredResults:
    matches = search.sure + search.maybe
    results = StoredResults(
        sure=[m.photo_id for m in search.sure],
        maybe=[m.photo_id for m in search.maybe],
        faces={str(m.photo_id): m.face_id for m in matches},
        expires_at=time.time() + settings.ATTENDEE_RESULTS_TTL_SECONDS,
        face_count=search.selfie.face_count,
    )
    _store(session, event, results)
    # A new session key whenever results are saved: a key planted or seen before the
    # search (a shared phone, a fixation attempt) does not lead to them.
    session.cycle_key()
    session.set_expiry(settings.ATTENDEE_RESULTS_TTL_SECONDS)
    return results


def _store(session, event: Event, results: StoredResults) -> None:
    stored = dict(session.get(SESSION_KEY, {}))
    stored[str(event.pk)] = results.__dict__
    session[SESSION_KEY] = stored


def load_results(session, *, event: Event) -> StoredResults | None:
    """This session's results for the event as they stand now, or None if there are
    none, they expired, or face search was turned off.

    Photos whose matched face was hidden since (or deleted) are left out.
    """
    raw = session.get(SESSION_KEY, {}).get(str(event.pk))
    if raw is None:
        return None
    try:
        results = StoredResults(**raw)
    except TypeError:  # saved by an older version of the app: search again
        forget_results(session, event=event)
        return None
    if results.expires_at < time.time() or not event.is_face_search_enabled:
        forget_results(session, event=event)
        return None
    still_visible = set(
        Face.objects.visible()
        .filter(pk__in=results.faces.values(), event=event)
        .values_list("photo_id", flat=True)
    )
    results.sure = [pk for pk in results.sure if pk in still_visible]
    results.maybe = [pk for pk in results.maybe if pk in still_visible]
    return results


def forget_results(session, *, event: Event) -> None:
    stored = dict(session.get(SESSION_KEY, {}))
    if stored.pop(str(event.pk), None) is not None:
        session[SESSION_KEY] = stored


def answer_candidate(session, *, event: Event, photo_id: int, is_me: bool) -> bool:
    """The attendee says whether a candidate is them: "yes" makes it one of their
    photos, "no" removes it. Returns False if it was not a candidate of theirs."""
    results = load_results(session, event=event)
    if results is None or photo_id not in results.maybe:
        return False
    raw = dict(session[SESSION_KEY][str(event.pk)])
    raw["maybe"] = [pk for pk in raw["maybe"] if pk != photo_id]
    if is_me:
        raw["sure"] = [*raw["sure"], photo_id]
    else:
        raw["declined"] = [*raw.get("declined", []), photo_id]
    _store(session, event, StoredResults(**raw))
    return True


def matched_photo(session, *, event: Event, photo_id: int) -> Photo | None:
    """The photo if this session's search in this event matched it (surely, or the
    attendee confirmed it) and its face is still visible, else None."""
    results = load_results(session, event=event)
    if results is None or photo_id not in results.sure:
        return None
    return Photo.objects.filter(pk=photo_id, event=event).first()


def candidate_face(session, *, event: Event, photo_id: int) -> Face | None:
    """The matched face of an "is this you?" candidate, for its crop."""
    results = load_results(session, event=event)
    if results is None or photo_id not in results.maybe:
        return None
    face_id = results.face_id(photo_id)
    return Face.objects.visible().filter(pk=face_id, event=event).select_related("photo").first()


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
    """The photos' originals as one zip, produced piece by piece (never whole in memory).

    Each original comes without private metadata (photos/downloads.py), HEIC ones as
    .jpg. A photo with no clean copy is left out (and logged), and a note in the zip
    names it.
    """
    sink = _Sink()
    used_names: set[str] = set()
    left_out: list[str] = []
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED) as archive:
        for photo in photos:
            try:
                copy = open_attendee_copy(photo=photo)
            except (MetadataError, FileNotFoundError):
                left_out.append(download_name(photo))
                continue
            name = _unique_name(copy.filename, photo.pk, used_names)
            with closing(copy.chunks), archive.open(name, "w", force_zip64=True) as target:
                for chunk in copy.chunks:
                    target.write(chunk)
                    yield sink.take()
            yield sink.take()
        if left_out:
            archive.writestr(_unique_name(LEFT_OUT_NOTE, 0, used_names), _left_out_text(left_out))
    yield sink.take()


def _left_out_text(names: list[str]) -> str:
    return (
        "These photos could not be prepared for download; ask the organiser for them:\n"
        + "".join(f"{name}\n" for name in names)
    )


def _unique_name(base: str, photo_id: int, used: set[str]) -> str:
    name = base
    if name in used:
        stem, _, extension = base.rpartition(".")
        name = f"{stem}-{photo_id}.{extension}" if stem else f"{base}-{photo_id}"
    used.add(name)
    return name
