"""Album uploads through the web endpoint: photos, zips, and every rejection."""

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from PIL import Image

from faces.models import Face
from photos.models import FileDeletion, Photo, ZipImport
from tests import bad_files
from tests.sample_images import no_face_image


def upload(client, album, *files):
    url = reverse("photos:album_upload", args=[album.pk])
    uploads = [SimpleUploadedFile(name, data) for name, data in files]
    with TestCase.captureOnCommitCallbacks(execute=True):  # queued tasks run (sync mode)
        return client.post(url, {"files": uploads})


def results(response):
    assert response.status_code == 200, response.content
    return {r["name"]: r for r in response.json()["results"]}


def jpeg(image=None, **options) -> bytes:
    data = io.BytesIO()
    (image or no_face_image()).save(data, "JPEG", **options)
    return data.getvalue()


def test_photos_are_stored_processed_and_counted(owner_client, album, images):
    response = upload(owner_client, album, ("group.jpg", images["group6.jpg"].read_bytes()))
    added = results(response)["group.jpg"]
    assert added["status"] == "added"
    photo = Photo.objects.get(pk=added["photo_id"])
    assert photo.processing_status == Photo.Status.DONE and photo.faces.count() == 6
    assert photo.thumbnail.name and photo.preview.name
    progress = owner_client.get(reverse("photos:album_progress", args=[album.pk])).json()
    assert (progress["total"], progress["done"], progress["counts"]["faces"]) == (1, 1, 6)


def test_a_duplicate_is_skipped_and_said_so(owner_client, album, images):
    data = images["obama.jpg"].read_bytes()
    upload(owner_client, album, ("a.jpg", data))
    second = results(upload(owner_client, album, ("b.jpg", data)))["b.jpg"]
    assert second["status"] == "duplicate" and "Already in this event" in second["reason"]
    assert Photo.objects.count() == 1


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("empty.jpg", b"", "This file is empty"),
        ("page.jpg", bad_files.html_renamed_jpg(), "not an image"),
        ("cut.jpg", bad_files.truncated_jpeg(), "damaged or truncated"),
        ("bomb.png", bad_files.png_with_huge_header(), "too large"),
        ("anim.gif", bad_files.gif_image(), "GIF files are not accepted"),
    ],
)
def test_bad_files_are_rejected_with_their_reason_and_leave_nothing(
    owner_client, album, media_root, name, data, reason
):
    result = results(upload(owner_client, album, (name, data)))[name]
    assert result["status"] == "rejected" and reason in result["reason"]
    assert Photo.objects.count() == 0
    assert not [p for p in media_root.rglob("*") if p.is_file()]


def test_one_bad_file_does_not_fail_the_others(owner_client, album, images):
    response = upload(
        owner_client, album, ("bad.jpg", b"nope"), ("good.jpg", images["obama.jpg"].read_bytes())
    )
    statuses = {name: r["status"] for name, r in results(response).items()}
    assert statuses == {"bad.jpg": "rejected", "good.jpg": "added"}


def test_too_many_files_in_one_request_are_refused(owner_client, album, settings):
    settings.PHOTOS_MAX_FILES_PER_REQUEST = 2
    response = upload(owner_client, album, *[(f"{i}.jpg", jpeg()) for i in range(3)])
    assert response.status_code == 400 and "At most 2 files" in response.json()["error"]


def test_a_file_over_the_size_limit_is_rejected(owner_client, album, settings):
    settings.PHOTOS_MAX_UPLOAD_BYTES = 1000
    result = results(upload(owner_client, album, ("big.jpg", jpeg())))["big.jpg"]
    assert result["status"] == "rejected" and "limit is" in result["reason"]


def make_zip(entries, compression=zipfile.ZIP_STORED) -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", compression) as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return data.getvalue()


def test_a_zip_of_photos_is_unpacked_with_safe_names_only(owner_client, album, images):
    inner = make_zip([("x.jpg", jpeg())])
    archive = make_zip(
        [
            ("day1/obama.jpg", images["obama.jpg"].read_bytes()),
            ("day1/wall.jpg", jpeg(no_face_image(seed=4))),
            ("../escape.jpg", jpeg(no_face_image(seed=5))),
            ("/etc/passwd.jpg", jpeg(no_face_image(seed=6))),
            ("nested.zip", inner),
            ("notes.txt", b"hello"),
            ("__MACOSX/._obama.jpg", b"resource fork"),
        ]
    )
    found = results(upload(owner_client, album, ("party.zip", archive)))
    # The request stores the archive; a worker unpacks it (here, at once: sync mode).
    assert found["party.zip"]["status"] == "unpacking"
    job = ZipImport.objects.get()
    assert (job.status, job.entries_total, job.entries_done) == ("done", 7, 7)
    assert (job.added, job.duplicates) == (2, 0)
    problems = {p["name"]: p["reason"] for p in job.problems}
    assert "unsafe path" in problems["../escape.jpg"]
    assert "unsafe path" in problems["/etc/passwd.jpg"]
    assert "archives inside archives" in problems["nested.zip"]
    assert "not an image" in problems["notes.txt"]
    assert len(problems) == 4  # the __MACOSX entry is skipped silently
    names = set(Photo.objects.values_list("original_filename", flat=True))
    assert names == {"day1/obama.jpg", "day1/wall.jpg"}
    # The archive is not kept once unpacked.
    assert job.file.name == ""
    assert default_storage.listdir("imports")[1] == []
    assert not FileDeletion.objects.exists()
    progress = owner_client.get(reverse("photos:album_progress", args=[album.pk])).json()
    assert progress["imports"][0]["added"] == 2 and progress["imports"][0]["rejected"] == 4


def test_an_interrupted_zip_import_resumes_after_its_last_entry(owner_client, album, monkeypatch):
    from photos import imports, services

    archive = make_zip([(f"p{i}.jpg", jpeg(no_face_image(seed=10 + i))) for i in range(3)])
    queued = []
    monkeypatch.setattr(imports, "queue", queued.append)  # the worker, by hand
    upload(owner_client, album, ("three.zip", archive))
    job = ZipImport.objects.get()
    # A task with no time left adds one photo, saves its place, queues the rest.
    imports.unpack(import_id=job.pk, add_entry=services.add_archive_entry, budget_seconds=0)
    job.refresh_from_db()
    assert (job.status, job.entries_done, job.added) == ("waiting", 1, 1)
    assert queued == [job.pk, job.pk]
    imports.unpack(import_id=job.pk, add_entry=services.add_archive_entry)
    job.refresh_from_db()
    assert (job.status, job.entries_done, job.added, job.duplicates) == ("done", 3, 3, 0)
    assert Photo.objects.count() == 3
    # Finished: a late duplicate of the task does nothing.
    assert imports.unpack(import_id=job.pk, add_entry=services.add_archive_entry) is None


def test_a_zip_bomb_is_refused(owner_client, album):
    bomb = make_zip([("zeros.jpg", b"\0" * 20_000_000)], zipfile.ZIP_DEFLATED)
    results(upload(owner_client, album, ("bomb.zip", bomb)))
    assert "zip bomb" in ZipImport.objects.get().problems[0]["reason"]
    assert Photo.objects.count() == 0


def test_a_damaged_zip_is_rejected(owner_client, album):
    broken = make_zip([("a.jpg", jpeg())])[:-30]
    found = results(upload(owner_client, album, ("broken.zip", broken)))
    reason = found["broken.zip"]["reason"]
    assert "cannot be opened" in reason and "Nothing in it was added" in reason
    assert "zip file" in reason and "File is not" not in reason and "(" not in reason


def test_an_entry_over_the_limit_states_the_same_limit_as_the_page(owner_client, album, settings):
    settings.PHOTOS_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
    page = owner_client.get(album.get_absolute_url()).content.decode()
    assert "up to 50 MB each" in page
    big = io.BytesIO()
    with zipfile.ZipFile(big, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("huge.jpg", b"\xff" * (51 * 1024 * 1024))
    results(upload(owner_client, album, ("big.zip", big.getvalue())))
    assert ZipImport.objects.get().problems == [
        {"name": "huge.jpg", "reason": "larger than the 50 MB limit per photo"}
    ]


def _with_exif(image: Image.Image, *, orientation=1, taken=None, offset=None) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
    if offset:
        exif.get_ifd(0x8769)[0x9011] = offset
    return jpeg(image, exif=exif.tobytes())


def test_exif_date_with_offset_and_orientation_are_read(owner_client, album):
    image = no_face_image((640, 480))
    data = _with_exif(image, orientation=6, taken="2024:06:01 18:30:00", offset="+02:00")
    photo_id = results(upload(owner_client, album, ("p.jpg", data)))["p.jpg"]["photo_id"]
    photo = Photo.objects.get(pk=photo_id)
    assert photo.taken_at == dt.datetime(2024, 6, 1, 16, 30, tzinfo=dt.UTC)
    assert (photo.width, photo.height) == (480, 640)  # turned upright


def test_exif_date_without_offset_is_local_time_and_garbage_is_ignored(
    owner_client, album, settings
):
    settings.TIME_ZONE = "UTC"
    ok = _with_exif(no_face_image(seed=1), taken="2023:12:31 23:59:59")
    bad = _with_exif(no_face_image(seed=2), taken="0000:00:00 00:00:00", orientation=99)
    found = results(upload(owner_client, album, ("ok.jpg", ok), ("bad.jpg", bad)))
    assert Photo.objects.get(pk=found["ok.jpg"]["photo_id"]).taken_at.year == 2023
    assert Photo.objects.get(pk=found["bad.jpg"]["photo_id"]).taken_at is None


def test_a_failed_photo_can_be_retried_successfully(owner_client, album, images):
    photo_id = results(upload(owner_client, album, ("o.jpg", images["obama.jpg"].read_bytes())))[
        "o.jpg"
    ]["photo_id"]
    photo = Photo.objects.get(pk=photo_id)
    Photo.objects.filter(pk=photo_id).update(
        processing_status="failed", processing_error="worker died"
    )
    Face.objects.filter(photo=photo).delete()
    progress = owner_client.get(reverse("photos:album_progress", args=[album.pk])).json()
    assert progress["failed_photos"][0]["error"] == "worker died"
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = owner_client.post(reverse("photos:photo_retry", args=[photo_id]))
    assert response.status_code == 302
    photo.refresh_from_db()
    assert (photo.processing_status, photo.faces.count(), photo.processing_error) == ("done", 1, "")


def test_organisers_download_an_album_or_the_event_as_uploaded(
    owner_client, client, other_user, album, images
):
    second = album.event.albums.create(title="Party / late")
    upload(owner_client, album, ("a.jpg", images["obama.jpg"].read_bytes()))
    upload(owner_client, second, ("b.jpg", images["biden.jpg"].read_bytes()))
    response = owner_client.get(reverse("photos:album_download", args=[album.pk]))
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.namelist() == ["a.jpg"]
    assert archive.read("a.jpg") == images["obama.jpg"].read_bytes()  # byte for byte
    response = owner_client.get(reverse("photos:event_download", args=[album.event_id]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == [f"{album.title}/a.jpg", "Party - late/b.jpg"]
    client.force_login(other_user)
    assert client.get(reverse("photos:album_download", args=[album.pk])).status_code == 404
    assert client.get(reverse("photos:event_download", args=[album.event_id])).status_code == 404


def test_deleting_an_album_deletes_an_archive_waiting_to_be_unpacked(
    owner_client, album, monkeypatch
):
    from photos import imports, services

    monkeypatch.setattr(imports, "queue", lambda import_id: None)  # no worker yet
    upload(owner_client, album, ("later.zip", make_zip([("a.jpg", jpeg())])))
    assert len(default_storage.listdir("imports")[1]) == 1
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.delete_album(album=album)
    assert default_storage.listdir("imports")[1] == []
    assert not ZipImport.objects.exists()


def test_an_import_whose_worker_died_is_queued_again_and_finishes(owner_client, album, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    from photos import imports, services

    queued = []
    monkeypatch.setattr(imports, "queue", queued.append)
    upload(owner_client, album, ("day.zip", make_zip([("a.jpg", jpeg())])))
    job = ZipImport.objects.get()
    assert imports.requeue_stalled() == 0  # just queued: not stalled
    long_ago = timezone.now() - dt.timedelta(hours=1)
    ZipImport.objects.filter(pk=job.pk).update(status="unpacking", started_at=long_ago)
    assert imports.requeue_stalled() == 1 and queued[-1] == job.pk
    imports.unpack(import_id=job.pk, add_entry=services.add_archive_entry)  # the new task
    job.refresh_from_db()
    assert (job.status, job.added) == ("done", 1)
    assert imports.requeue_stalled() == 0
