"""dlib's ResNet face-identity model (LFW 99.38 %), the default embedder.

Each face is aligned with dlib's 5-point landmark model, then embedded into 128
numbers. Weights (public domain) come inside the ``face-recognition-models`` wheel.
"""

import importlib.util
import logging
import time
from pathlib import Path

import numpy as np

from ml.base import Box, Embedder, normalise_rows

logger = logging.getLogger(__name__)


def model_folder() -> Path:
    # Not `import face_recognition_models`: it imports pkg_resources, which recent
    # setuptools removed. Find the package's folder without importing it.
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The face-recognition-models package is not installed.")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def load_landmark_model(dlib):
    # The 5-point model only: the 68-point one's training data bars commercial use.
    return dlib.shape_predictor(str(model_folder() / "shape_predictor_5_face_landmarks.dat"))


def face_landmarks(dlib, predictor, image: np.ndarray, boxes: list[Box]):
    """dlib's 5 landmarks of each box, which align the face for the ResNet."""
    shapes = dlib.full_object_detections()
    for box in boxes:
        rect = dlib.rectangle(box.x, box.y, box.x + box.width, box.y + box.height)
        shapes.append(predictor(image, rect))
    return shapes


class DlibEmbedder(Embedder):
    name = "dlib-resnet-v1"
    dimensions = 128

    def __init__(self) -> None:
        self._predictor = None
        self._model = None

    def load(self) -> None:
        started = time.monotonic()
        import dlib

        self._dlib = dlib
        self._predictor = load_landmark_model(dlib)
        self._model = dlib.face_recognition_model_v1(
            str(model_folder() / "dlib_face_recognition_resnet_model_v1.dat")
        )
        logger.info("dlib embedder loaded in %.2fs", time.monotonic() - started)

    def embed(self, image: np.ndarray, boxes: list[Box]) -> np.ndarray:
        if self._model is None:
            self.load()
        if not boxes:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        image = np.ascontiguousarray(image, dtype=np.uint8)
        shapes = face_landmarks(self._dlib, self._predictor, image, boxes)
        vectors = self._model.compute_face_descriptor(image, shapes, 0, 0.25)
        return normalise_rows(np.array([list(v) for v in vectors]))
