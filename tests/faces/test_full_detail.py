"""Small faces of a camera-size photo are embedded from its full pixels, not from the
reduced copy the detector reads (faces.analysis.full_detail)."""

import io

import numpy as np
import pytest
from PIL import Image

from faces.analysis import (
    ANALYSIS_SIDE,
    FULL_DETAIL_BELOW_PX,
    FaceRules,
    FoundFace,
    detail_for,
    detect_faces,
    embed_faces,
    full_detail,
    wants_full_detail,
)
from faces.engines import get_detector, get_embedder
from faces.models import Face, vector_model
from faces.processing import process_photo
from ml.base import Box
from photos.images import ImageError, open_image
from photos.services import add_photo


def camera_photo(images, *, side=5200, face_px=120) -> bytes:
    """A camera-size JPEG (long side ``side``) with Obama's face ``face_px`` wide in it:
    the analysis copy holds it at half size or less."""
    with Image.open(images["obama.jpg"]) as portrait:
        portrait = portrait.convert("RGB")
        boxes = get_detector().detect(np.asarray(portrait))
        box = max(boxes, key=lambda b: b.area)
        scale = face_px / box.width
        small = portrait.resize((round(portrait.width * scale), round(portrait.height * scale)))
    canvas = Image.new("RGB", (side, side * 2 // 3), (90, 110, 95))
    canvas.paste(small, (side // 3, side // 5))
    data = io.BytesIO()
    canvas.save(data, "JPEG", quality=92)
    return data.getvalue()


def decoded(data: bytes, side: int | None = ANALYSIS_SIDE):
    return open_image(io.BytesIO(data), max_pixels=10**9, decode_side=side)


def test_only_small_faces_of_a_reduced_copy_want_the_full_pixels(images):
    data = camera_photo(images)
    copy = decoded(data)
    assert copy.scale <= 0.5
    faces = detect_faces(copy, detector=get_detector(), rules=FaceRules())
    assert faces and all(f.box.short_side < FULL_DETAIL_BELOW_PX for f in faces)
    assert wants_full_detail(copy, faces)
    whole = decoded(data, side=None)  # not reduced: nothing to gain
    assert not wants_full_detail(
        whole, detect_faces(whole, detector=get_detector(), rules=FaceRules())
    )
    big = FoundFace(Box(0, 0, 200, 200, 1.0), Box(0, 0, 400, 400, 1.0), 0.0, True)
    assert not wants_full_detail(copy, [big])


def test_the_strip_holds_each_small_face_with_its_surroundings_from_the_full_pixels(images):
    data = camera_photo(images)
    copy, full = decoded(data), decoded(data, side=None)
    faces = detect_faces(copy, detector=get_detector(), rules=FaceRules())
    big = FoundFace(Box(10, 10, 300, 300, 1.0), Box(20, 20, 600, 600, 1.0), 0.0, True)
    detail = full_detail(full, [*faces, big])
    assert set(detail.boxes) == set(range(len(faces)))  # the big face stays with the copy
    pixels = np.asarray(full.image)
    for index, box in detail.boxes.items():
        source = faces[index].full_box
        assert (box.width, box.height) == (source.width, source.height)
        inside = detail.pixels[box.y : box.y + box.height, box.x : box.x + box.width]
        original = pixels[source.y : source.y + source.height, source.x : source.x + source.width]
        assert np.array_equal(inside, original)


def test_small_faces_are_embedded_from_the_full_pixels(images):
    data = camera_photo(images)
    copy, full = decoded(data), decoded(data, side=None)
    embedder = get_embedder()
    faces = detect_faces(copy, detector=get_detector(), rules=FaceRules())
    from_copy = embed_faces(copy, faces, embedder)
    with_detail = embed_faces(copy, faces, embedder, full_detail(full, faces))
    direct = embedder.embed(np.asarray(full.image), [f.full_box for f in faces])
    for copied, detailed, reference in zip(from_copy, with_detail, direct, strict=True):
        assert np.linalg.norm(detailed.embedding - reference) < 0.02  # the full pixels'
        assert np.linalg.norm(detailed.embedding - copied.embedding) > 0.02  # not the copy's
        assert detailed.box == copied.box  # stored boxes unchanged


def test_a_failing_full_decode_leaves_the_faces_to_the_copy(images):
    copy = decoded(camera_photo(images))
    faces = detect_faces(copy, detector=get_detector(), rules=FaceRules())

    def broken():
        raise ImageError("This image is damaged or truncated, so it cannot be read.")

    assert detail_for(copy, faces, broken) is None


@pytest.mark.django_db
def test_processing_a_camera_photo_stores_the_full_pixels_vectors(album, images):
    data = camera_photo(images)
    photo = add_photo(album=album, fp=io.BytesIO(data), original_filename="cam.jpg", queue=False)
    process_photo(photo_id=photo.photo.pk)
    face = Face.objects.get(photo=photo.photo)
    embedder = get_embedder()
    row = vector_model(embedder.dimensions).objects.get(face=face, embedder=embedder.name)
    stored = np.asarray(row.embedding, dtype=np.float32)
    full = decoded(data, side=None)
    box = Box(face.x, face.y, face.width, face.height, face.score)
    reference = embedder.embed(np.asarray(full.image), [box])[0]
    assert np.linalg.norm(stored - reference) < 0.05


@pytest.mark.django_db
def test_re_embedding_a_camera_photo_gives_the_vectors_its_processing_stored(album, images):
    """A model change re-embeds stored faces as processing embeds them: small faces of
    a reduced copy from the full pixels too, or the two models would see different
    pixels."""
    from faces.processing import load_photo, load_photo_full
    from faces.reembedding import embed_stored_faces

    data = camera_photo(images)
    added = add_photo(album=album, fp=io.BytesIO(data), original_filename="cam.jpg", queue=False)
    photo = process_photo(photo_id=added.photo.pk)
    faces = list(photo.faces.all())
    embedder = get_embedder()
    stored = vector_model(embedder.dimensions).objects.get(face=faces[0], embedder=embedder.name)
    loaded = load_photo(photo=photo)
    again = embed_stored_faces(
        loaded, faces, embedder, decode_full=lambda: load_photo_full(photo=photo)
    )
    from_copy = embed_stored_faces(loaded, faces, embedder)
    assert np.linalg.norm(again[0] - np.asarray(stored.embedding)) < 0.01
    assert np.linalg.norm(from_copy[0] - np.asarray(stored.embedding)) > 0.02
