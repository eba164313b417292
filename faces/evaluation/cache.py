"""Faces of each evaluation photo, found once: detection and embedding dominate an
evaluation's time, and tuning runs the same photos through many settings.

Each photo's faces are those of the product's pipeline (``photos.images.open_image`` at
the analysis size, ``faces.analysis.find_faces`` with the configured backends and
rules, small faces of a reduced copy from the full pixels), kept in
``var/cache/evaluation/`` under a key made of the file's SHA-256 and everything that
changes the result (backends, rules, analysis size, the full-pixel and mirror rules).
"""

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings

from faces.analysis import (
    ANALYSIS_SIDE,
    FULL_DETAIL_BELOW_PX,
    FaceRules,
    find_faces,
    mirror_below_px,
)
from faces.engines import get_detector, get_embedder
from ml.base import Box, DetectedFace, Embedder
from photos.images import ImageError, open_image

CACHE_DIR = Path(settings.BASE_DIR) / "var" / "cache" / "evaluation"


@dataclass
class PhotoFaces:
    width: int
    height: int
    faces: list[DetectedFace]
    error: str = ""  # the photo could not be read (the product would refuse it)


class FaceCache:
    def __init__(self, folder: Path | None = None, embedder: Embedder | None = None) -> None:
        self.folder = folder or CACHE_DIR
        self.detector = get_detector()
        self.embedder = embedder or get_embedder()
        self.rules = FaceRules.from_settings()
        self.salt = (
            f"{self.detector.name}|{self.embedder.name}|{self.rules}|{ANALYSIS_SIDE}"
            f"|full<{FULL_DETAIL_BELOW_PX}|mirror<{mirror_below_px(self.embedder)}"
            f"|alignment{self.embedder.alignment}"
        )

    def faces(self, data: bytes) -> PhotoFaces:
        key = hashlib.sha256(data + self.salt.encode()).hexdigest()
        path = self.folder / key[:2] / f"{key}.npz"
        if path.exists():
            return _load(path)
        found = self._find(data)
        path.parent.mkdir(parents=True, exist_ok=True)
        _save(path, found)
        return found

    def _find(self, data: bytes) -> PhotoFaces:
        try:
            loaded = open_image(io.BytesIO(data), max_pixels=10**9, decode_side=ANALYSIS_SIDE)
        except ImageError as error:
            return PhotoFaces(0, 0, [], str(error))
        faces = find_faces(
            loaded,
            detector=self.detector,
            embedder=self.embedder,
            rules=self.rules,
            decode_full=lambda: open_image(io.BytesIO(data), max_pixels=10**9),
        )
        return PhotoFaces(loaded.width, loaded.height, faces)


def _save(path: Path, photo: PhotoFaces) -> None:
    faces = photo.faces
    np.savez(
        path,
        size=np.array([photo.width, photo.height]),
        boxes=np.array(
            [[f.box.x, f.box.y, f.box.width, f.box.height, f.box.score] for f in faces],
            dtype=np.float64,
        ).reshape(-1, 5),
        embeddings=np.array([f.embedding for f in faces], dtype=np.float32).reshape(
            len(faces), -1 if faces else 0
        ),
        landmarks=np.array(
            [f.box.landmarks or [np.nan] * 10 for f in faces], dtype=np.float64
        ).reshape(-1, 10),
        sharpness=np.array([f.sharpness for f in faces], dtype=np.float64),
        matchable=np.array([f.is_matchable for f in faces], dtype=bool),
        error=np.array(photo.error),
    )


def _load(path: Path) -> PhotoFaces:
    with np.load(path) as data:
        points = (
            data["landmarks"] if "landmarks" in data else np.full((len(data["boxes"]), 10), np.nan)
        )
        faces = [
            DetectedFace(
                Box(
                    int(b[0]),
                    int(b[1]),
                    int(b[2]),
                    int(b[3]),
                    float(b[4]),
                    None if np.isnan(points[i]).any() else tuple(map(float, points[i])),
                ),
                data["embeddings"][i],
                float(data["sharpness"][i]),
                bool(data["matchable"][i]),
            )
            for i, b in enumerate(data["boxes"])
        ]
        width, height = (int(v) for v in data["size"])
        return PhotoFaces(width, height, faces, str(data["error"]))
