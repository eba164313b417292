"""S3 direct uploads (photos.direct_uploads): the browser's part of the protocol played
with plain HTTP PUTs to a real S3-compatible server (moto) in the test process."""

import datetime as dt
import hashlib
import io
import zipfile

import pytest
import requests
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from photos import chunked, direct_uploads, stored_uploads
from photos.models import ChunkedUpload, Photo, ZipImport

MIB = 1024 * 1024


class Page:
    """What album.js does in S3 mode, with a record of every part it PUT."""

    def __init__(self, client, album):
        self.client, self.album, self.sent = client, album, []

    def start(self, name, size):
        url = reverse("photos:chunked_start", args=[self.album.pk])
        return self.client.post(url, {"name": name, "size": size})

    def put(self, token, number, data):
        url = reverse("photos:direct_part", args=[token, number])
        presigned = self.client.post(url).json()["url"]
        answer = requests.put(presigned, data=data, timeout=30)
        assert answer.status_code == 200, answer.text
        self.sent.append(number)

    def status(self, token):
        return self.client.get(reverse("photos:chunked_piece", args=[token]))

    def complete(self, token):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return self.client.post(reverse("photos:direct_complete", args=[token]))


@pytest.fixture
def page(owner_client, album):
    return Page(owner_client, album)


def big_photo(images, size: int) -> bytes:
    # A real JPEG followed by padding: Pillow reads it, and it needs three parts.
    data = images["obama.jpg"].read_bytes()
    return data + b"\0" * (size - len(data))


def open_uploads(s3) -> list:
    return s3.client().list_multipart_uploads(Bucket=s3.bucket).get("Uploads", [])


def test_a_photo_goes_to_the_bucket_and_resumes_with_only_the_missing_parts(
    page, s3_storage, images
):
    data = big_photo(images, 11 * MIB)
    started = page.start("day-1.jpg", len(data))
    assert started.status_code == 201
    token, part = started.json()["token"], started.json()["part_size"]
    assert started.json()["mode"] == "s3" and part == 8 * MIB
    page.put(token, 1, data[:part])
    # The connection drops while part 2 is on its way: the page asks what the bucket
    # has (S3's own list), and sends only the rest.
    status = page.status(token).json()
    assert status["parts"] == [1] and status["received"] == part
    early = page.complete(token)
    assert early.status_code == 409 and early.json()["missing"] == [2]
    page.put(token, 2, data[part:])
    assert page.sent == [1, 2]  # part 1 was never sent again

    (result,) = page.complete(token).json()["results"]
    assert result["status"] == "added"
    photo = Photo.objects.get()
    upload_key = photo.file.name
    assert upload_key.startswith(f"events/{photo.event_id}/uploads/") and upload_key.endswith(
        ".jpg"
    )
    # Checked by the worker (run at once here): as any upload, then processed.
    assert photo.content_hash == hashlib.sha256(data).hexdigest()
    assert (photo.width, photo.height, photo.size_bytes) != (0, 0, 0)
    assert photo.processing_status == Photo.Status.DONE
    with photo.file.open("rb") as stored:
        assert stored.read() == data
    assert not ChunkedUpload.objects.exists() and open_uploads(s3_storage) == []


def test_a_zip_in_the_bucket_is_unpacked_by_the_worker_from_there(page, s3_storage, images):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zip_file:
        zip_file.writestr("a.jpg", images["obama.jpg"].read_bytes())
        zip_file.writestr("notes.txt", b"not a photo")
    data = archive.getvalue()
    token = page.start("day.zip", len(data)).json()["token"]
    page.put(token, 1, data)
    (result,) = page.complete(token).json()["results"]
    assert result["status"] == "unpacking"
    job = ZipImport.objects.get()
    assert (job.entries_total, job.added, len(job.problems)) == (2, 1, 1)
    assert job.status == ZipImport.Status.DONE
    assert Photo.objects.get().original_filename == "a.jpg"


def test_a_file_of_another_size_than_declared_is_refused_and_deleted(page, s3_storage):
    token = page.start("a.jpg", 100).json()["token"]
    page.put(token, 1, b"x" * 150)
    refused = page.complete(token)
    assert refused.status_code == 400 and "150" in refused.json()["error"]
    assert s3_storage.client().list_objects_v2(Bucket=s3_storage.bucket).get("Contents") is None
    assert not ChunkedUpload.objects.exists() and not Photo.objects.exists()


def test_a_file_that_is_not_a_photo_is_marked_failed_by_the_check(page, s3_storage):
    token = page.start("a.jpg", 2000).json()["token"]
    page.put(token, 1, b"x" * 2000)
    (result,) = page.complete(token).json()["results"]
    photo = Photo.objects.get(pk=result["photo_id"])
    assert photo.processing_status == Photo.Status.FAILED and photo.processing_error


def test_the_same_photo_twice_keeps_one(page, s3_storage, images):
    data = images["obama.jpg"].read_bytes()
    for _ in range(2):
        token = page.start("a.jpg", len(data)).json()["token"]
        page.put(token, 1, data)
        page.complete(token)
    assert Photo.objects.count() == 1


def test_cancelling_and_the_daily_clean_up_abort_the_s3_upload(page, s3_storage, album, owner):
    token = page.start("a.zip", 20 * MIB).json()["token"]
    page.put(token, 1, b"x" * (8 * MIB))
    assert len(open_uploads(s3_storage)) == 1
    assert page.client.post(reverse("photos:chunked_cancel", args=[token])).status_code == 200
    assert open_uploads(s3_storage) == [] and not ChunkedUpload.objects.exists()

    old = chunked.start(album=album, owner=owner, name="old.zip", size=100)
    recent = chunked.start(album=album, owner=owner, name="new.zip", size=100)
    ChunkedUpload.objects.filter(pk=old.pk).update(updated_at=timezone.now() - dt.timedelta(days=2))
    assert chunked.delete_stale() == 1
    assert [u["UploadId"] for u in open_uploads(s3_storage)] == [recent.s3_upload_id]


def test_parts_are_only_for_the_owner_and_within_the_file(page, s3_storage, client, other_user):
    token = page.start("a.jpg", 100).json()["token"]
    beyond = page.client.post(reverse("photos:direct_part", args=[token, 2]))
    assert beyond.status_code == 400
    client.force_login(other_user)
    assert client.post(reverse("photos:direct_part", args=[token, 1])).status_code == 404
    assert client.post(reverse("photos:direct_complete", args=[token])).status_code == 404
    assert client.post(reverse("photos:chunked_cancel", args=[token])).status_code == 404
    assert len(open_uploads(s3_storage)) == 1


def test_an_unchecked_photo_left_behind_is_checked_again(page, s3_storage, album, images):
    data = images["obama.jpg"].read_bytes()
    key = f"events/{album.event_id}/uploads/left.jpg"
    s3_storage.client().put_object(Bucket=s3_storage.bucket, Key=key, Body=data)
    photo = Photo.objects.create(
        album=album, event_id=album.event_id, file=key, original_filename="left.jpg",
        content_hash=stored_uploads.UNCHECKED + "1", size_bytes=len(data), width=0, height=0,
    )  # fmt: skip
    Photo.objects.filter(pk=photo.pk).update(uploaded_at=timezone.now() - dt.timedelta(hours=1))
    assert stored_uploads.requeue_unchecked() == 1
    photo.refresh_from_db()
    assert photo.content_hash == hashlib.sha256(data).hexdigest()


def test_without_s3_the_pieces_still_come_to_the_server(page, settings, tmp_path):
    settings.PHOTOS_CHUNKS_DIR = str(tmp_path / "chunks")
    assert not direct_uploads.is_enabled()
    started = page.start("a.jpg", 10).json()
    assert started["mode"] == "disk" and not ChunkedUpload.objects.get().is_direct


def test_each_part_url_signs_its_size_and_a_part_of_another_size_is_refused(page, s3_storage):
    """A part URL cannot store more than its part: SigV4 signs the content-length (a
    real bucket refuses a PUT of any other size), and completing checks each part's
    size as the bucket lists it (moto does not check signatures)."""
    from urllib.parse import parse_qs, urlsplit

    size = 16 * MIB
    token = page.start("a.zip", size).json()["token"]
    url = page.client.post(reverse("photos:direct_part", args=[token, 1])).json()["url"]
    assert parse_qs(urlsplit(url).query)["X-Amz-SignedHeaders"] == ["content-length;host"]
    page.put(token, 1, b"x" * (6 * MIB))
    page.put(token, 2, b"x" * (10 * MIB))  # the total is right, the parts are not
    refused = page.complete(token)
    assert refused.status_code == 400 and str(6 * MIB) in refused.json()["error"]
    assert not open_uploads(s3_storage)
    assert s3_storage.client().list_objects_v2(Bucket=s3_storage.bucket).get("Contents") is None
