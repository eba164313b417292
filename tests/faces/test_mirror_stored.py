"""Small faces are stored as their embedding averaged with their mirror image's
(faces.calibration: mirror_below_px): group faces, small and often turned, come nearer to
their person. Larger faces, and faces too small to match, keep their plain embedding."""

import io

import numpy as np
import pytest
from PIL import Image

from faces.analysis import (
    FaceRules,
    FoundFace,
    detect_faces,
    embed_faces,
)
from faces.calibration import calibrated
from faces.engines import get_detector, get_embedder
from faces.models import Face, vector_model
from faces.processing import process_photo
from photos.images import open_image
from photos.services import add_photo

SMALL_PX, LARGE_PX = 60, 200
MIRROR_BELOW_PX = calibrated("dlib").mirror_below_px


def two_sizes_photo(images, quality: int = 92) -> bytes:
    """Obama's face twice in one 1600x1000 photo: 60 px and 200 px wide."""
    with Image.open(images["obama.jpg"]) as portrait:
        portrait = portrait.convert("RGB")
        box = max(get_detector().detect(np.asarray(portrait)), key=lambda b: b.area)
        canvas = Image.new("RGB", (1600, 1000), (90, 110, 95))
        for face_px, left in ((SMALL_PX, 150), (LARGE_PX, 700)):
            scale = face_px / box.width
            canvas.paste(
                portrait.resize((round(portrait.width * scale), round(portrait.height * scale))),
                (left, 150),
            )
    data = io.BytesIO()
    canvas.save(data, "JPEG", quality=quality)
    return data.getvalue()


def unit(vector) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float64)
    return vector / np.linalg.norm(vector)


def found_faces(data: bytes):
    loaded = open_image(io.BytesIO(data), max_pixels=10**9)
    faces = sorted(
        detect_faces(loaded, detector=get_detector(), rules=FaceRules()),
        key=lambda face: face.full_box.short_side,
    )
    assert len(faces) == 2
    small, large = faces
    assert small.full_box.short_side < MIRROR_BELOW_PX <= large.full_box.short_side
    assert small.is_matchable and large.is_matchable
    return loaded, small, large


def references(loaded, face: FoundFace) -> tuple[np.ndarray, np.ndarray]:
    """(plain embedding, plain averaged with mirror) of one face, embedded alone."""
    plain, mirror = get_embedder().embed_with_mirror(loaded.as_array(), [face.box])
    return plain[0], unit(plain[0] + mirror[0])


def test_a_small_face_is_stored_with_its_mirror_image_and_a_large_one_plain(images):
    loaded, small, large = found_faces(two_sizes_photo(images))
    embedded = embed_faces(loaded, [large, small], get_embedder())
    small_plain, small_mirrored = references(loaded, small)
    large_plain, large_mirrored = references(loaded, large)
    assert np.linalg.norm(embedded[1].embedding - small_mirrored) < 1e-4
    assert np.linalg.norm(embedded[1].embedding - small_plain) > 0.02
    assert np.linalg.norm(embedded[0].embedding - large_plain) < 1e-4
    assert np.linalg.norm(embedded[0].embedding - large_mirrored) > 0.02
    assert np.isclose(np.linalg.norm(embedded[1].embedding), 1.0, atol=1e-5)


def test_a_face_too_small_or_blurred_to_match_keeps_its_plain_embedding(images):
    loaded, small, _ = found_faces(two_sizes_photo(images))
    unmatchable = FoundFace(small.box, small.full_box, small.sharpness, is_matchable=False)
    (embedded,) = embed_faces(loaded, [unmatchable], get_embedder())
    plain, _ = references(loaded, small)
    assert np.linalg.norm(embedded.embedding - plain) < 1e-4


def test_a_selfie_without_the_mirror_setting_is_searched_with_its_face_alone(images, settings):
    from faces.selfies import read_selfie

    settings.FACES_SELFIE_MIRROR = False
    with Image.open(images["obama.jpg"]) as portrait:
        small = portrait.convert("RGB").resize((portrait.width // 4, portrait.height // 4))
    data = io.BytesIO()
    small.save(data, "JPEG", quality=95)
    selfie = read_selfie(fp=io.BytesIO(data.getvalue()))
    assert selfie.face.box.short_side < MIRROR_BELOW_PX
    name = get_embedder().name
    loaded = open_image(io.BytesIO(data.getvalue()), max_pixels=10**9)
    (plain,) = get_embedder().embed(loaded.as_array(), [selfie.face.box])
    assert np.linalg.norm(selfie.vector(name) - plain) < 1e-4


@pytest.mark.django_db
def test_processing_stores_the_small_face_with_its_mirror_image(album, images):
    data = two_sizes_photo(images)
    added = add_photo(album=album, fp=io.BytesIO(data), original_filename="two.jpg", queue=False)
    process_photo(photo_id=added.photo.pk)
    embedder = get_embedder()
    stored = {
        face.width < MIRROR_BELOW_PX: np.asarray(
            vector_model(embedder.dimensions)
            .objects.get(face=face, embedder=embedder.name)
            .embedding
        )
        for face in Face.objects.filter(photo=added.photo)
    }
    loaded, small, large = found_faces(data)
    assert np.linalg.norm(stored[True] - references(loaded, small)[1]) < 0.01
    assert np.linalg.norm(stored[False] - references(loaded, large)[0]) < 0.01


def test_an_embedder_calibrated_without_the_mirror_stores_every_face_plain(images):
    """ArcFace's thresholds were tuned on plain vectors and the mirror was never
    measured for it (faces.calibration): its small faces stay plain."""
    dlib = get_embedder()

    class CalibratedAsArcface:
        name = "arcface-w600k_mbf-test"
        dimensions = dlib.dimensions
        embed = staticmethod(dlib.embed)
        embed_with_mirror = staticmethod(dlib.embed_with_mirror)

    assert calibrated(CalibratedAsArcface.name).mirror_below_px == 0
    loaded, small, _ = found_faces(two_sizes_photo(images))
    (embedded,) = embed_faces(loaded, [small], CalibratedAsArcface())
    plain, _ = references(loaded, small)
    assert np.linalg.norm(embedded.embedding - plain) < 1e-4


@pytest.mark.django_db
def test_re_embedding_gives_every_face_the_vector_its_processing_stored(album, images, settings):
    """A model change re-embeds stored faces as processing embedded them: a small face
    too small to match (here: under a raised matching size) stays plain."""
    from faces.processing import load_photo
    from faces.reembedding import embed_stored_faces

    settings.FACES_MIN_MATCH_FACE_PX = 100  # the 60 px face is stored, not matchable
    data = two_sizes_photo(images)
    added = add_photo(album=album, fp=io.BytesIO(data), original_filename="two.jpg", queue=False)
    photo = process_photo(photo_id=added.photo.pk)
    faces = sorted(photo.faces.all(), key=lambda face: face.width)
    assert faces[0].width < MIRROR_BELOW_PX and not faces[0].is_matchable
    embedder = get_embedder()
    again = embed_stored_faces(load_photo(photo=photo), faces, embedder)
    for face, vector in zip(faces, again, strict=True):
        stored = vector_model(embedder.dimensions).objects.get(face=face, embedder=embedder.name)
        assert np.linalg.norm(vector - np.asarray(stored.embedding)) < 0.01
