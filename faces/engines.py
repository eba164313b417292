"""The face models this app uses: which detector, which embedder for new faces, which
embedder answers an event's searches.

Thin on purpose: ml.loader builds, caches and checks; this names the settings
(``FACES_DETECTOR``, ``FACES_EMBEDDER``) and the columns (faces.models.VECTOR_MODELS).
During a model change an event keeps answering from the embedder recorded for it
(``EventEmbedder``) while new photos get vectors from both (faces.reembedding).
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from faces.calibration import family
from faces.models import VECTOR_MODELS, EventEmbedder
from ml import loader
from ml.base import Detector, Embedder

# Settings names an embedder can be loaded by (FACES_EMBEDDER, the commands' --embedder).
KNOWN_EMBEDDERS = tuple(loader.EMBEDDERS)


def get_detector() -> Detector:
    return loader.get_detector(settings.FACES_DETECTOR)


def get_embedder(key: str | None = None) -> Embedder:
    """The embedder of settings name ``key`` (default: the configured one, for new
    faces), loaded; ImproperlyConfigured if it cannot load or its vectors fit no table."""
    return loader.get_embedder(key or settings.FACES_EMBEDDER, dimensions=tuple(VECTOR_MODELS))


def embedder_named(name: str) -> Embedder:
    """The embedder whose vectors are stored as ``name`` (an event's, or another),
    loaded from the settings name of its family ("arcface-w600k_mbf-9cc6e4a7" ->
    "arcface"); ImproperlyConfigured if it cannot be loaded any more (its model file
    removed or replaced, say), with what to do."""
    configured = get_embedder()
    if configured.name == name:
        return configured
    key = family(name)
    embedder = None
    if key in loader.EMBEDDERS:
        try:
            embedder = get_embedder(key)
        except (ImproperlyConfigured, ImportError, OSError):
            embedder = None
    if embedder is None or embedder.name != name:
        raise ImproperlyConfigured(
            f"Vectors of the face embedder {name!r} are in use, but it cannot be loaded (is "
            "its model file still configured?). Restore it, or switch the events to the "
            "configured embedder with `manage.py reembed_faces`."
        )
    return embedder


def event_embedder_name(event_id: int) -> str:
    """The embedder answering the event's searches: the recorded one, else the
    configured one (an event with no faces yet)."""
    row = EventEmbedder.objects.filter(event_id=event_id).values_list("embedder", flat=True)
    return row.first() or get_embedder().name


def embedders_for_new_faces(event_id: int) -> list[Embedder]:
    """The configured embedder, the event's own while it still answers from another,
    and the one a model change is computing for it (faces.reembedding): new faces get
    vectors from each, so no search and no model change ever misses them."""
    names = [get_embedder().name]
    row = EventEmbedder.objects.filter(event_id=event_id).first()
    if row is not None:
        names += [row.embedder, row.switching_to]
    unique = [name for i, name in enumerate(names) if name and name not in names[:i]]
    return [embedder_named(name) for name in unique]
