"""The face models this app uses, sized for the column faces are stored in.

Thin on purpose: ml.loader builds, caches and checks; this names the settings
(``FACES_DETECTOR``, ``FACES_EMBEDDER``) and the column (``Face.embedding``).
"""

from django.conf import settings

from faces.models import EMBEDDING_DIMENSIONS
from ml import loader
from ml.base import Detector, Embedder


def get_detector() -> Detector:
    return loader.get_detector(settings.FACES_DETECTOR)


def get_embedder() -> Embedder:
    """The configured embedder; ImproperlyConfigured if its vectors do not fit."""
    return loader.get_embedder(settings.FACES_EMBEDDER, dimensions=EMBEDDING_DIMENSIONS)
