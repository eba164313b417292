"""The CLIP path, with a tiny randomly initialised model saved to a folder."""

import numpy as np
import pytest
from PIL import Image

from faces.backends import build_embedder
from faces.backends.base import Box
from faces.backends.clip import ClipEmbedder, ClipUnavailable


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    folder = tmp_path_factory.mktemp("tiny-clip")
    config = CLIPConfig(
        text_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_attention_heads": 2,
            "num_hidden_layers": 2,
            "vocab_size": 1000,
        },
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_attention_heads": 2,
            "num_hidden_layers": 2,
            "image_size": 64,
            "patch_size": 16,
        },
        projection_dim=24,
    )
    CLIPModel(config).save_pretrained(folder)
    CLIPImageProcessor(
        size={"shortest_edge": 64}, crop_size={"height": 64, "width": 64}
    ).save_pretrained(folder)
    return folder


def test_clip_embeds_face_crops_into_unit_vectors(tiny_clip, images, settings):
    settings.FACES_CLIP_MODEL = str(tiny_clip)
    embedder = build_embedder("clip")
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
