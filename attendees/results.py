"""An attendee's search results, kept in their browser session for a limited time.

Only ids are kept (no selfie, no embedding, no address): the photos found, the face that
matched in each, and the "Is this you?" questions with what each answer does (worked
out during the search, while the selfie's vector existed: faces.api.Decision). Every
access checks again that face search is still on for the event and that the faces are
still visible, so an organiser's "hide" or "turn off" takes effect at once, not an hour
later. A question shows a small crop of the face only; a photo itself is served once
it is among the attendee's photos.

In the session the results are plain JSON (:meth:`StoredResults.to_session`); in the
code they are always the typed values below.
"""

import datetime as dt
import time
from dataclasses import asdict, dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import Q

from faces import api
from faces.api import Decision, SelfieSearch
from faces.models import Face
from photos.filters import SearchFilters
from photos.models import CAPTURE_ORDER, Event, Photo

SESSION_KEY = "attendee_results"
LIVE_CHECKED_KEY = "attendee_live_checked"  # event id -> when "Keep looking" last searched
QUESTIONS_SHOWN = 6  # at a time: a few clear faces, not a wall of strangers


@dataclass
class StoredQuestion:
    """ "Is this you?" about one face, what each answer does, and the answer given."""

    face: int
    photo: int
    kind: str  # "check" (a face in the results) or "candidate" (a face not in them)
    adds: list[int] = field(default_factory=list)  # photo ids a "yes" adds
    removes: list[int] = field(default_factory=list)  # photo ids a "no" removes
    answer: bool | None = None


@dataclass
class StoredResults:
    sure: list[int]  # photo ids, closest first; answers add and remove
    faces: dict[int, int]  # photo id -> the face that matched in it
    questions: list[StoredQuestion]
    expires_at: float
    face_count: int
    # Where the face used was in the selfie (percent: left, top, width, height): the
    # results page draws it over the browser's own copy of the selfie.
    selfie_box: list[float] | None = None
    # "Keep looking for an hour" (the guest's choice, off by default): the selfie's
    # face vector, to add photos that arrive later (live events); gone with the results.
    live_vector: list[float] | None = None
    live_embedder: str = ""

    @property
    def open_questions(self) -> list[StoredQuestion]:
        """The questions still to answer, a few at a time. A candidate in a photo
        already among the results is left out: that photo is shown for another of its
        faces, and two faces of one photo are two people."""
        shown = set(self.sure)
        return [
            q
            for q in self.questions
            if q.answer is None and not (q.kind == "candidate" and q.photo in shown)
        ][:QUESTIONS_SHOWN]

    @property
    def answered(self) -> int:
        return sum(1 for q in self.questions if q.answer is not None)

    def question(self, face_id: int) -> StoredQuestion | None:
        return next((q for q in self.questions if q.face == face_id), None)

    def face_in(self, photo_id: int) -> int | None:
        return self.faces.get(photo_id)

    def to_session(self) -> dict:
        raw = asdict(self)
        raw["faces"] = {str(photo): face for photo, face in self.faces.items()}  # JSON keys
        return raw

    @classmethod
    def from_session(cls, raw: dict) -> "StoredResults":
        """Raises TypeError/KeyError/ValueError for results an older version stored."""
        return cls(
            **{
                **raw,
                "faces": {int(photo): face for photo, face in raw["faces"].items()},
                "questions": [StoredQuestion(**question) for question in raw["questions"]],
            }
        )


def save_results(
    session, *, event: Event, search: SelfieSearch, keep_looking: bool = False
) -> StoredResults:
    results = _results_of_search(event, search, keep_looking)
    _save_search(session, event, results)
    return results


def _results_of_search(event: Event, search: SelfieSearch, keep_looking: bool) -> StoredResults:
    results = results_of(
        search.decision,
        face_count=search.selfie.face_count,
        selfie_box=search.selfie.box_percentages(),
    )
    if keep_looking:
        embedder = api.event_embedder_name(event.pk)
        vector = search.selfie.vectors.get(embedder)
        if vector is not None:
            results.live_vector = [float(value) for value in vector]
            results.live_embedder = embedder
    return results


def _save_search(session, event: Event, results: StoredResults) -> None:
    save_stored(session, event=event, results=results)
    # The search just ran: the results page it leads to need not run it again.
    session[LIVE_CHECKED_KEY] = {**session.get(LIVE_CHECKED_KEY, {}), str(event.pk): time.time()}


def add_second_selfie(
    session, *, event: Event, search: SelfieSearch, keep_looking: bool = False
) -> int | None:
    """A second selfie on the spot: what it finds is added to this browser's earlier
    results for the event, and the earlier answers hold (a photo a "No" took out stays
    out). Returns how many photos it added, or None when there were no earlier results
    (the search is then saved as a first one).

    Adding shows nothing two searches in a row would not: each selfie is searched on
    its own, with the same checks and limits."""
    latest = _results_of_search(event, search, keep_looking)
    if load_results(session, event=event) is None:  # none, expired, or search turned off
        _save_search(session, event, latest)
        return None
    # As stored, like answer_question: a question about a face hidden since still
    # holds its answer.
    earlier = _raw(session, event)
    combined = combined_results(earlier, latest)
    _save_search(session, event, combined)
    return len(combined.sure) - len(earlier.sure)


def combined_results(earlier: StoredResults, latest: StoredResults) -> StoredResults:
    """``earlier`` with what ``latest`` (a second selfie's search) found added.

    Earlier photos keep their place and their face; a photo an earlier "No" removed is
    not brought back, and a face already asked about is not asked again. The latest
    search's selfie box, expiry and kept vector ("Keep looking" follows the latest
    selfie, for an hour from it) are the ones kept."""
    declined = {pk for q in earlier.questions if q.answer is False for pk in q.removes}
    added = [pk for pk in latest.sure if pk not in earlier.sure and pk not in declined]
    asked = {q.face for q in earlier.questions}
    new_questions = [q for q in latest.questions if q.face not in asked and q.photo not in declined]
    return StoredResults(
        sure=earlier.sure + added,
        faces={**{pk: latest.faces[pk] for pk in added if pk in latest.faces}, **earlier.faces},
        questions=earlier.questions + new_questions,
        expires_at=latest.expires_at,
        face_count=latest.face_count,
        selfie_box=latest.selfie_box,
        live_vector=latest.live_vector,
        live_embedder=latest.live_embedder,
    )


def add_arrivals(session, *, event: Event) -> int:
    """For a guest who chose "Keep looking": search again with the kept vector and add
    the photos of them processed since, except those their "No" answers took out.
    Returns how many were added (0 without a kept vector).

    At most once per half poll period per browser: the page's own polling, a reload or
    someone hammering the address costs one indexed search, not one per request. A
    guest who did not choose it costs nothing here (no database query)."""
    stored = _raw(session, event)
    if stored is None or not stored.live_vector:
        return 0
    checked = session.get(LIVE_CHECKED_KEY, {})
    now = time.time()
    if now - checked.get(str(event.pk), 0) < settings.ATTENDEE_LIVE_POLL_SECONDS / 2:
        return 0
    session[LIVE_CHECKED_KEY] = {**checked, str(event.pk): now}
    if load_results(session, event=event) is None:  # expired, or search turned off
        return 0
    decision = api.search_by_vector(
        np.asarray(stored.live_vector, dtype=np.float32),
        embedder=stored.live_embedder,
        event_id=event.pk,
    )
    declined = {pk for q in stored.questions if q.answer is False for pk in q.removes}
    new = [
        match.photo_id
        for match in decision.sure
        if match.photo_id not in stored.sure and match.photo_id not in declined
    ]
    if not new:
        return 0
    stored.sure += new
    stored.faces.update({pk: decision.photo_faces[pk] for pk in new if pk in decision.photo_faces})
    _store(session, event, stored)
    return len(new)


def results_of(
    decision: Decision, *, face_count: int = 1, selfie_box: list[float] | None = None
) -> StoredResults:
    """What a search decided, in the form kept in the session."""
    return StoredResults(
        sure=[m.photo_id for m in decision.sure],
        faces=dict(decision.photo_faces),
        questions=[
            StoredQuestion(
                face=q.face_id,
                photo=q.photo_id,
                kind=q.kind,
                adds=list(q.yes_adds),
                removes=list(q.no_removes),
            )
            for q in decision.questions
        ],
        expires_at=time.time() + settings.ATTENDEE_RESULTS_TTL_SECONDS,
        face_count=face_count,
        selfie_box=selfie_box,
    )


def save_stored(session, *, event: Event, results: StoredResults, cycle: bool = True) -> None:
    """Keep ``results`` in the session for the event. ``cycle``: a new session key, so
    that a key planted or seen before the search (a shared phone, a fixation attempt)
    does not lead to them."""
    _store(session, event, results)
    if cycle:
        session.cycle_key()
        session.set_expiry(settings.ATTENDEE_RESULTS_TTL_SECONDS)


def _store(session, event: Event, results: StoredResults) -> None:
    stored = dict(session.get(SESSION_KEY, {}))
    stored[str(event.pk)] = results.to_session()
    session[SESSION_KEY] = stored


def _raw(session, event: Event) -> StoredResults | None:
    raw = session.get(SESSION_KEY, {}).get(str(event.pk))
    if raw is None:
        return None
    try:
        return StoredResults.from_session(raw)
    except (TypeError, KeyError, ValueError):  # stored by an older version: search again
        forget_results(session, event=event)
        return None


def load_results(session, *, event: Event) -> StoredResults | None:
    """This session's results for the event as they stand now, or None if there are
    none, they expired, or face search was turned off.

    Photos whose matched face was hidden since (or deleted), and questions about such
    faces, are left out.
    """
    results = _raw(session, event)
    if results is None:
        return None
    if results.expires_at < time.time() or not event.is_face_search_enabled:
        forget_results(session, event=event)
        return None
    asked = {q.face for q in results.questions}
    visible = set(
        Face.objects.visible()
        .filter(pk__in=set(results.faces.values()) | asked, event=event)
        .values_list("pk", flat=True)
    )
    results.sure = [pk for pk in results.sure if results.faces.get(pk) in visible]
    results.questions = [q for q in results.questions if q.face in visible]
    return results


def forget_results(session, *, event: Event) -> None:
    stored = dict(session.get(SESSION_KEY, {}))
    if stored.pop(str(event.pk), None) is not None:
        session[SESSION_KEY] = stored


def answer_question(session, *, event: Event, face_id: int, is_me: bool) -> bool:
    """The attendee says whether a face is them: "yes" adds what that answer adds (the
    photos of that person), "no" removes what it removes. False if there was no such
    open question."""
    if load_results(session, event=event) is None:
        return False
    results = _raw(session, event)
    question = results.question(face_id)
    if question is None or question.answer is not None:
        return False
    apply_answer(results, question, is_me)
    _store(session, event, results)
    return True


def apply_answer(results: StoredResults, question: StoredQuestion, is_me: bool) -> None:
    """Record the answer and do what it does: "yes" adds the photos of that person,
    "no" removes the face's photo and those of faces nearer to it than to the selfie."""
    question.answer = is_me
    if is_me:
        results.sure += [pk for pk in question.adds if pk not in results.sure]
    else:
        removed = set(question.removes)
        results.sure = [pk for pk in results.sure if pk not in removed]


def matched_photo(session, *, event: Event, photo_id: int) -> Photo | None:
    """The photo if it is among this session's photos in this event (found, or confirmed
    by the attendee) and its face is still visible, else None."""
    results = load_results(session, event=event)
    if results is None or photo_id not in results.sure:
        return None
    return Photo.objects.filter(pk=photo_id, event=event).first()


def question_face(session, *, event: Event, face_id: int) -> Face | None:
    """The face of one of this session's open questions, for its crop."""
    results = load_results(session, event=event)
    if results is None or face_id not in {q.face for q in results.open_questions}:
        return None
    return Face.objects.visible().filter(pk=face_id, event=event).select_related("photo").first()


@dataclass
class ShownPhotos:
    """The attendee's photos that the results page's filters let through."""

    photos: list[Photo]  # in capture order, photos without a capture date last
    found: int  # the attendee's photos before the filters
    undated_left_out: int  # photos a date filter left out because they have no date


def photos_shown(
    results: StoredResults, *, event: Event, filters: SearchFilters, show_undated: bool = False
) -> ShownPhotos:
    """The photos to show for ``results`` through the album and date ``filters``.

    A photo with no capture date (a scan, a file without EXIF) cannot be placed by a
    date filter: it is left out and counted, so the page can say so and offer it
    (``show_undated``) instead of saying that nothing matched.
    """
    photos = Photo.objects.filter(pk__in=results.sure, event=event)
    found = photos.count()
    if filters.album_id is not None:
        photos = photos.filter(album_id=filters.album_id)
    undated_left_out = 0
    if filters.taken_from or filters.taken_to:
        in_range = Q()
        if filters.taken_from:
            in_range &= Q(taken_at__gte=filters.taken_from)
        if filters.taken_to:
            in_range &= Q(taken_at__lte=filters.taken_to)
        undated = Q(taken_at__isnull=True)
        if show_undated:
            photos = photos.filter(in_range | undated)
        else:
            undated_left_out = photos.filter(undated).count()
            photos = photos.filter(in_range)
    ordered = photos.select_related("album").order_by(*CAPTURE_ORDER)
    return ShownPhotos(photos=list(ordered), found=found, undated_left_out=undated_left_out)


def photos_added_since_search(results: StoredResults, *, event: Event) -> int:
    """Photos of the event processed since the search (its time is when its results
    were stored: they expire a fixed time later)."""
    searched_at = results.expires_at - settings.ATTENDEE_RESULTS_TTL_SECONDS
    moment = dt.datetime.fromtimestamp(searched_at, tz=dt.UTC)
    return Photo.objects.filter(
        event=event, processing_status=Photo.Status.DONE, processed_at__gt=moment
    ).count()
