"""A selfie searches with its face averaged with its mirror image; the check for a face
cut out of an event photo keeps comparing the face's own embedding."""

import io

import numpy as np
from PIL import Image, ImageOps

from faces import selfies
from faces.engines import get_embedder
from ml.base import Box


def test_a_mirrored_box_lands_on_the_same_face_with_its_landmarks_in_order():
    box = Box(10, 20, 30, 40, 0.9, (15.0, 30.0, 30.0, 30.0, 22.0, 38.0, 17.0, 50.0, 29.0, 50.0))
    mirrored = box.mirrored(100)
    assert (mirrored.x, mirrored.y, mirrored.width, mirrored.height) == (60, 20, 30, 40)
    xs = mirrored.landmarks[::2]
    assert xs == (70.0, 85.0, 78.0, 71.0, 83.0)  # eyes and mouth corners left to right
    assert xs[0] < xs[1] and xs[3] < xs[4]
    assert mirrored.mirrored(100) == box


def _read(image: Image.Image) -> selfies.Selfie:
    data = io.BytesIO()
    image.save(data, "JPEG", quality=95)
    data.seek(0)
    return selfies.read_selfie(fp=data)


def test_the_search_vector_is_the_face_and_its_mirror_image(images):
    photo = Image.open(images["obama.jpg"]).convert("RGB")
    name = get_embedder().name
    selfie = _read(photo)
    searched, plain = selfie.vector(name), selfie.plain_vector(name)
    assert abs(np.linalg.norm(searched) - 1) < 1e-5
    assert np.allclose(plain, selfie.face.embedding)
    assert 0.01 < np.linalg.norm(searched - plain) < 0.3
    # The same face seen the other way round (another photo's view of the other side)
    # is nearer the search vector than the plain embedding.
    flipped = _read(ImageOps.mirror(photo)).plain_vector(name)
    assert np.linalg.norm(searched - flipped) < np.linalg.norm(plain - flipped)


def test_without_the_mirror_the_face_alone_is_searched(images, settings):
    settings.FACES_SELFIE_MIRROR = False
    selfie = _read(Image.open(images["obama.jpg"]).convert("RGB"))
    name = get_embedder().name
    assert np.array_equal(selfie.vector(name), selfie.plain_vector(name))
