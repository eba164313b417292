"""CLIP: photos and words in one vector space (smart search), and its image tower alone
(the demo's face embedder, ml/embedders/clip_face.py).

Torch and transformers are imported when a model is built, never before. A model is a
hub id (needs internet) or a local folder; ``ClipUnavailable`` says how to provide one.
"""

import logging
import time

import numpy as np
from django.core.exceptions import ImproperlyConfigured
from PIL import Image

logger = logging.getLogger(__name__)

HOW_TO_ENABLE = (
    "Set PHOTOS_CLIP_MODEL to a CLIP model: a model hub id such as "
    "openai/clip-vit-base-patch32 on a machine with internet access, or a local folder "
    "holding a saved CLIP model (README, 'CLIP weights'), then restart the app and run "
    "`python manage.py clip_index`."
)


class ClipUnavailable(ImproperlyConfigured):
    """No usable CLIP model; the message says how to provide one."""


class ClipModel:
    """Both CLIP towers: unit vectors for photos (batched) and for text."""

    def __init__(self, *, model_name: str, dimensions: int) -> None:
        if not model_name:
            raise ClipUnavailable(
                f"Smart search is off: no CLIP model is configured. {HOW_TO_ENABLE}"
            )
        import torch
        from transformers import CLIPModel, CLIPProcessor
        from transformers import logging as transformers_logging

        started = time.monotonic()
        transformers_logging.set_verbosity_error()
        transformers_logging.disable_progress_bar()
        self._torch = torch
        try:
            self._model = CLIPModel.from_pretrained(model_name).eval()
            self._processor = CLIPProcessor.from_pretrained(model_name)
        except (OSError, ValueError) as error:
            raise ClipUnavailable(
                f"The CLIP model {model_name!r} could not be loaded ({error}). {HOW_TO_ENABLE}"
            ) from error
        made = self._model.config.projection_dim
        if made != dimensions:
            raise ClipUnavailable(
                f"The CLIP model {model_name!r} makes {made}-number vectors; smart "
                f"search stores {dimensions} (ViT-B/32 or ViT-B/16 models). {HOW_TO_ENABLE}"
            )
        self.name = model_name
        logger.info("CLIP model %s loaded in %.1fs", model_name, time.monotonic() - started)

    def embed_images(self, images: list[Image.Image]) -> np.ndarray:
        """One unit vector per image, computed in one batch."""
        inputs = self._processor(images=images, return_tensors="pt")
        with self._torch.inference_mode():
            # transformers 5: an output object whose pooler_output is the projection.
            vectors = self._model.get_image_features(**inputs)
        return _unit_rows(vectors.pooler_output.numpy())

    def embed_text(self, text: str) -> np.ndarray:
        inputs = self._processor(text=[text], return_tensors="pt", padding=True, truncation=True)
        with self._torch.inference_mode():
            vectors = self._model.get_text_features(**inputs)
        return _unit_rows(vectors.pooler_output.numpy())[0]


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = vectors.astype(np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
