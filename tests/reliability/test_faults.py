"""Faults: workers killed mid-photo, storage that fails to write."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_q.tasks import async_task
from PIL import Image

from faces.models import Face
from photos.models import Photo
from photos.services import add_photo
from tests.workers import worker_environment

ROOT = Path(__file__).resolve().parent.parent.parent


def test_a_storage_write_failure_is_reported_and_leaves_nothing(
    owner_client, album, settings, images
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.reliability.broken_storage.FullDiskStorage"},
    }
    upload = SimpleUploadedFile("o.jpg", images["obama.jpg"].read_bytes())
    response = owner_client.post(
        reverse("photos:album_upload", args=[album.pk]), {"files": [upload]}
    )
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["status"] == "failed" and "could not be stored" in result["reason"]
    assert Photo.objects.count() == 0


def _worker(env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "qcluster"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_photo_is_retried_and_finishes_without_duplicates(
    album, images, media_root
):
    crowd = Image.open(images["group6.jpg"]).convert("RGB")
    tiled = Image.new("RGB", (crowd.width * 3, crowd.height * 3))
    for row in range(3):
        for column in range(3):
            tiled.paste(crowd, (column * crowd.width, row * crowd.height))
    path = media_root.parent / "crowd.jpg"
    tiled.save(path, quality=92)
    with path.open("rb") as fp:
        photo = add_photo(album=album, fp=fp, original_filename="crowd.jpg", queue=False).photo
    env = worker_environment(
        media_root,
        Q_TIMEOUT="20",  # longer than the photo takes; the claim treats older as dead
        Q_RETRY="22",  # the broker hands the task out again this long after delivery
    )
    async_task("faces.tasks.process_photo", photo.pk, sync=False)
    first = _worker(env)
    try:
        assert _wait_for(
            lambda: Photo.objects.get(pk=photo.pk).processing_status == "processing", 60
        )
        time.sleep(1.0)
        os.killpg(first.pid, signal.SIGKILL)  # the whole cluster, mid-photo
        first.wait(timeout=10)
        assert Photo.objects.get(pk=photo.pk).processing_status == "processing"
        second = _worker(env)
        try:
            assert _wait_for(
                lambda: Photo.objects.get(pk=photo.pk).processing_status == "done", 120
            )
        finally:
            os.killpg(second.pid, signal.SIGKILL)
            second.wait(timeout=30)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    photo.refresh_from_db()
    assert photo.processing_attempts == 2
    assert photo.faces.count() == 54
    assert Face.objects.filter(photo=photo).count() == 54  # replaced, never duplicated
