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


# dlib's 5-point model was trained on the boxes of dlib's own face detectors, which are
# square and lower on the face than libfacedetection's (taller: width/height 0.76).
# Measured on 531 faces of the development photos found by both (median; no identity
# used): dlib's box is centred 1.6 % of the width to the left and 4.4 % of the height
# lower, 1.125 times as wide and 0.85 times as tall. The model placed in such a box
# aligns faces better: recall 0.919 -> 0.929 on held-out development people, small
# faces above all (docs/match-quality.md, "dlib's landmarks in dlib's own box").
DLIB_BOX = {"shift_x": -0.016, "shift_y": 0.044, "width": 1.125, "height": 0.85}


def dlib_rectangle(dlib, box: Box):
    """The box dlib's detectors would draw around the face ``box`` holds."""
    centre_x = box.x + box.width * (0.5 + DLIB_BOX["shift_x"])
    centre_y = box.y + box.height * (0.5 + DLIB_BOX["shift_y"])
    half_w, half_h = box.width * DLIB_BOX["width"] / 2, box.height * DLIB_BOX["height"] / 2
    return dlib.rectangle(
        round(centre_x - half_w),
        round(centre_y - half_h),
        round(centre_x + half_w),
        round(centre_y + half_h),
    )


def face_landmarks(dlib, predictor, image: np.ndarray, boxes: list[Box]):
    """dlib's 5 landmarks of each box, which align the face for the ResNet."""
    shapes = dlib.full_object_detections()
    for box in boxes:
        shapes.append(predictor(image, dlib_rectangle(dlib, box)))
    return shapes


class DlibEmbedder(Embedder):
    name = "dlib-resnet-v1"
    dimensions = 128
    alignment = 2  # 2: the landmarks found in dlib's own box (DLIB_BOX), since 2026-12-06

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
