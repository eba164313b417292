"""Every bad input through every upload path: a clear answer, never a 500 or a stray row."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from faces.models import Face
from photos.models import Photo, ZipImport
from tests.bad_files import CORPUS

CASES = [pytest.param(name, make, expected, id=name) for name, make, expected in CORPUS]


def _check_rows(expected):
    if expected == "accepted":
        photo = Photo.objects.get()
        assert photo.processing_status == "done" and photo.faces.count() == 0
    else:
        assert Photo.objects.count() == 0 and Face.objects.count() == 0


@pytest.mark.parametrize("name, make, expected", CASES)
def test_organiser_upload(owner_client, album, name, make, expected):
    upload = SimpleUploadedFile(name, make())
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = owner_client.post(
            reverse("photos:album_upload", args=[album.pk]), {"files": [upload]}
        )
    assert response.status_code == 200
    (result,) = response.json()["results"]
    if expected == "accepted":
        assert result["status"] == "added"
    else:
        assert result["status"] == "rejected" and result["reason"].startswith(expected)
    _check_rows(expected)


@pytest.mark.parametrize("name, make, expected", CASES)
def test_inside_a_zip(owner_client, album, name, make, expected):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"folder/{name}", make())
    upload = SimpleUploadedFile("batch.zip", data.getvalue())
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = owner_client.post(
            reverse("photos:album_upload", args=[album.pk]), {"files": [upload]}
        )
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["status"] == "unpacking"  # by a worker (here at once: sync mode)
    job = ZipImport.objects.get()
    assert job.status == ZipImport.Status.DONE
    if expected == "accepted":
        assert (job.added, job.problems) == (1, [])
    elif name == "zlib-bomb.png":  # refused before it is even unpacked
        assert "zip bomb" in job.problems[0]["reason"]
    else:
        (problem,) = job.problems
        assert problem["name"] == f"folder/{name}" and problem["reason"].startswith(expected)
    _check_rows(expected)


@pytest.mark.parametrize("name, make, expected", CASES)
def test_as_a_selfie(client, event, album, name, make, expected):
    url = reverse("attendees:search", args=[event.attendee_token])
    response = client.post(url, {"selfie": SimpleUploadedFile(name, make()), "consent": "on"})
    assert response.status_code == 400  # none of these shows a face
    page = response.content.decode()
    reason = "No face was found" if expected == "accepted" else expected.split(" (")[0]
    if name == "zero.jpg":
        reason = "The file is empty"
    assert reason.replace("'", "&#x27;") in page
    assert Photo.objects.count() == 0


@pytest.mark.parametrize("name, make, expected", CASES)
def test_through_index_photos(owner, tmp_path, name, make, expected):
    (tmp_path / name).write_bytes(make())
    out = io.StringIO()
    call_command(
        "index_photos",
        "--event",
        "e",
        "--owner",
        "owner",
        "--sync",
        str(tmp_path / name),
        stdout=out,
    )
    if expected == "accepted":
        assert "1 photos added" in out.getvalue()
    else:
        assert f"failed: {name}: {expected}" in out.getvalue()
    _check_rows(expected)
