"""The two small interfaces every face model sits behind.

Only numbers and arrays go in and out: nothing here knows about Django. Images are
RGB ``uint8`` arrays of shape (height, width, 3); boxes are in that array's pixels.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    width: int
    height: int
    score: float  # detector confidence, 0..1
    # Five points when the detector gives them, in the same pixels as the box: the eye,
    # eye, nose tip, mouth corner, mouth corner, left to right in the image, as
    # (x1, y1, ..., x5, y5). ArcFace aligns faces on them.
    landmarks: tuple[float, ...] | None = None

    @property
    def short_side(self) -> int:
        return min(self.width, self.height)

    @property
    def area(self) -> int:
        return self.width * self.height

    def scaled(self, factor: float, offset_x: float = 0, offset_y: float = 0) -> "Box":
        landmarks = None
        if self.landmarks is not None:
            offsets = (offset_x, offset_y) * 5
            landmarks = tuple(
                round(v * factor + o, 2) for v, o in zip(self.landmarks, offsets, strict=True)
            )
        return Box(
            x=round(self.x * factor + offset_x),
            y=round(self.y * factor + offset_y),
            width=round(self.width * factor),
            height=round(self.height * factor),
            score=self.score,
            landmarks=landmarks,
        )

    def mirrored(self, image_width: int) -> "Box":
        """The same face in the image flipped left to right: the landmarks keep their
        order, left to right in the image (the eyes and the mouth corners swap)."""
        landmarks = None
        if self.landmarks is not None:
            points = [
                (round(image_width - x, 2), y)
                for x, y in zip(self.landmarks[::2], self.landmarks[1::2], strict=True)
            ]
            order = (1, 0, 2, 4, 3)
            landmarks = tuple(v for i in order for v in points[i])
        return Box(
            x=image_width - self.x - self.width,
            y=self.y,
            width=self.width,
            height=self.height,
            score=self.score,
            landmarks=landmarks,
        )

    def iou(self, other: "Box") -> float:
        left, top = max(self.x, other.x), max(self.y, other.y)
        right = min(self.x + self.width, other.x + other.width)
        bottom = min(self.y + self.height, other.y + other.height)
        inter = max(0, right - left) * max(0, bottom - top)
        union = self.area + other.area - inter
        return inter / union if union else 0.0


@dataclass(frozen=True)
class DetectedFace:
    """One face found in a photo: box in oriented full-size pixels, unit embedding."""

    box: Box
    embedding: np.ndarray
    sharpness: float
    is_matchable: bool


class Detector:
    """Finds faces. ``load()`` is called once, lazily, before the first ``detect``."""

    name: str = ""

    def load(self) -> None:
        pass

    def detect(self, image: np.ndarray) -> list[Box]:
        raise NotImplementedError


class Embedder:
    """Turns a face into a vector that is close for the same person.

    ``embed`` returns one unit-length row per box, shape (len(boxes), dimensions).
    """

    name: str = ""
    dimensions: int = 0
    # How faces are cut out for the network. Changing it changes every vector, so
    # stored vectors record it and faces.vector_refresh embeds older ones again.
    alignment: int = 1

    def load(self) -> None:
        pass

    def embed(self, image: np.ndarray, boxes: list[Box]) -> np.ndarray:
        raise NotImplementedError

    def embed_with_mirror(
        self, image: np.ndarray, boxes: list[Box]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The faces' embeddings and their mirror images' (one row per box each): a
        selfie searches with both, and small faces are stored with both. Here the whole
        image is flipped and embedded again; an embedder that aligns the face itself
        can flip the aligned crops and embed them all in one batch."""
        plain = self.embed(image, boxes)
        flipped = np.ascontiguousarray(image[:, ::-1])
        mirror = self.embed(flipped, [box.mirrored(image.shape[1]) for box in boxes])
        return plain, mirror


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Unit-length rows: L2 on unit vectors orders exactly like cosine distance."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def non_max_suppression(boxes: list[Box], overlap: float = 0.4) -> list[Box]:
    """Keep the best-scoring box of every group of overlapping boxes."""
    kept: list[Box] = []
    for box in sorted(boxes, key=lambda b: (b.score, b.area), reverse=True):
        if all(box.iou(other) < overlap and not _mostly_inside(box, other) for other in kept):
            kept.append(box)
    return kept


def _mostly_inside(box: Box, other: Box) -> bool:
    left, top = max(box.x, other.x), max(box.y, other.y)
    right = min(box.x + box.width, other.x + other.width)
    bottom = min(box.y + box.height, other.y + other.height)
    inter = max(0, right - left) * max(0, bottom - top)
    return inter > 0.6 * min(box.area, other.area)
