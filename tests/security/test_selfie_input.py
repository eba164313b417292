"""The anonymous selfie: bounded memory, never on disk, one face embedded, no reuse of
event faces; hostile files through the production server answer clearly."""

import io
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from faces import selfies
from faces.engines import get_embedder
from faces.processing import process_photo
from photos.models import Photo
from photos.services import add_photo
from tests import bad_files
from tests.live import HttpClient, production_server

ROOT = Path(__file__).resolve().parent.parent.parent


def search_url(event) -> str:
    return reverse("attendees:search", args=[event.attendee_token])


def post_selfie(client, event, data: bytes, name="me.jpg"):
    return client.post(
        search_url(event), {"selfie": SimpleUploadedFile(name, data), "consent": "on"}, follow=True
    )


@pytest.fixture
def group_event(event, album, images):
    with images["group6.jpg"].open("rb") as fp:
        added = add_photo(album=album, fp=fp, original_filename="group.jpg", queue=False)
    process_photo(photo_id=added.photo.pk)
    return event


# --- 1. memory --------------------------------------------------------------------------

MEASURE = """
import io, resource, sys
sys.path.insert(0, {root!r})
from photos.images import open_image
data = open({path!r}, "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
loaded = open_image(io.BytesIO(data), max_pixels=10**9, decode_side=2400)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(loaded.image.mode, loaded.image.size, (after - before) // 1024)
"""


def test_a_16_bit_png_is_decoded_without_a_float_copy(tmp_path):
    """36 megapixels of 16-bit grey: 72 MB as decoded; the old float64 path took ~900 MB."""
    path = tmp_path / "grey16.png"
    path.write_bytes(bad_files.sixteen_bit_grey_png(6000, 6000))
    script = MEASURE.format(root=str(ROOT), path=str(path))
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    mode, *_, grown_mb = result.stdout.split()
    assert mode == "RGB"
    assert int(grown_mb) < 250, result.stdout  # decode (72 MB) + reduced copies


def test_a_selfie_past_its_own_pixel_cap_is_refused_before_decoding(client, event, settings):
    settings.SELFIE_MAX_PIXELS = 50_000_000
    response = post_selfie(client, event, bad_files.sixteen_bit_grey_png(10_000, 10_000), "big.png")
    assert response.status_code == 400
    assert "the limit is 50 megapixels" in response.content.decode()


def test_other_formats_are_reduced_before_conversion(images):
    from photos.images import open_image

    big = Image.open(images["astronaut.png"]).resize((4096, 4096))
    data = io.BytesIO()
    big.save(data, "PNG")
    loaded = open_image(io.BytesIO(data.getvalue()), max_pixels=10**8, decode_side=1000)
    assert loaded.image.size == (1024, 1024)  # reduced by 4, like a JPEG draft
    assert (loaded.width, loaded.height) == (4096, 4096)


def test_selfie_decodes_are_bounded_per_process(client, event, settings):
    settings.SELFIE_DECODE_SLOTS = 1
    settings.SELFIE_DECODE_WAIT_SECONDS = 0.2
    taken, release = threading.Event(), threading.Event()

    def hold_the_only_slot():
        with selfies.decoding_slot():
            taken.set()
            release.wait(30)

    holder = threading.Thread(target=hold_the_only_slot)
    holder.start()
    try:
        taken.wait(10)
        response = post_selfie(client, event, bad_files.truncated_jpeg())
    finally:
        release.set()
        holder.join()
    assert response.status_code == 503
    assert "Many people are searching right now" in response.content.decode()
    assert response["Retry-After"]


# --- 4. never on disk ----------------------------------------------------------------


def test_a_selfie_never_goes_through_a_temporary_file(
    client, group_event, images, settings, tmp_path, monkeypatch
):
    temp = tmp_path / "upload-temp"
    temp.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(temp)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # Django's default handler would spill
    seen = []
    original = selfies.read_selfie

    def watch(*, fp, **kwargs):
        seen.append(type(fp).__name__)
        return original(fp=fp, **kwargs)

    monkeypatch.setattr(selfies, "read_selfie", watch)
    response = post_selfie(client, group_event, images["obama2.jpg"].read_bytes())
    assert response.status_code == 200
    assert seen == ["InMemoryUploadedFile"]
    assert list(temp.iterdir()) == []


def test_an_oversized_selfie_is_refused_before_its_body_is_read(client, event, settings):
    settings.SELFIE_MAX_BYTES = 100_000
    response = post_selfie(client, event, b"\xff" * 300_000)
    assert response.status_code == 413
    assert "larger than" in response.content.decode()


def test_a_body_that_lies_about_its_size_is_cut_off_at_the_limit(rf, event, settings):
    from photos.memory_uploads import MemoryUploadHandler, use_memory_upload_handler

    settings.SELFIE_MAX_BYTES = 100_000
    request = rf.post(
        search_url(event), {"selfie": SimpleUploadedFile("me.jpg", b"\xff" * 300_000)}
    )
    request.META["CONTENT_LENGTH"] = str(60_000)  # claims to be small
    handler = use_memory_upload_handler(request, field="selfie", max_bytes=100_000)
    assert isinstance(handler, MemoryUploadHandler)
    request.FILES  # noqa: B018 - parses the body through the handler
    assert "selfie" not in request.FILES
    assert handler.received <= 100_000 + handler.chunk_size


# --- 10. one face embedded ----------------------------------------------------------


def test_only_the_face_used_is_embedded(client, event, images, monkeypatch):
    embedder = get_embedder()
    boxes_embedded = []
    original = embedder.embed

    original_with_mirror = embedder.embed_with_mirror

    def counting(image, boxes):
        boxes_embedded.append(len(boxes))
        return original(image, boxes)

    def counting_with_mirror(image, boxes):
        boxes_embedded.append(len(boxes))
        return original_with_mirror(image, boxes)

    monkeypatch.setattr(embedder, "embed", counting)
    monkeypatch.setattr(embedder, "embed_with_mirror", counting_with_mirror)
    response = post_selfie(client, event, images["group6.jpg"].read_bytes())
    assert response.status_code == 200
    assert response.context["results"].face_count == 6
    assert b"We saw 6 faces in your picture and used the largest one" in response.content
    assert boxes_embedded == [1]  # the face used (with its mirror image), not 6 faces


# --- 8. faces of the event are not selfies ------------------------------------------


def test_a_face_cut_out_of_an_event_photo_is_refused(client, group_event, images):
    photo = Photo.objects.get()
    face = photo.faces.order_by("-width").first()
    image = Image.open(images["group6.jpg"]).convert("RGB")
    margin = face.width // 2
    crop = image.crop(
        (
            face.x - margin,
            face.y - margin,
            face.x + face.width + margin,
            face.y + face.height + margin,
        )
    ).resize((face.width * 3, face.height * 3))
    data = io.BytesIO()
    crop.save(data, "JPEG", quality=75)
    response = post_selfie(client, group_event, data.getvalue())
    assert response.status_code == 400
    assert "one of the event&#x27;s photos, or cut out of one" in response.content.decode()
    assert "attendee_results" not in client.session


def test_a_mirror_image_of_an_event_face_is_refused(client, event, album, images):
    """Flipping a face taken from one's results does not make it a new selfie: the
    selfie's search vector (averaged with its mirror image) lies 0.10 from the stored
    face, its plain embedding 0.16, past the reuse distance (0.12)."""
    from PIL import ImageOps

    with Image.open(images["tom_hanks.png"]) as picture:
        flipped = ImageOps.mirror(picture.convert("RGB"))
    stored = io.BytesIO()
    flipped.save(stored, "JPEG", quality=90)
    stored.seek(0)
    added = add_photo(album=album, fp=stored, original_filename="hanks.jpg", queue=False)
    process_photo(photo_id=added.photo.pk)
    response = post_selfie(client, event, images["tom_hanks.png"].read_bytes())
    assert response.status_code == 400
    assert "one of the event&#x27;s photos, or cut out of one" in response.content.decode()
    assert "attendee_results" not in client.session


def test_an_event_photo_itself_is_refused(client, group_event, images):
    response = post_selfie(client, group_event, images["group6.jpg"].read_bytes())
    assert response.status_code == 400
    assert "one of the event&#x27;s photos" in response.content.decode()


def test_a_new_photo_of_a_guest_is_not_mistaken_for_a_reused_face(client, event, album, images):
    with images["obama.jpg"].open("rb") as fp:
        added = add_photo(album=album, fp=fp, original_filename="obama.jpg", queue=False)
    process_photo(photo_id=added.photo.pk)
    response = post_selfie(client, event, images["obama2.jpg"].read_bytes())
    assert response.status_code == 200
    assert [p.pk for p in response.context["sure"]] == [added.photo.pk]


def test_organisers_may_search_with_a_face_from_their_event(owner_client, group_event, images):
    response = owner_client.post(
        reverse("faces:organiser_search"),
        {"selfie": SimpleUploadedFile("p.jpg", images["group6.jpg"].read_bytes())},
    )
    assert response.status_code == 200
    assert response.context["sure"]


# --- 2. the hostile corpus as production runs it --------------------------------------


def test_hostile_selfies_through_the_production_server(transactional_db, media_root, event, images):
    """No 500, a message for a person, nothing stored, memory back where it started."""
    limits = {"ATTENDEE_SEARCHES_PER_BROWSER": "1000", "ATTENDEE_SEARCHES_PER_ADDRESS": "1000"}
    with production_server(media_root, workers=1, threads=2, **limits) as server:
        client = HttpClient(server.url)
        url = f"/e/{event.attendee_token}/"
        assert client.get(url).status == 200
        # A real search first: the face models are loaded once, on first use.
        selfie = {"selfie": ("me.jpg", images["obama2.jpg"].read_bytes())}
        assert client.post(url + "search/", {"consent": "on"}, selfie).status == 303  # results
        baseline = server.memory_mb()
        answers, rounds = {}, []
        for _ in range(3):
            rounds.append(server.memory_mb())
            for name, make in bad_files.HOSTILE_SELFIES:
                response = client.post(
                    url + "search/", {"consent": "on"}, {"selfie": (name, make())}
                )
                answers[name] = (response.status, response.text)
        grown = server.memory_mb() - baseline
    for name, (status, text) in answers.items():
        assert status in (400, 413), f"{name}: {status}"
        assert "Traceback" not in text and "decompression bomb" not in text.lower()
    assert "too large to process" in answers["warning-range.png"][1]
    assert "the limit is 50 megapixels" in answers["grey16-100mp.png"][1]
    assert Photo.objects.count() == 0
    assert not any(p.is_file() for p in Path(media_root).rglob("*"))
    assert grown < 100, f"server memory grew by {grown:.0f} MB: {baseline:.0f} then {rounds}"
