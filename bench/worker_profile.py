#!/usr/bin/env python
"""Where a worker's time goes for one photo, stage by stage, in this process.

    .venv/bin/python bench/worker_profile.py [--photos 40]

Adds event-like photos (bench/live_bench.py's: 2000x1500, 7 faces) to a throw-away
event and processes them one by one, as a worker does after each camera photo, timing
each stage of faces.processing: claim, load (decode), render (thumbnail and preview,
in a thread while the models run: marked *, not part of the sum), detect, embed,
save renditions, store (faces, vectors, photo done) and the grouping that follows
when nothing else waits. Prints milliseconds per photo for each stage,
the models' share (detect + embed) and what the rest adds on top of them.
"""

import argparse
import io
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from bench.live_bench import build_event  # noqa: E402
from bench.upload_bench import bench_album  # noqa: E402
from faces import processing  # noqa: E402
from photos import services as photo_services  # noqa: E402

STAGES = {
    "claim": (processing, "claim_photo"),
    "load": (processing, "load_photo"),
    "render*": (processing, "render_renditions"),  # in a thread, beside detect and embed
    "save renditions": (processing, "save_renditions"),
    "detect": (processing, "detect_faces"),
    "embed": (processing, "embed_vectors"),
    "store": (processing, "store_faces"),
    "group": (processing, "group_if_caught_up"),
}


def timed(spent: dict, stage: str, function):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[stage] += time.perf_counter() - started

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared" / "testdata" / "faces"))
    args = parser.parse_args()
    _selfies, built = build_event(Path(args.dataset), args.photos + 2, 10)
    album = bench_album("Worker profile", "Camera")
    spent: dict[str, float] = defaultdict(float)
    for stage, (module, name) in STAGES.items():
        setattr(module, name, timed(spent, stage, getattr(module, name)))
    totals = []
    try:
        for index, (name, data, _guest) in enumerate(built):
            added = photo_services.add_photo(
                album=album, fp=io.BytesIO(data), original_filename=name, queue=False
            )
            if index < 2:  # warm-up: models loaded, first queries planned
                processing.process_photo(photo_id=added.photo.pk)
                spent.clear()
                continue
            started = time.perf_counter()
            processing.process_photo(photo_id=added.photo.pk)
            totals.append(time.perf_counter() - started)
    finally:
        photo_services.delete_event(event=album.event)
    count = len(totals)
    print(f"{count} photos, {1000 * statistics.mean(totals):.1f} ms each in process_photo")
    for stage in STAGES:
        print(f"  {stage:16} {1000 * spent[stage] / count:7.1f} ms")
    models = (spent["detect"] + spent["embed"]) / count
    rest = statistics.mean(totals) - models
    print(f"models {1000 * models:.1f} ms; the rest adds {100 * rest / models:.0f} % on top")


if __name__ == "__main__":
    main()
