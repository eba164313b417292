#!/usr/bin/env python
"""A live event: a camera pushes photos by FTP while guests search.

    .venv/bin/python bench/live_bench.py [--photos 200] [--interval 1.0] [--guests 20]

On the embedded database (a throw-away event, deleted at the end) it starts the real
parts: gunicorn (1 process, 4 threads), one django-q2 worker (Q_WORKERS=1) and the FTP
receiver (manage.py ftp_server), then:

1. **Camera to guest.** A camera account sends ``--photos`` event-like photos
   (2000x1500 JPEGs, 7 faces each, the largest one a guest's) one every
   ``--interval`` seconds. Each guest's search (their selfie's vector, searched as a
   selfie request searches, every second) notes when each of their photos is first
   returned, and when it is first shown as an "Is this you?" question (a guest's
   first photo: a person of one face needs the stricter single-face rule until a
   second photo of them arrives). Meanwhile every guest also makes a real selfie
   request through the web server once a minute (detect + embed + search + results
   page). Reported: seconds from the end of each transfer (the camera's 226) until
   the search returns the photo, p50 / p95 / max, photos never returned (the
   search's recall, not a delay), and the rate at which the one worker falls behind
   (arrivals against processing).
2. **The FTP receiver's cost.** Its memory with 4 cameras connected (3 more log in and
   stay idle while the first sends), and its CPU time per photo received.
3. **The worker against the models.** Each photo's time in the worker (claimed to
   done: decode, renditions, detect, embed, store), under the bench's own load, against
   the detector and the embedder alone on the same photos in this process afterwards;
   and, when photos arrive faster than one worker processes them (``--interval 0.1``),
   its rate (one photo done to the next) against the models alone.

Everything is checked: a transfer not answered 226, or a selfie request not answered
200 after its redirect, is counted and printed. Writes bench/results/live.json.
"""

import argparse
import ftplib
import http.cookiejar
import io
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import psutil  # noqa: E402
from django.db import connection  # noqa: E402
from PIL import Image, ImageFilter  # noqa: E402

from bench.upload_bench import bench_album, rss_mb, start_server  # noqa: E402
from faces import api  # noqa: E402
from live import services as live_services  # noqa: E402
from photos.filters import SearchFilters  # noqa: E402
from photos.models import Photo  # noqa: E402
from photos.services import delete_event  # noqa: E402

LFW_FACE_BOX = (78, 82, 172, 188)  # the central face of a 250x250 labelled photo


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p95": None, "max": None}
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 2),
        "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
        "max": round(ordered[-1], 2),
    }


# --- the photos ----------------------------------------------------------------------


def face_patch(path: Path, width: int) -> Image.Image:
    left, top, right, bottom = LFW_FACE_BOX
    margin = 45
    patch = (
        Image.open(path)
        .convert("RGB")
        .crop((left - margin, top - margin, right + margin, bottom + margin))
    )
    scale = width / (right - left)
    return patch.resize((round(patch.width * scale), round(patch.height * scale)))


def build_event(dataset: Path, photos: int, guests: int, seed: int = 3):
    """(guests: name -> selfie path, photos: [(name, jpeg bytes, guest)]). Each photo
    holds one guest's face large (a photo of them other than their selfie) and six
    other people smaller, on a blurred no-face background."""
    rng = random.Random(seed)
    people = sorted(p for p in (dataset / "identities").iterdir() if p.is_dir())
    chosen = [p for p in people if len(list(p.glob("*.jpg"))) >= 4][:guests]
    others = [p for p in people if p not in chosen]
    backgrounds = sorted((dataset / "no_face").glob("*.jpg"))
    selfies = {p.name: sorted(p.glob("*.jpg"))[0] for p in chosen}
    built = []
    for index in range(photos):
        guest = chosen[index % len(chosen)]
        canvas = Image.open(backgrounds[index % len(backgrounds)]).convert("RGB")
        canvas = canvas.resize((2000, 1500)).filter(ImageFilter.GaussianBlur(2))
        cells = [(col, row) for row in range(2) for col in range(4)]
        rng.shuffle(cells)
        for slot, (col, row) in enumerate(cells[:7]):
            if slot == 0:
                source, width = rng.choice(sorted(guest.glob("*.jpg"))[1:]), 170
            else:
                source = rng.choice(sorted(rng.choice(others).glob("*.jpg")))
                width = rng.choice([70, 90, 110])
            patch = face_patch(source, width)
            x = col * 500 + rng.randint(0, max(0, 500 - patch.width))
            y = row * 750 + rng.randint(0, max(0, 750 - patch.height))
            canvas.paste(patch, (x, y))
        data = io.BytesIO()
        canvas.save(data, "JPEG", quality=90)
        built.append((f"IMG_{index + 1:04d}.JPG", data.getvalue(), guest.name))
    return selfies, built


# --- the parts ---------------------------------------------------------------------


def start(args: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_ftp(port: int) -> None:
    for _ in range(100):
        try:
            ftplib.FTP().connect("127.0.0.1", port, timeout=2).strip()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the FTP receiver did not start")


class Guest:
    """A browser at the event: a real selfie request through the web server."""

    def __init__(self, base: str, token: str, selfie: bytes) -> None:
        self.base, self.token, self.selfie = base, token, selfie
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def search(self) -> tuple[int, float]:
        """(status of the results page after the redirect, seconds)."""
        started = time.perf_counter()
        page = f"{self.base}/e/{self.token}/"
        self.opener.open(page).read()
        csrf = next(c.value for c in self.jar if c.name == "csrftoken")
        boundary = uuid.uuid4().hex

        def field(name: str, value: str) -> bytes:
            disposition = f'Content-Disposition: form-data; name="{name}"'
            return f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode()

        body = (
            field("csrfmiddlewaretoken", csrf)
            + field("consent", "on")
            + f"--{boundary}\r\n".encode()
            + b'Content-Disposition: form-data; name="selfie"; filename="me.jpg"\r\n'
            + b"Content-Type: image/jpeg\r\n\r\n"
            + self.selfie
            + f"\r\n--{boundary}--\r\n".encode()
        )
        request = urllib.request.Request(
            f"{page}search/",
            data=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Referer": page},
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                response.read()
                ok = response.status == 200 and response.url.endswith("/photos/")
                return (200 if ok else response.status), time.perf_counter() - started
        except urllib.error.HTTPError as error:
            return error.code, time.perf_counter() - started


# --- the run -------------------------------------------------------------------------


def run(args) -> dict:
    dataset = Path(args.dataset)
    print(f"building {args.photos} photos of {args.guests} guests...", flush=True)
    selfies, photos = build_event(dataset, args.photos, args.guests)
    album = bench_album("Live benchmark", "Camera")
    event = album.event
    account = live_services.create_account(album=album)
    guest_vectors = {}
    for name, path in selfies.items():
        with path.open("rb") as fp:
            search = api.search_by_selfie(fp=fp, filters=SearchFilters([event.pk]))
        guest_vectors[name] = search.selfie.vectors
    embedder = api.event_embedder_name(event.pk)
    connection.close()

    web_port, ftp_port = free_port(), free_port()
    ftp_root = tempfile.mkdtemp(prefix="live-bench-ftp-")
    env = {**os.environ, "Q_WORKERS": "1", "OMP_NUM_THREADS": "1", "FTP_ROOT": ftp_root}
    web = start_server(web_port)
    worker = start(["qcluster"], env)
    ftp = start(["ftp_server", "--port", str(ftp_port), "--host", "127.0.0.1"], env)
    wait_for_ftp(ftp_port)
    ftp_process = psutil.Process(ftp.pid)
    time.sleep(3)  # the worker loads its models before the first photo
    stop = threading.Event()
    sent: dict[str, float] = {}  # name -> end of transfer (monotonic)
    sent_wall: dict[str, float] = {}  # the same, wall clock (to compare with the database)
    found: dict[str, float] = {}  # name -> when the guest's search first returned it
    asked: dict[str, float] = {}  # ... or first asked "Is this you?" about a face in it
    refused: list[str] = []
    guest_of = {name: guest for name, _, guest in photos}
    http_results: list[tuple[int, float]] = []
    ftp_memory: list[float] = []

    def camera() -> None:
        with ftplib.FTP() as session:
            session.connect("127.0.0.1", ftp_port, timeout=30)
            session.login(account.username, account.password)
            cpu_before = sum(ftp_process.cpu_times()[:2])
            next_at = time.monotonic()
            for name, data, _guest in photos:
                time.sleep(max(0.0, next_at - time.monotonic()))
                next_at += args.interval
                try:
                    answer = session.storbinary(f"STOR {name}", io.BytesIO(data))
                except ftplib.all_errors as error:
                    answer = str(error)
                if answer.startswith("226"):
                    sent[name] = time.monotonic()
                    sent_wall[name] = time.time()
                else:
                    refused.append(f"{name}: {answer}")
            run_stats["ftp_cpu_seconds"] = sum(ftp_process.cpu_times()[:2]) - cpu_before

    def idle_cameras() -> None:
        sessions = []
        for _ in range(3):
            session = ftplib.FTP()
            session.connect("127.0.0.1", ftp_port, timeout=30)
            session.login(account.username, account.password)
            sessions.append(session)
        while not stop.is_set():
            ftp_memory.append(rss_mb(ftp_process))
            for session in sessions:
                session.voidcmd("NOOP")  # keep them connected, as idle cameras do
            stop.wait(2)
        for session in sessions:
            session.close()

    def searches() -> None:
        """Each guest's search every second: when is each of their photos returned?"""
        while not stop.is_set():
            waiting_guests = {guest_of[n] for n in sent if n not in found}
            for guest in waiting_guests:
                vectors = guest_vectors[guest]
                decision = api.search_by_vector(
                    vectors[embedder], embedder=embedder, event_id=event.pk
                )
                asked_ids = [q.photo_id for q in decision.questions]
                names = dict(
                    Photo.objects.filter(
                        pk__in=[m.photo_id for m in decision.sure] + asked_ids
                    ).values_list("pk", "original_filename")
                )
                now = time.monotonic()
                for match in decision.sure:
                    name = names.get(match.photo_id)
                    if name in sent and name not in found:
                        found[name] = now
                for photo_id in asked_ids:  # "Is this you?" about a face in it
                    name = names.get(photo_id)
                    if name in sent and name not in asked:
                        asked[name] = now
            stop.wait(1.0)
        connection.close()

    def browsers() -> None:
        guests = [
            Guest(f"http://127.0.0.1:{web_port}", event.attendee_token, path.read_bytes())
            for path in selfies.values()
        ]
        order = 0
        while not stop.is_set():
            guest = guests[order % len(guests)]
            order += 1
            http_results.append(guest.search())
            stop.wait(60 / len(guests))  # each guest once a minute

    run_stats: dict = {}
    threads = [threading.Thread(target=t, daemon=True) for t in (searches, browsers, idle_cameras)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    camera_thread = threading.Thread(target=camera)
    camera_thread.start()
    camera_thread.join()
    sending_seconds = time.monotonic() - started
    # The last photos: until every sent photo is processed (or a generous limit), then
    # a few more search rounds (a photo the search never returns is the search's
    # recall, counted apart, not a wait).
    deadline = time.monotonic() + args.photos * 2 + 120
    while time.monotonic() < deadline:
        if not Photo.objects.filter(event=event).exclude(processing_status="done").exists():
            break
        time.sleep(1)
    settle = time.monotonic() + 15
    while time.monotonic() < settle and not set(sent) <= set(found):
        time.sleep(1)
    stop.set()
    for thread in threads:
        thread.join(30)
    for process in (ftp, worker, web):
        process.terminate()
    for process in (ftp, worker, web):
        process.wait(30)

    rows = list(
        Photo.objects.filter(event=event).values(
            "original_filename", "uploaded_at", "processing_started_at", "processed_at"
        )
    )
    worker_seconds = [
        (row["processed_at"] - row["processing_started_at"]).total_seconds()
        for row in rows
        if row["processed_at"] and row["processing_started_at"]
    ]
    processed_times = sorted(row["processed_at"] for row in rows if row["processed_at"])
    span = (processed_times[-1] - processed_times[0]).total_seconds() if processed_times else 0
    latencies = [found[name] - sent[name] for name in sent if name in found]
    shown = [
        min(found.get(name, float("inf")), asked.get(name, float("inf"))) - sent[name]
        for name in sent
        if name in found or name in asked
    ]
    to_processed = [
        row["processed_at"].timestamp() - sent_wall[row["original_filename"]]
        for row in rows
        if row["processed_at"] and row["original_filename"] in sent_wall
    ]
    to_claimed = [
        row["processing_started_at"].timestamp() - sent_wall[row["original_filename"]]
        for row in rows
        if row["processing_started_at"] and row["original_filename"] in sent_wall
    ]
    http_ok = [seconds for status, seconds in http_results if status == 200]
    models = models_alone([data for _, data, _ in photos[: args.model_sample]])
    result = {
        "photos": args.photos,
        "interval_seconds": args.interval,
        "guests": args.guests,
        "sent_226": len(sent),
        "refused": refused,
        "sending_seconds": round(sending_seconds, 1),
        "camera_to_guest_seconds": percentiles(latencies),
        "camera_to_guest_or_asked_seconds": percentiles(shown),
        "returned_or_asked": len(shown),
        "camera_to_worker_seconds": percentiles(to_claimed),
        "camera_to_processed_seconds": percentiles(to_processed),
        "returned_by_search": len(latencies),
        "never_returned": len(sent) - len(latencies),
        "processed": len(processed_times),
        "worker_photos_per_second": round((len(processed_times) - 1) / span, 2) if span else None,
        "arrivals_per_second": round(1 / args.interval, 2),
        "selfie_requests": len(http_results),
        "selfie_requests_answered": len(http_ok),
        "selfie_request_seconds": percentiles(http_ok),
        "ftp_rss_mb_4_cameras": round(max(ftp_memory)) if ftp_memory else None,
        "ftp_cpu_ms_per_photo": round(
            1000 * run_stats.get("ftp_cpu_seconds", 0) / max(1, len(sent)), 1
        ),
        "worker_seconds_per_photo": round(statistics.mean(worker_seconds), 3)
        if worker_seconds
        else None,
        **models,
    }
    if result["worker_seconds_per_photo"] and models["models_seconds_per_photo"]:
        result["worker_over_models"] = round(
            result["worker_seconds_per_photo"] / models["models_seconds_per_photo"] - 1, 3
        )
    processing_rate = result["worker_photos_per_second"] or 0
    result["falls_behind_photos_per_second"] = round(
        max(0.0, 1 / args.interval - processing_rate), 2
    )
    if result["falls_behind_photos_per_second"] > 0 and models["models_seconds_per_photo"]:
        # Only while photos wait is the rate the worker's own: one photo done to the next.
        result["worker_rate_over_models"] = round(
            1 / processing_rate / models["models_seconds_per_photo"] - 1, 3
        )
    delete_event(event=event)
    return result


def models_alone(jpegs: list[bytes]) -> dict:
    """The detector and the embedder alone on the same photos (their decode, at the
    analysis size, counted apart), one thread, as the worker runs them."""
    import torch
    from django.conf import settings

    from faces.analysis import ANALYSIS_SIDE, FaceRules, detect_faces, embed_vectors
    from faces.engines import get_detector, get_embedder
    from photos.images import open_image

    torch.set_num_threads(1)
    detector, embedder = get_detector(), get_embedder(settings.FACES_EMBEDDER)
    rules = FaceRules.from_settings()
    loaded = [
        open_image(io.BytesIO(j), max_pixels=10**9, decode_side=ANALYSIS_SIDE) for j in jpegs[:2]
    ]
    for image in loaded:  # warm-up
        embed_vectors(image, detect_faces(image, detector=detector, rules=rules), embedder)
    decode = detect = embed = 0.0
    faces = 0
    for data in jpegs:
        started = time.perf_counter()
        image = open_image(io.BytesIO(data), max_pixels=10**9, decode_side=ANALYSIS_SIDE)
        decoded = time.perf_counter()
        found = detect_faces(image, detector=detector, rules=rules)
        detected = time.perf_counter()
        embed_vectors(image, found, embedder)
        embedded = time.perf_counter()
        decode += decoded - started
        detect += detected - decoded
        embed += embedded - detected
        faces += len(found)
    count = len(jpegs)
    return {
        "model_sample_photos": count,
        "faces_per_photo": round(faces / count, 1),
        "decode_seconds_per_photo": round(decode / count, 3),
        "detect_seconds_per_photo": round(detect / count, 3),
        "embed_seconds_per_photo": round(embed / count, 3),
        "models_seconds_per_photo": round((detect + embed) / count, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--guests", type=int, default=20)
    parser.add_argument("--model-sample", type=int, default=40)
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared" / "testdata" / "faces"))
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "live.json"))
    args = parser.parse_args()
    result = run(args)
    for key, value in result.items():
        print(f"{key:34} {value}")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(result, indent=2))
    print(f"written {args.output}")


if __name__ == "__main__":
    main()
