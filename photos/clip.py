"""CLIP for smart search: photos and words in one vector space.

The only module of the photos app that touches torch and transformers, imported
lazily. ``get_clip()`` loads the model named by ``PHOTOS_CLIP_MODEL`` (a model hub id
or a local folder) once per process; when it is unset or cannot load, it raises
``ClipUnavailable`` whose message says how to enable smart search.
"""

import logging
import threading
import time

import numpy as np
from django.conf import settings
from PIL import Image

# The face engine's CLIP error: smart search raises it too, saying how to turn it on.
from faces.backends.clip import ClipUnavailable

logger = logging.getLogger(__name__)

# The pgvector column has a fixed size: ViT-B/32 and ViT-B/16 both project to 512.
DIMENSIONS = 512

HOW_TO_ENABLE = (
    "Set PHOTOS_CLIP_MODEL to a CLIP model: a model hub id such as "
    "openai/clip-vit-base-patch32 on a machine with internet access, or a local folder "
    "holding a saved CLIP model (README, 'CLIP weights'), then restart the app and run "
    "`python manage.py clip_index`."
)


class ClipModel:
    """Both CLIP towers: unit vectors for photos (batched) and for text."""

    def __init__(self, *, model_name: str) -> None:
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
        dimensions = self._model.config.projection_dim
        if dimensions != DIMENSIONS:
            raise ClipUnavailable(
                f"The CLIP model {model_name!r} makes {dimensions}-number vectors; smart "
                f"search stores {DIMENSIONS} (ViT-B/32 or ViT-B/16 models). {HOW_TO_ENABLE}"
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


def get_clip() -> ClipModel:
    """The configured model, loaded once per process, or ClipUnavailable."""
    return _load(settings.PHOTOS_CLIP_MODEL)


def clip_status() -> tuple[bool, str]:
    """(enabled, explanation) for pages and commands; never raises."""
    try:
        model = get_clip()
    except ClipUnavailable as error:
        return False, str(error)
    return True, f"Smart search uses the CLIP model {model.name}."


_loaded: dict[str, ClipModel | ClipUnavailable] = {}
_loading = threading.Lock()


def _load(model_name: str) -> ClipModel:
    """Load once per process; a failure is remembered too, so a page never retries a
    slow hub lookup on every request (a restart picks up newly installed weights)."""
    with _loading:
        if model_name not in _loaded:
            try:
                if not model_name:
                    raise ClipUnavailable(
                        f"Smart search is off: no CLIP model is configured. {HOW_TO_ENABLE}"
                    )
                _loaded[model_name] = ClipModel(model_name=model_name)
            except ClipUnavailable as error:
                _loaded[model_name] = error
        result = _loaded[model_name]
    if isinstance(result, ClipUnavailable):
        raise result
    return result


def forget_loaded_models() -> None:
    """Tests switch models between cases."""
    _loaded.clear()
