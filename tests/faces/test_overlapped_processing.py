"""A worker stores each photo in its helper thread while its models start on the next
one (faces.processing.process_photo_overlapped): the photo ends the same as when it
is processed in one go, failures included, and nothing is lost when the process ends.

The helper thread has its own database connection, so these tests commit
(transaction=True), as a worker does.
"""

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import OperationalError, connections

from faces import processing
from faces.models import Face
from photos.models import Photo
from photos.services import add_photo
from tests.workers import worker_environment

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def helper_connection_closed():
    """The helper thread's connection is closed after each test, as the test database
    is dropped at the end."""
    yield
    processing.HELPER.submit(connections.close_all).result()


def _added(album, images, name="obama.jpg") -> Photo:
    with images[name].open("rb") as fp:
        return add_photo(album=album, fp=fp, original_filename=name, queue=False).photo


def test_the_photo_is_stored_by_the_helper_thread(album, images, media_root):
    photo = _added(album, images)

    finishing = processing.process_photo_overlapped(photo_id=photo.pk)

    done = finishing.result(timeout=120)
    assert done.pk == photo.pk and done.processing_status == Photo.Status.DONE
    photo.refresh_from_db()
    assert photo.processing_status == Photo.Status.DONE
    assert photo.thumbnail and photo.preview
    assert Face.objects.filter(photo=photo).count() == 1
    assert Face.objects.get(photo=photo).vectors128.count() == 1


def test_a_failure_while_storing_marks_the_photo_failed_in_its_event_language(
    album, images, media_root, monkeypatch
):
    album.event.language = "fr"
    album.event.save()
    photo = _added(album, images)

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(processing, "store_faces", broken)
    from photos import languages

    with languages.of_photo(photo.pk):
        finishing = processing.process_photo_overlapped(photo_id=photo.pk)
    failed = finishing.result(timeout=120)

    assert failed.processing_status == Photo.Status.FAILED
    assert failed.processing_error.startswith("Un problème est survenu")
    assert "disk on fire" not in failed.processing_error
    assert not Face.objects.filter(photo=photo).exists()


def test_the_database_away_for_a_moment_while_storing_is_waited_for(
    album, images, media_root, monkeypatch
):
    photo = _added(album, images)
    real_store, calls = processing.store_faces, []

    def away_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_store(**kwargs)

    monkeypatch.setattr(processing, "store_faces", away_once)

    done = processing.process_photo_overlapped(photo_id=photo.pk).result(timeout=120)

    assert len(calls) == 2
    assert done.processing_status == Photo.Status.DONE
    assert Face.objects.filter(photo=photo).count() == 1  # stored once, not twice


def test_a_worker_process_that_ends_right_after_the_models_still_stores_the_photo(
    album, images, media_root
):
    """The task returns as soon as the models are done; the process ending then (a
    worker recycled, a cluster stopped) waits for its helper thread first."""
    photo = _added(album, images)
    script = (
        "import django; django.setup()\n"
        "from faces import processing\n"
        f"finishing = processing.process_photo_overlapped(photo_id={photo.pk})\n"
        "print('handed over' if not finishing.done() else 'already done')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=worker_environment(media_root),
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert run.returncode == 0, run.stderr
    assert "handed over" in run.stdout  # the process ended with the photo not yet stored
    photo.refresh_from_db()
    assert photo.processing_status == Photo.Status.DONE
    assert Face.objects.filter(photo=photo).count() == 1


def test_a_worker_is_never_more_than_one_photo_ahead_of_its_helper(
    album, images, media_root, monkeypatch
):
    """While the helper is still storing the last photo (here: held up), the next photo
    is not handed over: the task waits, so decoded photos cannot pile up."""
    first, second = _added(album, images, "obama.jpg"), _added(album, images, "biden.jpg")
    release = threading.Event()
    real_store = processing.store_faces

    def held_up(**kwargs):
        if kwargs["photo"].pk == first.pk:
            release.wait(30)
        return real_store(**kwargs)

    monkeypatch.setattr(processing, "store_faces", held_up)
    finishing_first = processing.process_photo_overlapped(photo_id=first.pk)
    threading.Timer(3.0, release.set).start()  # far longer than the second photo's models

    finishing_second = processing.process_photo_overlapped(photo_id=second.pk)

    assert finishing_first.done()  # the second waited for it before being handed over
    assert finishing_second.result(timeout=120).processing_status == Photo.Status.DONE
    assert finishing_first.result().processing_status == Photo.Status.DONE
