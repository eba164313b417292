"""The CLIP path, with a tiny randomly initialised model saved to a folder."""

import numpy as np
import pytest
from django.core.exceptions import ImproperlyConfigured
from PIL import Image

from faces.engines import get_embedder
from ml import loader
from ml.base import Box
from ml.clip import ClipUnavailable
from ml.embedders.clip_face import ClipEmbedder
from tests.clip_models import save_tiny_clip


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    return save_tiny_clip(tmp_path_factory.mktemp("tiny-clip"), projection_dim=24)


def test_clip_embeds_face_crops_into_unit_vectors(tiny_clip, images, settings):
    settings.FACES_CLIP_MODEL = str(tiny_clip)
    embedder = loader.get_embedder("clip", dimensions=(24,))
    image = np.asarray(Image.open(images["group6.jpg"]).convert("RGB"))
    boxes = [Box(465, 266, 102, 144, 0.9), Box(748, 352, 99, 122, 0.9)]
    vectors = embedder.embed(image, boxes)
    assert vectors.shape == (2, 24)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(vectors[0], vectors[1])
    assert embedder.name == f"clip:{tiny_clip}"


def test_missing_clip_weights_say_how_to_provide_them(tmp_path):
    embedder = ClipEmbedder(model_name=str(tmp_path / "no-model-here"))
    with pytest.raises(ClipUnavailable, match="FACES_CLIP_MODEL"):
        embedder.load()


def test_an_embedder_whose_vectors_do_not_fit_the_face_column_is_refused(tiny_clip, settings):
    """The demo's CLIP face embedder makes 24 (here; 512 for real) numbers: faces are
    stored with 128, so it is refused when loaded, not on every photo's save."""
    settings.FACES_CLIP_MODEL = str(tiny_clip)
    settings.FACES_EMBEDDER = "clip"
    with pytest.raises(ImproperlyConfigured, match="makes 24-number vectors, but faces are"):
        get_embedder()
