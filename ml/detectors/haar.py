"""OpenCV's Haar cascade with the original demo's settings: the baseline to beat."""

import logging
import time

import numpy as np

from ml.base import Box, Detector

logger = logging.getLogger(__name__)


class HaarDetector(Detector):
    name = "haar"

    def __init__(self, *, scale_factor: float = 1.05, min_neighbors: int = 2) -> None:
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self._cascade = None

    def load(self) -> None:
        started = time.monotonic()
        import cv2

        self._cv2 = cv2
        path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise RuntimeError(f"OpenCV could not load its Haar cascade from {path}")
        logger.info("Haar detector loaded in %.2fs", time.monotonic() - started)

    def detect(self, image: np.ndarray) -> list[Box]:
        if self._cascade is None:
            self.load()
        gray = self._cv2.cvtColor(image, self._cv2.COLOR_RGB2GRAY)
        found = self._cascade.detectMultiScale(
            gray, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors
        )
        # The cascade gives no confidence: every box counts as certain.
        return [Box(int(x), int(y), int(w), int(h), 1.0) for x, y, w, h in found]
