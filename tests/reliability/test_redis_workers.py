"""Several worker machines: two qcluster processes sharing a real Redis broker."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from PIL import Image

from photos.models import Photo
from photos.services import add_photo
from tests.sample_images import no_face_image
from tests.workers import worker_environment

ROOT = Path(__file__).resolve().parent.parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_workers_on_redis_process_each_photo_exactly_once(album, images, media_root, tmp_path):
    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except redis.RedisError as error:
        pytest.fail(f"This test needs a Redis server at {REDIS_URL} ({error}).")
    photos = []
    for index in range(10):
        image = Image.open(images["group6.jpg"]) if index % 2 else no_face_image(seed=index)
        path = tmp_path / f"{index}.jpg"
        image.convert("RGB").rotate(index * 3).save(path)
        with path.open("rb") as fp:
            photos.append(
                add_photo(album=album, fp=fp, original_filename=path.name, queue=False).photo
            )
    env = worker_environment(media_root, REDIS_URL=REDIS_URL)
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    workers = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "qcluster"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    try:
        time.sleep(3)  # both clusters listening before the tasks arrive
        enqueue = (
            "from django_q.tasks import async_task\n"
            f"for pk in {[p.pk for p in photos]!r}:\n"
            "    async_task('faces.tasks.process_photo', pk, task_name=f'photo-{pk}')\n"
        )
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "shell", "--no-imports", "-c", enqueue],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if not Photo.objects.exclude(processing_status="done").exists():
                break
            time.sleep(0.5)
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
    states = list(Photo.objects.values_list("processing_status", "processing_attempts"))
    assert states == [("done", 1)] * 10  # every photo, exactly once
    handled = [set(re.findall(r"processing (photo-\d+)", log.read_text())) for log in logs]
    assert handled[0] and handled[1], "both worker processes took photos"
    assert not handled[0] & handled[1]
    assert handled[0] | handled[1] == {f"photo-{p.pk}" for p in photos}
