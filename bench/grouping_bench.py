#!/usr/bin/env python
"""Grouping an event's faces into people: time and memory by event size.

    .venv/bin/python bench/grouping_bench.py [--sizes 2000,10000,20000]

Synthetic faces like real dlib unit vectors (about 25 faces per person, one person's
faces 0.25-0.4 apart, bench/searchdata.NOISE), a few per photo. For each size, runs
``faces.grouping.group_faces`` with the product's settings in a fresh process and
reports the time, the peak memory allocated while grouping (tracemalloc: Python and
NumPy), and the purity (share
of groups holding one identity) and completeness (groups per identity). Writes
bench/results/grouping.json. No database: the event job adds reading the vectors and
writing the labels (docs/performance.md).
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ONE_SIZE = """
import json, resource, sys, time, tracemalloc
sys.path.insert(0, {root!r})
import numpy as np
from bench.searchdata import NOISE, unit
from faces.grouping import group_faces
rng = np.random.default_rng(0)
count = {count}
people = max(5, count // 25)
centres = unit(rng.normal(size=(people, 128)))
who = rng.integers(0, people, size=count)
vectors = unit(centres[who] + rng.normal(scale=NOISE, size=(count, 128))).astype(np.float32)
photos = np.arange(count) // 4
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if {trace}:
    tracemalloc.start()
started = time.perf_counter()
labels = group_faces(
    vectors, photos, threshold={threshold}, relative={relative}, spread_floor={floor}
)
seconds = time.perf_counter() - started
# Python and NumPy allocations while grouping (the process's own peak also holds the
# synthetic data built above).
peak = tracemalloc.get_traced_memory()[1] / 1024 if {trace} else 0
groups = {{}}
for label, identity in zip(labels, who):
    groups.setdefault(int(label), set()).add(int(identity))
pure = sum(1 for ids in groups.values() if len(ids) == 1) / len(groups)
per_identity = {{}}
for label, identity in zip(labels, who):
    per_identity.setdefault(int(identity), set()).add(int(label))
print(json.dumps({{"faces": count, "seconds": round(seconds, 2), "peak_mb": round(peak / 1024, 1),
    "groups": len(groups), "purity": round(pure, 4),
    "groups_per_identity": round(float(np.mean([len(v) for v in per_identity.values()])), 3)}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2000,10000,20000,50000,100000")
    parser.add_argument(
        "--database",
        metavar="FACES[,FACES...]",
        help="Instead: for each size, one event of FACES synthetic faces in the bench "
        "database, regrouped in full by the event job (read the vectors, group, map the "
        "groups onto the people, write them) in a fresh process, twice: first with no "
        "people yet, then with the people of the first run in place: time and the "
        "process's peak memory.",
    )
    args = parser.parse_args()
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if args.database:
        from bench.searchdata import use_bench_database

        use_bench_database()
    import django

    django.setup()
    from faces.calibration import calibration_for

    calibration = calibration_for("dlib-resnet-v1")
    if args.database:
        return through_database([int(size) for size in args.database.split(",")])
    rows = []
    for count in [int(size) for size in args.sizes.split(",")]:

        def one_run(count: int, trace: bool) -> dict:
            script = ONE_SIZE.format(
                root=str(ROOT),
                count=count,
                threshold=calibration.grouping,
                relative=calibration.grouping_relative,
                floor=calibration.grouping_floor,
                trace=trace,
            )
            result = subprocess.run(
                [sys.executable, "-c", script], capture_output=True, text=True, check=True
            )
            return json.loads(result.stdout.strip().splitlines()[-1])

        # Timed without tracing (tracemalloc slows Python down), then traced for memory.
        row = one_run(count, trace=False)
        row["peak_mb"] = one_run(count, trace=True)["peak_mb"]
        rows.append(row)
        print(
            f"{row['faces']:7d} faces: {row['seconds']:6.2f} s, peak +{row['peak_mb']:.0f} MB, "
            f"{row['groups']} groups, purity {row['purity']:.3f}, "
            f"{row['groups_per_identity']:.2f} groups per person"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "grouping.json").write_text(json.dumps(rows, indent=2))


THROUGH_DATABASE = """
import os, resource, sys, time, json
sys.path.insert(0, {root!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from bench.searchdata import use_bench_database
use_bench_database()
import django
django.setup()
from faces import people_upkeep
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
count = people_upkeep.group_event_faces(event_id={event}, full=True)
print(json.dumps({{"people": count, "seconds": round(time.perf_counter() - started, 1),
    "process_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    "before_mb": round(before / 1024)}}))
"""


def through_database(sizes: list[int]) -> None:
    from bench.searchdata import populate

    rows = []
    for faces in sizes:
        print(f"loading {faces} faces into one event of the bench database...", flush=True)
        data = populate(faces=faces + 100, events=2, big_event_faces=faces, hnsw=False)
        script = THROUGH_DATABASE.format(root=str(ROOT), event=data["events"][0])
        for run in ("no people yet", "people in place"):
            result = subprocess.run(
                [sys.executable, "-c", script], capture_output=True, text=True, check=True
            )
            row = {"faces": faces, "run": run, **json.loads(result.stdout.strip().splitlines()[-1])}
            print(row, flush=True)
            rows.append(row)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "grouping-database.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
