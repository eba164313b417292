#!/usr/bin/env python
"""Organiser upload and processing throughput against a real running server.

    .venv/bin/python bench/upload_bench.py [--photos 500] [--process 40] [--workers 1,2]

1. Builds N distinct 2000x1500 JPEGs (event-like, 15 faces each, from the labelled
   test set in ../shared), starts gunicorn (1 process, 4 threads) on the embedded
   database, logs in and uploads them through /albums/<id>/upload/ with 3 parallel
   uploads (as the album page does), sampling the web process's memory.
2. Processes the first --process photos end to end (thumbnails + faces) with a real
   `qcluster` for each worker count, and reports photos per second.
Everything goes into a throw-away event that is deleted at the end.
"""

import argparse
import http.cookiejar
import io
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import psutil  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402

from bench.composed import compose_photos  # noqa: E402
from faces.models import Face  # noqa: E402
from photos.models import Album, Event, Photo  # noqa: E402
from photos.services import delete_event, request_processing  # noqa: E402


def distinct_jpegs(dataset: Path, count: int) -> list[bytes]:
    bases = compose_photos(dataset, min(count, 12))
    rng = random.Random(1)
    jpegs = []
    for index in range(count):
        image = bases[index % len(bases)].image.copy()
        # A few random pixels make every file distinct (no duplicate skipping).
        for _ in range(20):
            image.putpixel((rng.randrange(2000), rng.randrange(1500)), (rng.randrange(256),) * 3)
        data = io.BytesIO()
        image.save(data, "JPEG", quality=88)
        jpegs.append(data.getvalue())
    return jpegs


class Session:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def login(self, username: str, password: str) -> None:
        self.opener.open(f"{self.base}/login/").read()
        body = f"username={username}&password={password}&csrfmiddlewaretoken={self.csrf()}"
        request = urllib.request.Request(
            f"{self.base}/login/", data=body.encode(), headers={"Referer": f"{self.base}/login/"}
        )
        self.opener.open(request).read()

    def upload(self, album_id: int, name: str, data: bytes) -> dict:
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
                f'filename="{name}"\r\n'
                "Content-Type: image/jpeg\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        request = urllib.request.Request(
            f"{self.base}/albums/{album_id}/upload/",
            data=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "X-CSRFToken": self.csrf(),
                "Referer": self.base,
            },
        )
        with self.opener.open(request) as response:
            return json.loads(response.read())


def bench_album(event_name: str, title: str) -> Album:
    """A throw-away event and album of the bench organiser (password bench-password)."""
    user, _ = get_user_model().objects.get_or_create(username="bench-organiser")
    user.set_password("bench-password")
    user.save()
    event = Event.objects.create(owner=user, name=event_name, slug=f"bench-{uuid.uuid4().hex[:8]}")
    return Album.objects.create(event=event, title=title)


class MemorySampler:
    """The RSS of a process and its children every 0.2 s, in a thread, while in use."""

    def __init__(self, process: psutil.Process) -> None:
        self.process, self.samples, self._stop = process, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(rss_mb(self.process))
            time.sleep(0.2)

    def __enter__(self) -> "MemorySampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self, prefix: str = "web_rss_mb") -> dict:
        tenth = max(1, len(self.samples) // 10)
        return {
            f"{prefix}_peak": round(max(self.samples)),
            f"{prefix}_first_tenth": round(max(self.samples[:tenth])),
            f"{prefix}_last_tenth": round(max(self.samples[-tenth:])),
        }


def rss_mb(process: psutil.Process) -> float:
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20


def start_server(port: int) -> subprocess.Popen:
    # No task queueing during the upload measurement: the web process alone is measured.
    env = {**os.environ, "Q_WORKERS": "1"}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "4",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/").read()
            return server
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def measure_upload(jpegs, album, port) -> dict:
    user = album.event.owner
    server = start_server(port)
    process = psutil.Process(server.pid)
    try:
        session = Session(f"http://127.0.0.1:{port}")
        session.login(user.username, "bench-password")
        session.upload(album.pk, "warm-up.jpg", jpegs[0])
        baseline = rss_mb(process)
        started = time.perf_counter()
        with MemorySampler(process) as memory, ThreadPoolExecutor(3) as pool:
            results = list(
                pool.map(
                    lambda item: session.upload(album.pk, f"p{item[0]:04d}.jpg", item[1]),
                    enumerate(jpegs[1:], start=1),
                )
            )
        seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait()
    statuses = [r["results"][0]["status"] for r in results]
    return {
        "photos": len(jpegs) - 1,
        "seconds": round(seconds, 1),
        "photos_per_second": round((len(jpegs) - 1) / seconds, 1),
        "added": statuses.count("added"),
        "web_rss_mb_baseline": round(baseline),
        **memory.summary(),
    }


def start_worker(workers: int) -> subprocess.Popen:
    """A real `qcluster` with this many workers, one thread each for the models."""
    env = {**os.environ, "Q_WORKERS": str(workers), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def measure_processing(album, count: int, workers: int) -> dict:
    from django_q.models import OrmQ

    OrmQ.objects.all().delete()
    photos = list(album.photos.order_by("id")[:count])
    for photo in photos:
        Photo.objects.filter(pk=photo.pk).update(processing_status="pending")
        request_processing(photos=[photo])  # autocommit: enqueued at once
    started = time.perf_counter()
    worker = start_worker(workers)
    ids = [p.pk for p in photos]
    try:
        while Photo.objects.filter(
            pk__in=ids, processing_status__in=["pending", "processing"]
        ).exists():
            time.sleep(0.5)
        seconds = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait()
    done = Photo.objects.filter(pk__in=ids)
    faces = Face.objects.filter(photo__in=done).count()
    return {
        "workers": workers,
        "photos": count,
        "seconds": round(seconds, 1),
        "photos_per_second": round(count / seconds, 2),
        "faces": faces,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=500)
    parser.add_argument("--process", type=int, default=40)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--port", type=int, default=8931)
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared" / "testdata" / "faces"))
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "upload.json"))
    args = parser.parse_args()
    print(f"building {args.photos} photos...", flush=True)
    jpegs = distinct_jpegs(Path(args.dataset), args.photos + 1)
    album = bench_album("Upload benchmark", "Benchmark")
    event = album.event
    connection.close()
    try:
        upload = measure_upload(jpegs, album, args.port)
        print(f"upload: {upload}", flush=True)
        processing = [
            measure_processing(album, args.process, int(w)) for w in args.workers.split(",")
        ]
        for row in processing:
            print(f"processing: {row}", flush=True)
    finally:
        delete_event(event=event)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps({"upload": upload, "processing": processing}, indent=2))
    print(f"written {args.output}")


if __name__ == "__main__":
    main()
