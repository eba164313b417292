"""From a decoded photo to its faces: detect, filter, embed, judge quality.

No ORM here: the photo pipeline, the selfie search and the evaluation all call
:func:`detect_faces` and :func:`embed_faces` (together: :func:`find_faces`) with the
backends and the thresholds from settings.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ml.base import Box, DetectedFace, Detector, Embedder
from ml.loader import inference_lock
from photos.images import ImageError, LoadedImage

logger = logging.getLogger(__name__)

# Photos are decoded so that their long side is at least this (a fast reduced JPEG
# decode for big camera files); faces are found and embedded in that copy.
ANALYSIS_SIDE = 2400
# ...except a face under this many pixels (short side) in a reduced copy: it is
# embedded from the photo's full pixels, which hold two to four times its detail (a
# camera's group photo; docs/faces.md, "Small faces from full pixels").
FULL_DETAIL_BELOW_PX = 80
# Around each such face, this many face sizes of the photo are kept on every side:
# enough for the embedders' alignment (dlib's chip, ArcFace's template).
FULL_DETAIL_MARGIN = 1.0


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
    loaded: LoadedImage,
    *,
    detector: Detector,
    embedder: Embedder,
    rules: FaceRules,
    decode_full: Callable[[], LoadedImage] | None = None,
) -> list[DetectedFace]:
    """Every face worth keeping, boxes in the full oriented photo's pixels, embedded;
    small faces of a reduced copy from the full pixels when ``decode_full`` is given."""
    faces = detect_faces(loaded, detector=detector, rules=rules)
    return embed_faces(loaded, faces, embedder, detail_for(loaded, faces, decode_full))


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
    loaded: LoadedImage,
    faces: list[FoundFace],
    embedder: Embedder,
    detail: "FullDetail | None" = None,
    *,
    mirror_below: int | None = None,
) -> list[DetectedFace]:
    """The faces with their identity vectors: those ``detail`` holds from its full
    pixels, the others from the decoded copy. A face under ``mirror_below`` pixels
    (short side, in the photo; by default the embedder's calibrated
    ``mirror_below_px``) that can be matched is averaged with its mirror image: group
    faces, small and often turned, come nearer to their person (docs/match-quality.md,
    "Small faces with their mirror image")."""
    if not faces:
        return []
    if mirror_below is None:
        mirror_below = mirror_below_px(embedder)
    from_detail = detail.boxes if detail is not None else {}
    in_copy = {i: faces[i].box for i in range(len(faces)) if i not in from_detail}
    mirrored = {i for i, face in enumerate(faces) if _wants_mirror(face, mirror_below)}
    embeddings: dict[int, np.ndarray] = {}
    with inference_lock:
        if in_copy:
            embeddings.update(_embedded(embedder, loaded.as_array(), in_copy, mirrored))
        if from_detail:
            embeddings.update(_embedded(embedder, detail.pixels, from_detail, mirrored))
    return [
        DetectedFace(face.full_box, embeddings[i], face.sharpness, face.is_matchable)
        for i, face in enumerate(faces)
    ]


def mirror_below_px(embedder: Embedder) -> int:
    """Under which size the embedder's stored faces are averaged with their mirror
    image (faces.calibration: measured per embedder; FACES_MIRROR_BELOW_PX overrides)."""
    from faces.calibration import calibration_for

    return calibration_for(embedder.name).mirror_below_px


def is_mirrored(*, is_matchable: bool, short_side: int, mirror_below: int) -> bool:
    """Whether a face is stored averaged with its mirror image: small faces that will be
    matched. A face too small or too blurred to match is stored for its box only, and
    its mirror image would cost a pass for nothing."""
    return is_matchable and short_side < mirror_below


def stored_mirrored(face, embedder: Embedder) -> bool:
    """Whether processing stores this face (a ``faces.models.Face``) from ``embedder``
    averaged with its mirror image, by the rule in force."""
    return is_mirrored(
        is_matchable=face.is_matchable,
        short_side=face.short_side,
        mirror_below=mirror_below_px(embedder),
    )


def current_rule(embedder: Embedder) -> str:
    """The rule new vectors of ``embedder`` follow, as an event records it
    (faces.vector_refresh): its alignment and the size under which faces are mirrored."""
    return f"{embedder.name} alignment {embedder.alignment} mirror<{mirror_below_px(embedder)}"


def _wants_mirror(face: FoundFace, mirror_below: int) -> bool:
    return is_mirrored(
        is_matchable=face.is_matchable,
        short_side=face.full_box.short_side,
        mirror_below=mirror_below,
    )


def _embedded(
    embedder: Embedder, pixels: np.ndarray, boxes: dict[int, Box], mirrored: set[int]
) -> dict[int, np.ndarray]:
    """Face index -> vector for ``boxes`` (index -> box in ``pixels``): plain faces in
    one batch, the ``mirrored`` ones with their mirror images in another."""
    plain = sorted(i for i in boxes if i not in mirrored)
    both = sorted(i for i in boxes if i in mirrored)
    vectors: dict[int, np.ndarray] = {}
    if plain:
        rows = embedder.embed(pixels, [boxes[i] for i in plain])
        vectors.update(zip(plain, rows, strict=True))
    if both:
        rows, mirror_rows = embedder.embed_with_mirror(pixels, [boxes[i] for i in both])
        vectors.update(zip(both, unit_means(rows, mirror_rows), strict=True))
    return vectors


def unit_means(rows: np.ndarray, mirror_rows: np.ndarray) -> np.ndarray:
    """Each face's embedding averaged with its mirror image's, to unit length."""
    means = np.asarray(rows, dtype=np.float64) + mirror_rows
    return (means / np.linalg.norm(means, axis=1, keepdims=True)).astype(np.float32)


@dataclass
class FullDetail:
    """Small faces of a reduced copy, cut out of the photo's full pixels with a margin
    and laid side by side in one strip: ``boxes`` maps a face's index (in the list
    given to :func:`full_detail`) to its box in ``pixels``."""

    pixels: np.ndarray
    boxes: dict[int, Box]


def detail_for(
    loaded: LoadedImage,
    faces: list[FoundFace],
    decode_full: Callable[[], LoadedImage] | None,
) -> FullDetail | None:
    """:func:`full_detail` when :func:`wants_full_detail`, the photo decoded again at
    full size by ``decode_full``; None otherwise (or without ``decode_full``), or if
    that decode fails (the faces are then embedded from the copy, as before: the photo
    is not lost for it)."""
    if decode_full is None or not wants_full_detail(loaded, faces):
        return None
    try:
        return full_detail(decode_full(), faces)
    except (ImageError, MemoryError, OSError) as error:
        logger.warning("Small faces embedded from the reduced copy: %s", error)
        return None


def wants_full_detail(loaded: LoadedImage, faces: list[FoundFace]) -> bool:
    """Whether some face would gain from the full pixels: the copy is reduced and a
    face in it is small. Most photos (portraits, or no larger than the copy) do not."""
    return loaded.scale < 1 and any(_is_small(face) for face in faces)


def _is_small(face: FoundFace) -> bool:
    """Small in the decoded copy: its detail is worth a full decode when reduced."""
    return face.box.short_side < FULL_DETAIL_BELOW_PX


def full_detail(full: LoadedImage, faces: list[FoundFace]) -> FullDetail | None:
    """The small faces (see :func:`wants_full_detail`) from ``full``, the photo decoded
    at full size: only their surroundings are kept, so the full decode can be dropped
    at once (a 24-megapixel photo is 72 MB of pixels; the strip of a group's faces a
    few hundred kilobytes)."""
    image = full.image
    crops, boxes, left = [], {}, 0
    for index, face in enumerate(faces):
        if not _is_small(face):
            continue
        box = face.full_box
        margin = round(FULL_DETAIL_MARGIN * max(box.width, box.height))
        region = (
            max(0, box.x - margin),
            max(0, box.y - margin),
            min(image.width, box.x + box.width + margin),
            min(image.height, box.y + box.height + margin),
        )
        if region[0] >= region[2] or region[1] >= region[3]:
            continue  # outside the photo: stays with the copy
        crops.append((left, image.crop(region)))
        boxes[index] = box.scaled(1, left - region[0], -region[1])
        left += region[2] - region[0]
    if not crops:
        return None
    strip = Image.new("RGB", (left, max(crop.height for _, crop in crops)))
    for x, crop in crops:
        strip.paste(crop, (x, 0))
    return FullDetail(np.asarray(strip), boxes)


def mirror_averaged(
    pixels: np.ndarray, box: Box, embedder: Embedder
) -> tuple[np.ndarray, np.ndarray]:
    """A selfie's face: (its own embedding, its search vector). The search vector is
    the embedding averaged with its mirror image's, to unit length: one selfie is one
    side of a face, and the mirror adds the other side's view (docs/match-quality.md:
    on people nobody tuned for, recall up at the same precision, and fewer people
    finding nothing)."""
    with inference_lock:
        plain, mirror = embedder.embed_with_mirror(pixels, [box])
    return np.asarray(plain[0], dtype=np.float32), unit_means(plain, mirror)[0]


def embed_vectors(
    loaded: LoadedImage,
    faces: list[FoundFace],
    embedder: Embedder,
    detail: FullDetail | None = None,
    *,
    mirror_below: int | None = None,
) -> np.ndarray:
    """Only the vectors (one row per face), for storing with several embedders."""
    embedded = embed_faces(loaded, faces, embedder, detail, mirror_below=mirror_below)
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
