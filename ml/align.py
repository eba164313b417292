"""Face alignment for ArcFace: the five landmarks moved onto a fixed template.

InsightFace's recognition models were trained on 112x112 crops where the eyes, nose
tip and mouth corners sit at the template below; a similarity transform (rotation,
uniform scale, shift: Umeyama's least squares) takes a detected face there.
"""

import numpy as np

# ArcFace's standard 112x112 template: eye, eye, nose tip, mouth corner, mouth corner,
# left to right in the image.
ARCFACE_TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)
ARCFACE_SIDE = 112


def similarity_transform(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The 2x3 matrix of the similarity transform that best takes ``source`` points
    onto ``target`` points (least squares, Umeyama 1991)."""
    source = np.asarray(source, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    source_mean, target_mean = source.mean(axis=0), target.mean(axis=0)
    source_c, target_c = source - source_mean, target - target_mean
    covariance = target_c.T @ source_c / len(source)
    u, singular, vt = np.linalg.svd(covariance)
    sign = np.sign(np.linalg.det(u) * np.linalg.det(vt)) or 1.0
    correction = np.diag([1.0, sign])
    rotation = u @ correction @ vt
    variance = (source_c**2).sum() / len(source)
    scale = (singular * np.diag(correction)).sum() / variance
    shift = target_mean - scale * rotation @ source_mean
    return np.hstack([scale * rotation, shift[:, None]])


def landmarks_from_box(x: float, y: float, width: float, height: float) -> np.ndarray:
    """Where the five points usually are in a face box: for detectors without
    landmarks (Haar). Rougher than real landmarks; the face still lands centred."""
    side = max(width, height)
    left = x + (width - side) / 2
    top = y + (height - side) / 2
    return ARCFACE_TEMPLATE / ARCFACE_SIDE * side + np.array([left, top])


def aligned_face(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The 112x112 RGB crop with the face's ``points`` (5x2) on the template."""
    import cv2

    matrix = similarity_transform(points, ARCFACE_TEMPLATE)
    return cv2.warpAffine(image, matrix, (ARCFACE_SIDE, ARCFACE_SIDE), borderValue=0.0)
