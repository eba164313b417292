"""From a decoded photo to its faces: detect, filter, embed, judge quality.

No ORM here: the photo pipeline, the selfie search and the evaluation all call
:func:`detect_faces` and :func:`embed_faces` (together: :func:`find_faces`) with the
backends and the thresholds from settings.
"""

from dataclasses import dataclass

import numpy as np
from PIL import Image

from ml.base import Box, DetectedFace, Detector, Embedder
from ml.loader import inference_lock
from photos.images import LoadedImage

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


@dataclass(frozen=True)
class FoundFace:
    """A detected face before embedding: its box in the decoded copy and in full pixels."""

    box: Box  # in the decoded copy's pixels (what the models see)
    full_box: Box  # in the full oriented photo's pixels (what is stored)
    sharpness: float
    is_matchable: bool


def find_faces(
    loaded: LoadedImage, *, detector: Detector, embedder: Embedder, rules: FaceRules
) -> list[DetectedFace]:
    """Every face worth keeping, boxes in the full oriented photo's pixels, embedded."""
    return embed_faces(loaded, detect_faces(loaded, detector=detector, rules=rules), embedder)


def detect_faces(loaded: LoadedImage, *, detector: Detector, rules: FaceRules) -> list[FoundFace]:
    """Every face worth keeping, not embedded yet (a selfie embeds only the one it uses)."""
    pixels = loaded.as_array()
    full_per_pixel = 1 / loaded.scale
    with inference_lock:
        boxes = [
            box
            for box in detector.detect(pixels)
            if box.score >= rules.min_score and box.short_side * full_per_pixel >= rules.min_face_px
        ]
    faces = []
    for box in boxes:
        full_box = box.scaled(full_per_pixel)
        sharpness = face_sharpness(pixels, box)
        matchable = full_box.short_side >= rules.min_match_px and sharpness >= rules.min_sharpness
        faces.append(FoundFace(box, full_box, sharpness, matchable))
    return faces


def embed_faces(
    loaded: LoadedImage, faces: list[FoundFace], embedder: Embedder
) -> list[DetectedFace]:
    """The faces with their identity vectors, in one batch."""
    if not faces:
        return []
    with inference_lock:
        embeddings = embedder.embed(loaded.as_array(), [face.box for face in faces])
    return [
        DetectedFace(face.full_box, embedding, face.sharpness, face.is_matchable)
        for face, embedding in zip(faces, embeddings, strict=True)
    ]


def mirror_averaged(
    pixels: np.ndarray, box: Box, embedder: Embedder
) -> tuple[np.ndarray, np.ndarray]:
    """A selfie's face: (its own embedding, its search vector). The search vector is
    the embedding averaged with its mirror image's, to unit length: one selfie is one
    side of a face, and the mirror adds the other side's view (docs/match-quality.md:
    on people nobody tuned for, recall up at the same precision, and fewer people
    finding nothing). Only selfies: stored faces keep their plain embeddings, so
    ingest costs the same."""
    with inference_lock:
        plain, mirror = embedder.embed_with_mirror(pixels, box)
    mean = np.asarray(plain, dtype=np.float64) + mirror
    return np.asarray(plain, dtype=np.float32), (mean / np.linalg.norm(mean)).astype(np.float32)


def embed_vectors(loaded: LoadedImage, faces: list[FoundFace], embedder: Embedder) -> np.ndarray:
    """Only the vectors (one row per face), for storing with several embedders."""
    embedded = embed_faces(loaded, faces, embedder)
    if not embedded:
        return np.zeros((0, embedder.dimensions), dtype=np.float32)
    return np.array([face.embedding for face in embedded], dtype=np.float32)


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


def largest_face(faces: list[FoundFace]) -> FoundFace | None:
    return max(faces, key=lambda face: face.full_box.area, default=None)
