"""Resumable uploads: a big file in pieces, resumed after a dropped connection."""

import datetime as dt
import io
import zipfile

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from photos import chunked
from photos.models import ChunkedUpload, Photo, ZipImport


@pytest.fixture(autouse=True)
def chunks_dir(settings, tmp_path):
    settings.PHOTOS_CHUNKS_DIR = str(tmp_path / "chunks")
    return tmp_path / "chunks"


def start(client, album, name, size):
    return client.post(
        reverse("photos:chunked_start", args=[album.pk]), {"name": name, "size": size}
    )


def piece(client, token, offset, data):
    url = reverse("photos:chunked_piece", args=[token])
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            url, data=data, content_type="application/octet-stream", HTTP_UPLOAD_OFFSET=str(offset)
        )


def test_a_photo_in_pieces_resumes_from_what_arrived(owner_client, album, images, chunks_dir):
    data = images["obama.jpg"].read_bytes()
    third = len(data) // 3
    token = start(owner_client, album, "obama.jpg", len(data)).json()["token"]
    assert piece(owner_client, token, 0, data[:third]).json() == {"received": third}
    # The connection drops in the middle of the second piece: the page asks where the
    # server is, and sends only what is missing.
    status = owner_client.get(reverse("photos:chunked_piece", args=[token])).json()
    assert status == {"received": third, "size": len(data)}
    again = piece(owner_client, token, 0, data[:third])  # a piece sent twice
    assert again.status_code == 409 and again.json()["received"] == third
    assert (
        piece(owner_client, token, third, data[third : 2 * third]).json()["received"] == 2 * third
    )
    done = piece(owner_client, token, 2 * third, data[2 * third :]).json()
    (result,) = done["results"]
    assert result["status"] == "added" and result["name"] == "obama.jpg"
    photo = Photo.objects.get()
    with photo.file.open("rb") as stored:
        assert stored.read() == data  # byte for byte
    assert not ChunkedUpload.objects.exists() and list(chunks_dir.iterdir()) == []


def test_a_zip_in_pieces_goes_to_the_workers(owner_client, album, images):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zip_file:
        zip_file.writestr("a.jpg", images["obama.jpg"].read_bytes())
    data = archive.getvalue()
    token = start(owner_client, album, "day.zip", len(data)).json()["token"]
    (result,) = piece(owner_client, token, 0, data).json()["results"]
    assert result["status"] == "unpacking"
    assert ZipImport.objects.get().added == 1  # unpacked at once here (sync mode)


def test_pieces_that_do_not_fit_are_refused_and_change_nothing(owner_client, album, chunks_dir):
    assert start(owner_client, album, "empty.jpg", 0).status_code == 400
    assert "limit" in start(owner_client, album, "huge.zip", 10**13).json()["error"]
    token = start(owner_client, album, "a.jpg", 10).json()["token"]
    too_long = piece(owner_client, token, 0, b"x" * 11)
    assert too_long.status_code == 400 and "past the end" in too_long.json()["error"]
    assert ChunkedUpload.objects.get().received == 0
    assert (chunks_dir / f"{token}.part").stat().st_size == 0
    url = reverse("photos:chunked_piece", args=[token])
    missing = owner_client.post(url, data=b"x", content_type="application/octet-stream")
    assert missing.status_code == 400


def test_a_piece_cut_short_is_not_kept(album, owner, chunks_dir):
    upload = chunked.start(album=album, owner=owner, name="a.jpg", size=100)
    with pytest.raises(chunked.ChunkError, match="incomplete"):
        chunked.append(upload=upload, offset=0, stream=io.BytesIO(b"x" * 40), length=60)
    upload.refresh_from_db()
    assert upload.received == 0 and chunked.part_path(upload).stat().st_size == 0


def test_someone_elses_upload_is_out_of_reach(client, owner_client, other_user, album):
    token = start(owner_client, album, "a.jpg", 10).json()["token"]
    client.force_login(other_user)
    url = reverse("photos:chunked_piece", args=[token])
    assert client.get(url).status_code == 404
    assert piece(client, token, 0, b"x").status_code == 404
    assert start(client, album, "b.jpg", 10).status_code == 404
    assert ChunkedUpload.objects.get().received == 0


def test_unfinished_uploads_are_forgotten_after_a_day(album, owner, chunks_dir):
    old = chunked.start(album=album, owner=owner, name="old.zip", size=100)
    recent = chunked.start(album=album, owner=owner, name="new.zip", size=100)
    ChunkedUpload.objects.filter(pk=old.pk).update(updated_at=timezone.now() - dt.timedelta(days=2))
    assert chunked.delete_stale() == 1
    assert list(ChunkedUpload.objects.all()) == [recent]
    assert [p.name for p in chunks_dir.iterdir()] == [f"{recent.token}.part"]
