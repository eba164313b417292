#!/usr/bin/env python
"""Where a worker's time goes for one photo, stage by stage, against the models alone.

    .venv/bin/python bench/worker_profile.py [--photos 40]

Adds event-like photos (bench/live_bench.py's: 2000x1500, 7 faces) to a throw-away
event and processes them one by one in this process, one thread for the models as in a
worker (OMP_NUM_THREADS=1, FACES_TORCH_THREADS=1), timing each stage of
faces.processing: claim, load (decode), render (thumbnail and preview, in a thread
while the models run: marked *, not part of the sum), detect, embed, save renditions,
store (faces, vectors, photo done), and the live grouping that follows once nothing
else waits (marked +: after the photo is done, and skipped while photos queue up, so
it is not part of the processing rate).

Before each photo is processed, the detector and the embedder alone run on the same
photo (decoded apart, no thread beside them): the figure the worker is held to. The
two alternate photo by photo, so that a machine getting slower or faster affects both.
Prints milliseconds per photo and what the worker adds on top of the models alone.

Then the processing rate through the real queue: as many other photos are queued at
once and one real worker (`manage.py qcluster`, Q_WORKERS=1) processes them; its time
per photo (third photo done to last: its start and warm-up are not counted) against the models
alone on those photos, measured here before the worker starts. The worker stores each
photo in its helper thread while its models start on the next one
(faces.processing.process_photo_overlapped), so each photo's own time from claimed to
done is printed too.
"""

import os

# As the live bench runs its worker: one thread for the detector's OpenMP and PyTorch.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("FACES_TORCH_THREADS", "1")

import argparse  # noqa: E402
import io  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from bench.live_bench import build_event  # noqa: E402
from bench.upload_bench import bench_album, start_worker  # noqa: E402
from faces import processing  # noqa: E402
from faces.analysis import ANALYSIS_SIDE, FaceRules  # noqa: E402
from faces.engines import embedders_for_new_faces, get_detector  # noqa: E402
from photos import services as photo_services  # noqa: E402
from photos.images import open_image  # noqa: E402
from photos.models import Photo  # noqa: E402

STAGES = {
    "claim": (processing, "claim_photo"),
    "load": (processing, "load_photo"),
    "render*": (processing, "render_renditions"),  # in a thread, beside detect and embed
    "save renditions": (processing, "save_renditions"),
    "detect": (processing, "detect_faces"),
    "full detail": (processing, "detail_for"),  # a second, full decode: camera-size photos
    "embed": (processing, "embed_vectors"),
    "store": (processing, "store_faces"),
    "group+": (processing, "group_if_caught_up"),
}
# Taken before the stages are wrapped: the models alone, not timed as worker stages.
DETECT, EMBED = processing.detect_faces, processing.embed_vectors


def timed(spent: dict, stage: str, function):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[stage] += time.perf_counter() - started

    return wrapper


def models_alone(data: bytes, event_id: int) -> float:
    """Seconds the detector and the embedder take on this photo, decoded apart."""
    loaded = open_image(io.BytesIO(data), max_pixels=10**9, decode_side=ANALYSIS_SIDE)
    started = time.perf_counter()
    found = DETECT(loaded, detector=get_detector(), rules=FaceRules.from_settings())
    for embedder in embedders_for_new_faces(event_id):
        EMBED(loaded, found, embedder)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared" / "testdata" / "faces"))
    args = parser.parse_args()
    _selfies, built = build_event(Path(args.dataset), 2 * args.photos + 2, 10)
    in_process, queued = built[: args.photos + 2], built[args.photos + 2 :]
    album = bench_album("Worker profile", "Camera")
    try:
        profile_stages(album, in_process)
        rate_through_queue(album, queued)
    finally:
        photo_services.delete_event(event=album.event)


def profile_stages(album, built) -> None:
    spent: dict[str, float] = defaultdict(float)
    originals = {stage: getattr(module, name) for stage, (module, name) in STAGES.items()}
    for stage, (module, name) in STAGES.items():
        setattr(module, name, timed(spent, stage, originals[stage]))
    totals, models = [], []
    try:
        for index, (name, data, _guest) in enumerate(built):
            added = photo_services.add_photo(
                album=album, fp=io.BytesIO(data), original_filename=name, queue=False
            )
            alone = models_alone(data, album.event_id)
            started = time.perf_counter()
            processing.process_photo(photo_id=added.photo.pk)
            elapsed = time.perf_counter() - started
            if index < 2:  # warm-up: models loaded, first queries planned
                spent.clear()
                continue
            totals.append(elapsed)
            models.append(alone)
    finally:
        for stage, (module, name) in STAGES.items():
            setattr(module, name, originals[stage])
    count = len(totals)
    print(
        f"In this process, {count} photos; OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}, "
        f"FACES_TORCH_THREADS={settings.FACES_TORCH_THREADS}"
    )
    for stage in STAGES:
        print(f"  {stage:16} {1000 * spent[stage] / count:7.1f} ms")
    alone = statistics.mean(models)
    whole = statistics.mean(totals)
    to_done = whole - spent["group+"] / count
    print(f"models alone (detect + embed)   {1000 * alone:7.1f} ms")
    print(f"worker, claimed to done         {1000 * to_done:7.1f} ms: {over(to_done, alone)}")
    print(f"worker, with the live grouping  {1000 * whole:7.1f} ms: {over(whole, alone)}")


def rate_through_queue(album, built) -> None:
    """One real worker on photos queued at once: its time per photo, against the
    models alone on the same photos."""
    photos = [
        photo_services.add_photo(
            album=album, fp=io.BytesIO(data), original_filename=name, queue=False
        ).photo
        for name, data, _guest in built
    ]
    alone = statistics.mean(models_alone(data, album.event_id) for _, data, _ in built)
    for photo in photos:
        photo_services.request_processing(photos=[photo])  # autocommit: queued at once
    worker = start_worker(1)
    ids = [photo.pk for photo in photos]
    waiting = Photo.objects.filter(pk__in=ids).exclude(processing_status=Photo.Status.DONE)
    try:
        deadline = time.monotonic() + 60 + 5 * len(ids)
        while waiting.exists():
            if time.monotonic() > deadline:
                raise SystemExit(f"the worker left {waiting.count()} photos unprocessed")
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait()
    rows = Photo.objects.filter(pk__in=ids).values_list("processing_started_at", "processed_at")
    done = sorted(finished for _claimed, finished in rows)
    # From the third photo done: the worker's first photos also warm its models up (a
    # run of 10 photos counted from the first gave +23 %, of 40 from the third +0-7 %).
    counted = done[2:] if len(done) > 5 else done
    per_photo = (counted[-1] - counted[0]).total_seconds() / (len(counted) - 1)
    latency = statistics.mean((finished - claimed).total_seconds() for claimed, finished in rows)
    print(f"Through the queue, one worker, {len(done)} photos queued at once:")
    print(f"models alone (detect + embed)   {1000 * alone:7.1f} ms")
    print(
        f"worker, one photo done to next {1000 * per_photo:7.1f} ms: {over(per_photo, alone)}"
        f" ({1 / per_photo:.2f} photos/s)"
    )
    print(f"each photo, claimed to done     {1000 * latency:7.1f} ms")


def over(worker: float, models: float) -> str:
    return f"{100 * (worker / models - 1):+.0f} % on the models alone"


if __name__ == "__main__":
    main()
