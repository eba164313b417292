"""CLIP's image tower through transformers: the original demo's "face embedding".

CLIP describes what a picture shows, not who a person is, so it matches faces far
worse than the identity model; it is kept to measure the demo against. The model is
a hub id or a local folder (``FACES_CLIP_MODEL``); hubs are unreachable offline, so
tests use a tiny random model saved to a folder.
"""

import logging
import time

import numpy as np
from PIL import Image

from ml.base import Box, Embedder, normalise_rows
from ml.clip import ClipUnavailable

logger = logging.getLogger(__name__)


def load_clip_vision(model_name: str):
    """Load CLIP's image tower and its image processor, or raise ClipUnavailable."""
    try:
        from transformers import CLIPConfig, CLIPImageProcessor, CLIPVisionModelWithProjection
        from transformers import logging as transformers_logging

        # A full CLIP checkpoint keeps projection_dim on the top-level config; the
        # image tower alone must be told, or it rebuilds a wrong-sized projection.
        config = CLIPConfig.from_pretrained(model_name)
        vision_config = config.vision_config
        vision_config.projection_dim = config.projection_dim
        # Loading the image tower from a full checkpoint lists every text weight as
        # "unexpected": expected here, so keep the log quiet.
        transformers_logging.set_verbosity_error()
        model = CLIPVisionModelWithProjection.from_pretrained(model_name, config=vision_config)
        processor = CLIPImageProcessor.from_pretrained(model_name)
    except (OSError, ValueError) as error:
        raise ClipUnavailable(
            f"CLIP model {model_name!r} could not be loaded ({error}). Set FACES_CLIP_MODEL "
            "to a local folder holding a CLIP model (see README, 'CLIP weights')."
        ) from error
    model.eval()
    return model, processor


class ClipEmbedder(Embedder):
    name = "clip"

    def __init__(self, *, model_name: str) -> None:
        self.model_name = model_name
        self._model = None

    def load(self) -> None:
        started = time.monotonic()
        import torch

        self._torch = torch
        self._model, self._processor = load_clip_vision(self.model_name)
        self.dimensions = self._model.config.projection_dim
        self.name = f"clip:{self.model_name}"
        logger.info("CLIP embedder loaded in %.2fs", time.monotonic() - started)

    def embed(self, image: np.ndarray, boxes: list[Box]) -> np.ndarray:
        if self._model is None:
            self.load()
        if not boxes:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        crops = [Image.fromarray(image[b.y : b.y + b.height, b.x : b.x + b.width]) for b in boxes]
        inputs = self._processor(images=crops, return_tensors="pt")
        with self._torch.inference_mode():
            vectors = self._model(**inputs).image_embeds
        return normalise_rows(vectors.numpy())
