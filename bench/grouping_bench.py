#!/usr/bin/env python
"""Grouping an event's faces into people: time and memory by event size.

    .venv/bin/python bench/grouping_bench.py [--sizes 2000,10000,20000]

Synthetic faces like real dlib unit vectors (about 25 faces per person, one person's
faces 0.25-0.4 apart, bench/searchdata.NOISE), a few per photo. For each size, runs
``faces.grouping.group_faces`` with the product's settings in a fresh process and
reports the time, the process's peak memory above its start, and the purity (share
of groups holding one identity) and completeness (groups per identity). Writes
bench/results/grouping.json. No database: the event job adds reading the vectors and
writing the labels (docs/performance.md).
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ONE_SIZE = """
import json, resource, sys, time
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
started = time.perf_counter()
labels = group_faces(
    vectors, photos, threshold={threshold}, relative={relative}, spread_floor={floor}
)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
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
    parser.add_argument("--sizes", default="2000,10000,20000")
    args = parser.parse_args()
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from faces.calibration import calibration_for

    calibration = calibration_for("dlib-resnet-v1")
    rows = []
    for count in [int(size) for size in args.sizes.split(",")]:
        script = ONE_SIZE.format(
            root=str(ROOT),
            count=count,
            threshold=calibration.grouping,
            relative=calibration.grouping_relative,
            floor=calibration.grouping_floor,
        )
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        )
        row = json.loads(result.stdout.strip().splitlines()[-1])
        row["process_seconds"] = round(time.perf_counter() - started, 1)
        rows.append(row)
        print(
            f"{row['faces']:7d} faces: {row['seconds']:6.2f} s, peak +{row['peak_mb']:.0f} MB, "
            f"{row['groups']} groups, purity {row['purity']:.3f}, "
            f"{row['groups_per_identity']:.2f} groups per person"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "grouping.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
