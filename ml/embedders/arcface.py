"""ArcFace (InsightFace's recognition models) through onnxruntime on the CPU: opt-in.

The weights (e.g. ``w600k_mbf.onnx`` of buffalo_s, ``w600k_r50.onnx`` of buffalo_l) are
licensed by InsightFace for non-commercial research only. The app never ships or
downloads them: an operator who may use them points ``FACES_ARCFACE_MODEL`` at the file
(README, "ArcFace"). Each face is aligned on the detector's five landmarks
(ml/align.py), normalised like InsightFace does ((pixel - 127.5) / 127.5, RGB), and its
vector made unit length.

The embedder's name carries the file's name and the start of its SHA-256, so vectors of
two different files are never compared.
"""

import hashlib
import logging
import time
from pathlib import Path

import numpy as np
from django.core.exceptions import ImproperlyConfigured

from ml.align import ARCFACE_SIDE, aligned_face, landmarks_from_box
from ml.base import Box, Embedder, normalise_rows

logger = logging.getLogger(__name__)


class ArcFaceUnavailable(ImproperlyConfigured):
    """The model file is missing or is not an ArcFace model; the message says why."""


class ArcFaceEmbedder(Embedder):
    def __init__(self, *, model_path: str, threads: int | None = None) -> None:
        self.model_path = model_path
        self.threads = threads
        self._session = None
        self.name = "arcface"
        self.dimensions = 512

    def load(self) -> None:
        started = time.monotonic()
        path = Path(self.model_path) if self.model_path else None
        if path is None or not path.is_file():
            raise ArcFaceUnavailable(
                f"FACES_ARCFACE_MODEL must be the path of an ArcFace ONNX file (such as "
                f"w600k_mbf.onnx); {self.model_path!r} is not a file. The app never "
                "downloads it: see the README, 'ArcFace'."
            )
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # Some exports declare a batch of one on the output: batches of several run
        # correctly, but onnxruntime warns on every call.
        options.log_severity_level = 3
        if self.threads:
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
        try:
            session = onnxruntime.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises its own untyped errors
            raise ArcFaceUnavailable(f"{path} is not a model onnxruntime can load ({error}).")
        self._input = session.get_inputs()[0]
        shape = list(self._input.shape)
        if len(shape) != 4 or shape[1:] != [3, ARCFACE_SIDE, ARCFACE_SIDE]:
            raise ArcFaceUnavailable(
                f"{path} takes input {shape}; an ArcFace model takes N x 3 x 112 x 112."
            )
        self._session = session
        probe = self._run(np.zeros((1, 3, ARCFACE_SIDE, ARCFACE_SIDE), dtype=np.float32))
        if probe.ndim != 2 or probe.shape[0] != 1:
            raise ArcFaceUnavailable(f"{path} gives output {list(probe.shape)}, not N x size.")
        self.dimensions = int(probe.shape[1])
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
        self.name = f"arcface-{path.stem}-{digest}"
        logger.info("ArcFace %s loaded in %.2fs", self.name, time.monotonic() - started)

    def embed(self, image: np.ndarray, boxes: list[Box]) -> np.ndarray:
        if self._session is None:
            self.load()
        if not boxes:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        image = np.ascontiguousarray(image, dtype=np.uint8)
        crops = np.stack([aligned_face(image, _points(box)) for box in boxes])
        batch = (crops.astype(np.float32) - 127.5) / 127.5
        return normalise_rows(self._run(np.ascontiguousarray(batch.transpose(0, 3, 1, 2))))

    def _run(self, batch: np.ndarray) -> np.ndarray:
        return np.asarray(self._session.run(None, {self._input.name: batch})[0])


def _points(box: Box) -> np.ndarray:
    if box.landmarks is not None:
        return np.asarray(box.landmarks, dtype=np.float64).reshape(5, 2)
    return landmarks_from_box(box.x, box.y, box.width, box.height)
