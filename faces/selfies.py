"""Reading a selfie and searching with it: in memory only, bounded, one face.

A selfie arrives from anyone holding an attendee link, so everything here assumes a
hostile file: its own pixel cap (``SELFIE_MAX_PIXELS``), a reduced decode before any
conversion (photos.images), a bounded number of decodes at once per process, and
only the face that is used is embedded (a crowd photo costs one embedding, not 40).
"""

import ctypes
import ctypes.util
import io
import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from PIL import ImageDraw

from faces.analysis import (
    ANALYSIS_SIDE,
    FaceRules,
    FoundFace,
    detect_faces,
    embed_vectors,
    largest_face,
    mirror_averaged,
)
from faces.calibration import calibration_for
from faces.engines import embedder_named, get_detector, get_embedder
from faces.matching import Decision, MatchRules, PhotoMatch, Question
from faces.models import EventEmbedder
from faces.search import find_matches, has_face_within
from ml.base import DetectedFace, Embedder
from photos.filters import SearchFilters
from photos.images import ImageError, LoadedImage, open_image, resized_to_fit
from photos.models import Event, Photo, content_hash

logger = logging.getLogger(__name__)


class SelfieError(ValueError):
    """A selfie that cannot be searched with; the message is shown to the attendee."""


class SelfieBusy(RuntimeError):
    """Every selfie decoding slot of this process stayed taken for too long."""


class SearchUnavailable(RuntimeError):
    """No event asked for can be searched: the face model they answer from cannot be
    loaded (its file moved, a setting removed). The cause is logged; the message is
    for the person searching."""


UNAVAILABLE_MESSAGE = _(
    "Face search is not available for this event right now. Please try again later; "
    "the organiser can see why."
)


BUSY_MESSAGE = _(
    "Many people are searching right now. Please try again in a minute; nothing was saved."
)


@dataclass(frozen=True)
class Selfie:
    face: DetectedFace  # embedded by the first embedder asked for
    face_count: int
    width: int
    height: int
    preview_jpeg: bytes  # a small copy with the face used boxed; shown once, never stored
    # Embedder name -> the search vector: the face averaged with its mirror image
    # (faces.analysis.mirror_averaged).
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    # Embedder name -> the face's own embedding, as an event photo's face would have
    # it: what the check for a face cut out of an event photo compares.
    plain_vectors: dict[str, np.ndarray] = field(default_factory=dict)

    def vector(self, embedder: str) -> np.ndarray:
        return self.vectors[embedder]

    def plain_vector(self, embedder: str) -> np.ndarray:
        return self.plain_vectors[embedder]

    def box_percentages(self) -> list[float]:
        """The face used, as percentages (left, top, width, height) of the upright
        selfie: enough to draw it over a copy of the selfie, which is not kept."""
        box = self.face.box
        return [
            round(100 * box.x / self.width, 2),
            round(100 * box.y / self.height, 2),
            round(100 * box.width / self.width, 2),
            round(100 * box.height / self.height, 2),
        ]


_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


@contextmanager
def decoding_slot():
    """One of ``SELFIE_DECODE_SLOTS`` per process: decoding and detecting a selfie costs
    up to a few hundred MB for a few seconds, so a burst of large selfies must queue
    rather than add up. Waits ``SELFIE_DECODE_WAIT_SECONDS`` at most (SelfieBusy)."""
    size = settings.SELFIE_DECODE_SLOTS
    with _slots_lock:
        slots = _slots.setdefault(size, threading.BoundedSemaphore(size))
    if not slots.acquire(timeout=settings.SELFIE_DECODE_WAIT_SECONDS):
        raise SelfieBusy(str(BUSY_MESSAGE))
    try:
        yield
    finally:
        slots.release()
        release_freed_memory()


def release_freed_memory() -> None:
    """Hand memory freed by a large decode back to the system.

    glibc keeps freed blocks of up to 32 MB (Pillow allocates images in 16 MB blocks) in
    its per-thread arenas, so a web process that once decoded a big selfie would stay
    that big. ``malloc_trim`` returns the free pages; it costs about a millisecond.
    """
    if _malloc_trim is not None:
        _malloc_trim(0)


def _find_malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to do
        return None


_malloc_trim = _find_malloc_trim()


def read_selfie(*, fp, pick=None, embedders: list[Embedder] | None = None) -> Selfie:
    """Find the face to search with in a selfie, in memory only.

    Several faces: the largest is used (``face_count`` says how many were seen);
    ``pick(faces, loaded)`` chooses otherwise (the evaluation takes the labelled,
    central face). Only that face is embedded, by each of ``embedders`` (default: the
    configured one).
    Raises SelfieError for unreadable images, no face, or a face too small or too
    blurred to match reliably; SelfieBusy when too many selfies are being read.
    """
    with decoding_slot():
        try:
            loaded = open_image(
                fp, max_pixels=settings.SELFIE_MAX_PIXELS, decode_side=ANALYSIS_SIDE
            )
        except ImageError as error:
            raise SelfieError(str(error)) from error
        found = detect_faces(loaded, detector=get_detector(), rules=FaceRules.from_settings())
        faces = [f for f in found if f.full_box.score >= settings.FACES_SELFIE_MIN_SCORE]
        face = pick(faces, loaded) if pick else largest_face(faces)
        _check_usable(face, unclear=len(found) > len(faces))
        embedders = embedders or [get_embedder()]
        pixels = loaded.as_array()
        plain, vectors = {}, {}
        for embedder in embedders:
            if settings.FACES_SELFIE_MIRROR:
                plain[embedder.name], vectors[embedder.name] = mirror_averaged(
                    pixels, face.box, embedder
                )
            else:
                plain[embedder.name] = embed_vectors(loaded, [face], embedder, mirror_below=0)[0]
                vectors[embedder.name] = plain[embedder.name]
        embedded = DetectedFace(
            face.full_box, plain[embedders[0].name], face.sharpness, face.is_matchable
        )
        preview = _selfie_preview(loaded, embedded)
    return Selfie(
        face=embedded,
        face_count=len(faces),
        width=loaded.width,
        height=loaded.height,
        preview_jpeg=preview,
        vectors=vectors,
        plain_vectors=plain,
    )


def _check_usable(face: FoundFace | None, *, unclear: bool = False) -> None:
    if face is None and unclear:
        raise SelfieError(
            _(
                "We could not see a clear human face in this picture. Use a photo of "
                "your own face, seen from the front and well lit."
            )
        )
    if face is None:
        raise SelfieError(
            _(
                "No face was found in this picture. Use a photo where your face is well "
                "lit, seen from the front, and fills a good part of the picture."
            )
        )
    if not face.is_matchable:
        raise SelfieError(
            _(
                "Your face is too small or too blurred in this picture to be matched "
                "reliably. Move closer to the camera, hold it still, and try again."
            )
        )


def _selfie_preview(loaded: LoadedImage, face: DetectedFace) -> bytes:
    image = resized_to_fit(loaded.image, 360).copy()
    ratio = image.width / loaded.width
    box = face.box
    corners = [
        box.x * ratio,
        box.y * ratio,
        (box.x + box.width) * ratio,
        (box.y + box.height) * ratio,
    ]
    ImageDraw.Draw(image).rectangle(corners, outline=(49, 208, 124), width=3)
    data = io.BytesIO()
    image.save(data, "JPEG", quality=80)
    return data.getvalue()


@dataclass(frozen=True)
class SelfieSearch:
    selfie: Selfie
    decision: Decision
    # Events that were asked for but could not be searched (their face model cannot
    # be loaded): the others were, and the page says which were not.
    unavailable_event_ids: tuple[int, ...] = ()

    @property
    def sure(self) -> list[PhotoMatch]:
        return self.decision.sure

    @property
    def maybe(self) -> list[PhotoMatch]:
        return self.decision.maybe

    @property
    def questions(self) -> list[Question]:
        return self.decision.questions


REUSED_MESSAGE = _(
    "This picture is one of the event's photos, or cut out of one. To find your photos, "
    "use a selfie: a new picture of yourself, taken now."
)


def search_by_selfie(
    *,
    fp,
    filters: SearchFilters,
    refuse_event_faces: bool = False,
    also_embed: tuple[str, ...] = (),
) -> SelfieSearch:
    """Photos of the selfie's person: sure matches, then a "maybe" group.

    The selfie is read in memory and dropped; raises SelfieError for unusable selfies.
    ``refuse_event_faces`` (attendees): a file of the event, or a face that is already
    in the event (the embedder's ``reuse`` distance, faces.calibration), is refused, so
    nobody can cut other guests' faces out of their results and search for them.
    ``also_embed``: embedder names the selfie's face is embedded by too, beyond those
    that answer (a registration keeps a vector for a model change under way).
    """
    if refuse_event_faces and _is_event_photo(fp, filters.event_ids):
        raise SelfieError(str(REUSED_MESSAGE))
    plan, embedders, unavailable = _loadable_plan(filters.event_ids)
    for name in also_embed:
        if name not in embedders:
            embedders[name] = embedder_named(name)
    selfie = read_selfie(fp=fp, embedders=list(embedders.values()))
    if refuse_event_faces and any(
        # A face cut out of an event photo matches its stored face as it was stored:
        # plain, or with its mirror image for a small face (faces.analysis.embed_faces;
        # faces too small to match are stored plain). The search vector also catches
        # a flipped copy of an event face.
        has_face_within(
            vector,
            embedder=name,
            event_ids=event_ids,
            distance=calibration_for(name).reuse,
            unmatchable_too=unmatchable_too,
        )
        for name, event_ids in plan.items()
        for vector, unmatchable_too in (
            (selfie.plain_vector(name), True),
            (selfie.vector(name), False),
        )
    ):
        logger.info("A selfie that is a face of the event was refused")
        raise SelfieError(str(REUSED_MESSAGE))
    decision = Decision.merged(
        [
            find_matches(
                selfie.vector(name),
                embedder=name,
                filters=replace(filters, event_ids=event_ids),
                rules=MatchRules.for_embedder(name),
            )
            for name, event_ids in plan.items()
        ]
    )
    return SelfieSearch(selfie=selfie, decision=decision, unavailable_event_ids=unavailable)


def _loadable_plan(
    event_ids: list[int] | None,
) -> tuple[dict[str, list[int] | None], dict[str, Embedder], tuple[int, ...]]:
    """Which embedder answers which events (events_by_embedder), keeping only the
    embedders that load: one event whose model cannot be loaded must not stop the
    search of the others. Raises SearchUnavailable when none is left."""
    try:
        plan = events_by_embedder(event_ids)
    except ImproperlyConfigured as error:  # the configured embedder itself
        logger.error("Face search unavailable: %s", error)
        raise SearchUnavailable(str(UNAVAILABLE_MESSAGE)) from error
    embedders: dict[str, Embedder] = {}
    unavailable: list[int] = []
    for name, ids in list(plan.items()):
        try:
            embedders[name] = embedder_named(name)
        except ImproperlyConfigured as error:
            logger.error("Events %s were not searched: %s", ids, error)
            unavailable += ids if ids is not None else []
            del plan[name]
    if not plan:
        raise SearchUnavailable(str(UNAVAILABLE_MESSAGE))
    return plan, embedders, tuple(sorted(unavailable))


def events_by_embedder(event_ids: list[int] | None) -> dict[str, list[int] | None]:
    """Which embedder answers for which of the events (None: every event).

    Each event answers from its own embedder's vectors (faces.engines); during a model
    change, events may differ. The configured embedder answers for the rest, the
    events without faces included; it is left out when no event is left for it, so
    the selfie is not embedded for nothing.
    """
    configured = get_embedder().name
    elsewhere = EventEmbedder.objects.exclude(embedder=configured)
    if event_ids is not None:
        elsewhere = elsewhere.filter(event_id__in=event_ids)
    others: dict[str, list[int] | None] = {}
    for event_id, name in elsewhere.order_by("event_id").values_list("event_id", "embedder"):
        others.setdefault(name, []).append(event_id)
    if not others:
        return {configured: event_ids}
    moved = {event_id for ids in others.values() for event_id in ids}
    if event_ids is None:
        event_ids = list(Event.objects.order_by("pk").values_list("pk", flat=True))
    rest = [event_id for event_id in event_ids if event_id not in moved]
    return {configured: rest, **others} if rest else others


def _is_event_photo(fp, event_ids: list[int]) -> bool:
    return Photo.objects.filter(event_id__in=event_ids, content_hash=content_hash(fp)).exists()
