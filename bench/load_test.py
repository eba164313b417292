#!/usr/bin/env python
"""Load: 20 attendees searching and 2 organisers uploading at once, against a real server.

    .venv/bin/python bench/load_test.py [--seconds 60] [--attendees 20] [--organisers 2] \
        [--hostile N]

Runs on the benchmark database (photos_bench): starts gunicorn (2 processes x 4
threads) and a qcluster (2 workers) like `scripts/dev.py run`, indexes an event from
../shared/testdata/faces, then for --seconds keeps N attendee threads looping (event
page, selfie search, results page, three thumbnails) and M organiser threads uploading
new photos; with --hostile N, N more threads post hostile selfies (decompression bombs,
16-bit PNGs at and past the selfie pixel cap, truncated files: tests/bad_files.py) in a
loop, each of which must get a clear 400/413. Reports requests, errors (a 5xx, or a 4xx
where a success was expected) and p50/p95 per request type, and the memory of the
server processes over the run. Writes bench/results/load.json.
"""

import argparse
import http.cookiejar
import io
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench.searchdata import use_bench_database  # noqa: E402

PORT = 8941
BASE = f"http://127.0.0.1:{PORT}"


class Browser:
    """Cookies, CSRF and multipart posts over urllib: one per simulated person."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def get(self, path: str) -> bytes:
        with self.opener.open(BASE + path, timeout=60) as response:
            return response.read()

    def post(self, path: str, fields: dict, files: dict | None = None) -> bytes:
        boundary = uuid.uuid4().hex
        body = b""
        for name, value in {**fields, "csrfmiddlewaretoken": self.csrf()}.items():
            disposition = f'Content-Disposition: form-data; name="{name}"'
            body += f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode()
        for name, (filename, data) in (files or {}).items():
            body += (
                (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                    f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'
                ).encode()
                + data
                + b"\r\n"
            )
        body += f"--{boundary}--\r\n".encode()
        request = urllib.request.Request(
            BASE + path,
            data=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Referer": BASE,
                "X-CSRFToken": self.csrf(),
            },
        )
        with self.opener.open(request, timeout=120) as response:
            return response.read()


class Recorder:
    def __init__(self) -> None:
        self.samples = defaultdict(list)
        self.errors = defaultdict(list)
        self.lock = threading.Lock()

    def timed(self, kind: str, call, *args):
        started = time.perf_counter()
        try:
            result = call(*args)
        except (urllib.error.URLError, OSError) as error:
            with self.lock:
                self.errors[kind].append(str(error)[:200])
            return None
        with self.lock:
            self.samples[kind].append(time.perf_counter() - started)
        return result


def attendee_loop(token: str, selfies: list[bytes], recorder: Recorder, stop) -> None:
    rng = random.Random(threading.get_ident())
    while not stop.is_set():
        browser = Browser()
        recorder.timed("attendee page", browser.get, f"/e/{token}/")
        files = {"selfie": ("me.jpg", rng.choice(selfies))}
        search = f"/e/{token}/search/"
        page = recorder.timed("selfie search", browser.post, search, {"consent": "on"}, files)
        recorder.timed("results page", browser.get, f"/e/{token}/photos/")
        for thumbnail in re.findall(rb'src="(/e/[^"]+/thumbnail/)"', page or b"")[:3]:
            recorder.timed("thumbnail", browser.get, thumbnail.decode())


def hostile_loop(token: str, files: list[tuple[str, bytes]], recorder: Recorder, stop) -> None:
    """Someone posting hostile selfies nonstop: every answer must be a clear refusal."""
    browser = Browser()
    browser.get(f"/e/{token}/")
    while not stop.is_set():
        for name, data in files:
            if stop.is_set():
                break
            recorder.timed("hostile selfie", refused, browser, token, name, data)


def refused(browser: Browser, token: str, name: str, data: bytes) -> None:
    try:
        browser.post(f"/e/{token}/search/", {"consent": "on"}, {"selfie": (name, data)})
    except urllib.error.HTTPError as error:
        if error.code in (400, 413):
            return
        raise
    raise OSError(f"{name}: accepted as a selfie")


def organiser_loop(album_id: int, photos: list[bytes], recorder: Recorder, stop) -> None:
    browser = Browser()
    browser.get("/login/")
    browser.post("/login/", {"username": "load-organiser", "password": "load-password"})
    rng = random.Random(threading.get_ident())
    while not stop.is_set():
        image = bytearray(rng.choice(photos))
        image[-3] = rng.randrange(256)  # a distinct file each time (no duplicate skipping)
        files = {"files": (f"{uuid.uuid4().hex}.jpg", bytes(image))}
        recorder.timed("photo upload", browser.post, f"/albums/{album_id}/upload/", {}, files)
        recorder.timed("album progress", browser.get, f"/albums/{album_id}/progress/")


def rss_mb(processes) -> float:
    import psutil

    total = 0
    for process in processes:
        try:
            parent = psutil.Process(process.pid)
            total += sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)])
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--attendees", type=int, default=20)
    parser.add_argument("--organisers", type=int, default=2)
    parser.add_argument("--hostile", type=int, default=0, help="threads posting bad selfies")
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared" / "testdata" / "faces"))
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "load.json"))
    args = parser.parse_args()
    use_bench_database()
    os.environ.update(
        {
            "ATTENDEE_SEARCHES_PER_BROWSER": "1000000",  # each attendee loops searches
            "ATTENDEE_SEARCHES_PER_ADDRESS": "1000000",  # every simulated attendee is 127.0.0.1
            "ATTENDEE_SEARCHES_PER_EVENT": "1000000",
            "LOGIN_FAILURES_ALLOWED": "1000",
        }
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from photos.models import Album, Event
    from photos.services import delete_event

    call_command("migrate", verbosity=0)
    dataset = Path(args.dataset)
    organiser, _ = get_user_model().objects.get_or_create(username="load-organiser")
    organiser.set_password("load-password")
    organiser.save()
    event = Event.objects.create(
        owner=organiser, name="Load test", slug=f"load-{uuid.uuid4().hex[:8]}"
    )
    album = Album.objects.create(event=event, title="Load")
    gallery = sorted((dataset / "identities").glob("*/[2-9].jpg"))[:120]
    call_command(
        "index_photos",
        "--event",
        event.slug,
        "--album",
        "Load",
        "--sync",
        *[str(p) for p in gallery],
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    selfies = [p.read_bytes() for p in sorted((dataset / "identities").glob("*/1.jpg"))]
    uploads = [p.read_bytes() for p in sorted((dataset / "distractors").glob("*.jpg"))[:20]]
    from django.db import connection

    connection.close()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--config",
            str(ROOT / "config" / "gunicorn.py"),
            "--workers",
            "2",
            "--threads",
            "4",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(BASE + "/login/").read()
                break
            except OSError:
                time.sleep(0.2)
        recorder, stop, memory = Recorder(), threading.Event(), []
        threads = [
            threading.Thread(
                target=attendee_loop, args=(event.attendee_token, selfies, recorder, stop)
            )
            for _ in range(args.attendees)
        ]
        threads += [
            threading.Thread(target=organiser_loop, args=(album.pk, uploads, recorder, stop))
            for _ in range(args.organisers)
        ]
        if args.hostile:
            from tests.bad_files import HOSTILE_SELFIES

            hostile = [(name, make()) for name, make in HOSTILE_SELFIES]
            threads += [
                threading.Thread(
                    target=hostile_loop, args=(event.attendee_token, hostile, recorder, stop)
                )
                for _ in range(args.hostile)
            ]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        while time.monotonic() - started < args.seconds:
            memory.append(rss_mb([server, worker]))
            time.sleep(2)
        stop.set()
        for thread in threads:
            thread.join(timeout=180)
    finally:
        server.terminate()
        worker.terminate()
        server.wait(timeout=30)
        worker.wait(timeout=60)
        delete_event(event=event)
    rows = {}
    for kind, samples in sorted(recorder.samples.items()):
        ordered = sorted(samples)
        rows[kind] = {
            "requests": len(samples),
            "errors": len(recorder.errors.get(kind, [])),
            "p50_ms": round(1000 * statistics.median(ordered), 1),
            "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 1),
        }
    for kind, errors in recorder.errors.items():
        rows.setdefault(kind, {"requests": 0, "errors": len(errors)})
    print(
        f"\n{args.attendees} attendees + {args.organisers} organisers + {args.hostile} hostile "
        f"for {args.seconds} s"
    )
    print(f"{'request':16} {'count':>6} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8}")
    for kind, row in rows.items():
        print(
            f"{kind:16} {row['requests']:6d} {row['errors']:6d} "
            f"{row.get('p50_ms', 0):8.1f} {row.get('p95_ms', 0):8.1f}"
        )
    third = max(1, len(memory) // 3)
    print(
        f"server memory (web + worker processes): first third max {max(memory[:third]):.0f} MB, "
        f"last third max {max(memory[-third:]):.0f} MB"
    )
    first_errors = {kind: errors[:3] for kind, errors in recorder.errors.items()}
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(
        json.dumps(
            {
                "seconds": args.seconds,
                "attendees": args.attendees,
                "organisers": args.organisers,
                "hostile": args.hostile,
                "requests": rows,
                "memory_mb": memory,
                "first_errors": first_errors,
            },
            indent=2,
        )
    )
    print(f"written {args.output}")


if __name__ == "__main__":
    main()
