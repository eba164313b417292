"""The face engine on real photos: detection, embeddings, storage, bad input."""

import io

import numpy as np
import pytest
from django.test import TestCase
from PIL import Image

from faces import moderation, organiser_decisions, people_upkeep, processing, selfies
from faces.analysis import FaceRules, find_faces
from faces.calibration import calibration_for
from faces.engines import get_detector, get_embedder
from faces.models import EventEmbedder, Face, FaceVector128
from ml.embedders.dlib import DlibEmbedder
from photos.images import ImageError, open_image
from photos.models import Photo
from photos.services import add_photo
from tests import bad_files
from tests.factories import vector_of
from tests.sample_images import no_face_image


def add(album, path_or_bytes, name="photo.jpg"):
    fp = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes.open("rb")
    with fp:
        return add_photo(album=album, fp=fp, original_filename=name, queue=False).photo


def process(photo):
    return processing.process_photo(photo_id=photo.pk)


def test_every_face_of_a_group_photo_is_found(album, images):
    photo = process(add(album, images["group6.jpg"]))
    assert photo.processing_status == Photo.Status.DONE
    assert photo.faces.count() == 6
    faces = list(photo.faces.all())
    assert all(face.score > 0.8 and face.is_matchable for face in faces)
    assert len({face.x // 50 for face in faces}) == 6  # six separate places


def test_a_photo_without_faces_is_done_with_zero_faces(album):
    data = io.BytesIO()
    no_face_image().save(data, "JPEG")
    photo = process(add(album, data.getvalue()))
    assert (photo.processing_status, photo.faces.count()) == (Photo.Status.DONE, 0)
    assert photo.thumbnail.name and photo.preview.name


def _exif_rotated_copy(path) -> bytes:
    """The same photo stored sideways, with the EXIF tag that turns it upright."""
    upright = Image.open(path).convert("RGB")
    sideways = upright.transpose(Image.Transpose.ROTATE_90)  # stored turned left
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    data = io.BytesIO()
    sideways.save(data, "JPEG", quality=95, exif=exif.tobytes())
    return data.getvalue()


def test_an_exif_rotated_photo_gives_the_same_faces_as_the_upright_one(album, images):
    upright = process(add(album, images["obama.jpg"].read_bytes(), "upright.jpg"))
    rotated = process(add(album, _exif_rotated_copy(images["obama.jpg"]), "rotated.jpg"))
    assert (rotated.width, rotated.height) == (upright.width, upright.height)
    face_a, face_b = upright.faces.get(), rotated.faces.get()
    assert abs(face_a.x - face_b.x) < 15 and abs(face_a.y - face_b.y) < 15
    assert np.linalg.norm(vector_of(face_a) - vector_of(face_b)) < 0.15


def _selfie_embedding(path):
    with path.open("rb") as fp:
        return selfies.read_selfie(fp=fp).face.embedding


def test_the_same_person_matches_across_photos_and_another_does_not(album, images, settings):
    obama = process(add(album, images["obama.jpg"]))
    face = vector_of(obama.faces.get())
    same = np.linalg.norm(face - _selfie_embedding(images["obama2.jpg"]))
    other = np.linalg.norm(face - _selfie_embedding(images["biden.jpg"]))
    assert same < calibration_for(get_embedder().name).sure < other


def test_embeddings_are_unit_length_and_record_their_model(album, images):
    photo = process(add(album, images["group6.jpg"]))
    assert get_embedder().name == "dlib-resnet-v1"
    for face in photo.faces.all():
        assert np.linalg.norm(vector_of(face)) == pytest.approx(1.0, abs=1e-4)
    assert FaceVector128.objects.filter(photo=photo).count() == 6
    assert EventEmbedder.objects.get(event=album.event).embedder == "dlib-resnet-v1"


def test_processing_again_replaces_faces_instead_of_adding(album, images):
    photo = process(add(album, images["group6.jpg"]))
    first_ids = set(photo.faces.values_list("id", flat=True))
    photo = process(photo)
    assert photo.faces.count() == 6
    assert Face.objects.filter(photo=photo).count() == 6
    assert not first_ids & set(photo.faces.values_list("id", flat=True))


def test_hidden_faces_stay_hidden_when_detection_runs_again(album, images, staff):
    photo = process(add(album, images["group6.jpg"]))
    face = photo.faces.first()
    moderation.hide_faces(faces=Face.objects.filter(pk=face.pk), user=staff)
    assert vector_of(face) is None  # no vector kept for an opt-out
    process(photo)
    hidden = photo.faces.filter(status=Face.Status.HIDDEN)
    assert hidden.count() == 1
    assert (hidden.get().x, hidden.get().moderated_by) == (face.x, staff)
    assert vector_of(hidden.get()) is None
    assert FaceVector128.objects.filter(photo=photo, face__status=Face.Status.VISIBLE).count() == 5


class AnotherEmbedder(DlibEmbedder):
    """dlib under another name: what a model change looks like to the stored faces."""

    name = "another-embedder"


def test_an_opt_out_survives_another_detector_and_another_embedder(album, images, staff, settings):
    """The hide decision is a place in the photo, not a row of one model's faces."""
    photo = process(add(album, images["group6.jpg"]))
    face = photo.faces.order_by("-width").first()
    moderation.hide_faces(faces=Face.objects.filter(pk=face.pk), user=staff)
    settings.FACES_DETECTOR = "haar"  # other boxes, other sizes
    settings.FACES_EMBEDDER = "tests.faces.test_engine.AnotherEmbedder"
    process(photo)
    # The event still answers from dlib, so new faces get vectors from both embedders.
    assert set(FaceVector128.objects.filter(photo=photo).values_list("embedder", flat=True)) == {
        "another-embedder",
        "dlib-resnet-v1",
    }
    centre = (face.x + face.width / 2, face.y + face.height / 2)
    again = [
        f
        for f in photo.faces.all()
        if abs(f.x + f.width / 2 - centre[0]) < face.width / 2
        and abs(f.y + f.height / 2 - centre[1]) < face.height / 2
    ]
    assert again, "the detector should find the hidden face again"
    assert all(f.status == Face.Status.HIDDEN for f in again)
    assert not FaceVector128.objects.filter(face__in=again).exists()


def test_hiding_a_person_hides_them_now_and_in_photos_added_later(album, images, staff):
    first = process(add(album, images["obama.jpg"], "a.jpg"))
    second = process(add(album, images["obama2.jpg"], "b.jpg"))
    other = process(add(album, images["biden.jpg"], "c.jpg"))
    people_upkeep.group_event_faces(event_id=album.event_id)
    person = first.faces.get().grouping.person
    assert second.faces.get().person == person.pk
    assert other.faces.get().person != person.pk
    count = organiser_decisions.hide(person=person, user=staff)
    assert count == 2
    assert set(Face.objects.filter(status="hidden").values_list("photo_id", flat=True)) == {
        first.pk,
        second.pk,
    }
    assert not FaceVector128.objects.filter(face__status="hidden").exists()
    assert other.faces.get().status == Face.Status.VISIBLE
    person.refresh_from_db()
    assert person.is_hidden and person.hidden_by == staff and person.seed["dlib-resnet-v1"]
    # A photo of the same man added afterwards: hidden as it is stored, never searchable.
    later = process(add(album, images["obama3.jpg"], "d.jpg"))
    face = later.faces.get()
    assert face.status == Face.Status.HIDDEN and face.person == person.pk
    assert not FaceVector128.objects.filter(face=face).exists()
    assert later.hidden_areas.count() == 1  # and stays hidden if detected again
    # The stranger's photo added afterwards is not.
    process(add(album, images["group6.jpg"], "e.jpg"))
    assert Face.objects.filter(status="hidden").count() == 3


def test_restoring_a_face_computes_its_vector_again(album, images, staff):
    photo = process(add(album, images["obama.jpg"]))
    faces = Face.objects.filter(photo=photo)
    moderation.hide_faces(faces=faces, user=staff)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert moderation.restore_faces(faces=faces, user=staff) == 1
    restored = Face.objects.get(photo=photo)
    assert restored.status == Face.Status.VISIBLE and vector_of(restored) is not None
    assert not photo.hidden_areas.exists()


def test_a_photo_that_cannot_be_decoded_ends_failed_with_its_reason(album, images):
    photo = add(album, images["obama.jpg"])
    with photo.file.open("wb") as fp:  # damaged on disk after upload
        fp.write(bad_files.truncated_jpeg())
    photo = process(photo)
    assert photo.processing_status == Photo.Status.FAILED
    assert "damaged or truncated" in photo.processing_error
    assert photo.faces.count() == 0


def test_a_photo_being_processed_elsewhere_is_not_claimed_twice(album, images):
    photo = add(album, images["obama.jpg"])
    assert processing.claim_photo(photo_id=photo.pk) is True
    assert processing.claim_photo(photo_id=photo.pk) is False
    assert processing.process_photo(photo_id=photo.pk) is None


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "not an image"),
        (b"just some text, not a photo", "not an image"),
        (bad_files.html_renamed_jpg(), "not an image"),
        (bad_files.truncated_jpeg(), "damaged or truncated"),
        (bad_files.png_with_huge_header(), "too large"),
        (bad_files.gif_image(), "GIF files are not accepted"),
    ],
)
def test_bad_images_give_clear_errors(data, message):
    with pytest.raises(ImageError, match=message):
        open_image(io.BytesIO(data), max_pixels=100_000_000)


@pytest.mark.parametrize("mode", ["L", "RGBA", "I;16", "P", "CMYK"])
def test_every_pixel_format_becomes_rgb(images, mode):
    source = Image.open(images["obama.jpg"]).convert("RGB").resize((300, 375))
    if mode == "I;16":
        image = Image.fromarray(np.asarray(source.convert("L"), dtype=np.uint16) * 256)
    else:
        image = source.convert(mode)
    data = io.BytesIO()
    image.save(data, "TIFF" if mode == "CMYK" else "PNG")
    if mode == "CMYK":
        data = io.BytesIO()
        image.save(data, "JPEG")
    loaded = open_image(io.BytesIO(data.getvalue()), max_pixels=10**8)
    assert loaded.image.mode == "RGB" and loaded.image.size == (300, 375)
    faces = find_faces(loaded, detector=get_detector(), embedder=get_embedder(), rules=FaceRules())
    assert len(faces) == 1


def test_photos_left_processing_by_a_dead_worker_are_requeued_or_failed(album, images, settings):
    import datetime as dt

    from django.test import TestCase
    from django.utils import timezone

    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 60, "retry": 90, "max_attempts": 2}
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    retried = add(album, images["obama.jpg"].read_bytes(), "a.jpg")
    exhausted = add(album, images["group6.jpg"].read_bytes(), "b.jpg")
    fresh = add(album, images["biden.jpg"].read_bytes(), "c.jpg")
    Photo.objects.filter(pk=retried.pk).update(
        processing_status="processing", processing_started_at=long_ago, processing_attempts=1
    )
    Photo.objects.filter(pk=exhausted.pk).update(
        processing_status="processing", processing_started_at=long_ago, processing_attempts=2
    )
    Photo.objects.filter(pk=fresh.pk).update(
        processing_status="processing", processing_started_at=timezone.now(), processing_attempts=1
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert processing.requeue_stale_photos() == 2
    states = dict(Photo.objects.values_list("original_filename", "processing_status"))
    assert states == {"a.jpg": "done", "b.jpg": "failed", "c.jpg": "processing"}
    assert "interrupted" in Photo.objects.get(pk=exhausted.pk).processing_error


def test_the_torch_embedder_gives_dlibs_own_vectors(images):
    from ml.embedders.dlib import DlibEmbedder
    from ml.embedders.dlib_torch import DlibTorchEmbedder

    pixels = np.asarray(Image.open(images["group6.jpg"]).convert("RGB"))
    boxes = get_detector().detect(pixels)
    native, torch_port = DlibEmbedder(), DlibTorchEmbedder(threads=1)
    assert native.name == torch_port.name  # interchangeable: no re-embedding needed
    difference = np.abs(native.embed(pixels, boxes) - torch_port.embed(pixels, boxes)).max()
    assert difference < 1e-4


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("step", ["claim_photo", "store_faces"])  # at the claim, mid-way
def test_a_database_outage_is_ridden_out_on_the_same_claim(step, album, images, monkeypatch):
    from django.db import OperationalError

    real_step = getattr(processing, step)
    calls = []

    def once_failing(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_step(**kwargs)

    monkeypatch.setattr(processing, step, once_failing)
    photo = process(add(album, images["obama.jpg"]))
    assert len(calls) == 2
    assert photo.processing_status == Photo.Status.DONE and photo.faces.count() == 1
    assert photo.processing_attempts == 1  # one claim, not a second attempt


def test_a_database_that_stays_away_is_given_up_on_with_its_error():
    from django.db import OperationalError

    from core.db import through_database_outage

    waits = []

    def always_down():
        raise OperationalError("connection refused")

    with pytest.raises(OperationalError, match="connection refused"):
        through_database_outage(always_down, give_up_after=20, sleep=waits.append)
    assert waits == [1.0, 2.0, 4.0, 8.0]  # the next wait, 15 s, would pass the deadline


def test_an_unexpected_failure_tells_the_organiser_what_to_do_and_logs_the_cause(
    album, images, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise OSError("image file is truncated (58 bytes not processed)")

    monkeypatch.setattr(processing, "detect_faces", broken)
    photo = process(add(album, images["obama.jpg"]))
    assert photo.processing_status == Photo.Status.FAILED
    assert photo.processing_error == processing.UNEXPECTED_FAILURE
    assert "bytes not processed" not in photo.processing_error
    assert "58 bytes not processed" in caplog.text  # the cause, for the administrator
