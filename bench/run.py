#!/usr/bin/env python
"""Every speed figure in one run: ingest, search at three sizes, pages at the largest.

    .venv/bin/python bench/run.py [--sizes 10000,100000,1000000] [--events 1000]
                                  [--photos 12] [--only ingest,search,pages,clip]

Runs the scripts beside it, each in its own process (so that peak memory is per
process, as for a worker), then prints one table and writes bench/results/all.json:

- ingest (faces_bench.py): the default pipeline and the demo's (Haar + CLIP ViT-B/32)
  on the same composed photos: photos/s, faces/s, faces found, peak memory per worker;
- search (search_bench.py) at each size, in 1,000 events, the biggest event holding
  10,000 faces (a tenth of the faces at 10k): p50/p95 and recall against exact search
  for one event, one event + a date range, an organiser's 10 events, all events;
- pages (search_bench.py and admin_bench.py, at the largest size): the attendee selfie
  search request, the organiser gallery and the admin face changelist;
- clip (clip_bench.py): smart search throughput by batch size.

The 1M size takes about 10 minutes (COPY load, then the HNSW build).
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable


def run(script: str, *arguments: str, output: Path) -> dict:
    command = [PYTHON, str(ROOT / "bench" / script), *arguments, "--output", str(output)]
    print("$", " ".join(command[1:]), flush=True)
    started = time.monotonic()
    subprocess.run(command, check=True, cwd=ROOT)
    print(f"  ({time.monotonic() - started:.0f} s)", flush=True)
    return json.loads(output.read_text())


def big_event_size(faces: int) -> int:
    return min(10_000, faces // 10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--photos", type=int, default=12, help="Composed photos for ingest.")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--only", default="ingest,search,pages,clip")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    sizes = [int(size) for size in args.sizes.split(",")]
    RESULTS.mkdir(parents=True, exist_ok=True)
    report: dict = {"sizes": sizes, "events": args.events}

    if "ingest" in parts:
        report["ingest"] = run(
            "faces_bench.py", "--photos", str(args.photos), output=RESULTS / "faces.json"
        )
    elif (RESULTS / "faces.json").exists():  # an earlier run's ingest figures
        report["ingest"] = json.loads((RESULTS / "faces.json").read_text())
    if "search" in parts or "pages" in parts:
        report["search"] = {}
        for size in sizes:
            report["search"][size] = run(
                "search_bench.py",
                "--faces", str(size),
                "--events", str(args.events),
                "--big-event", str(big_event_size(size)),
                "--queries", str(args.queries),
                output=RESULTS / f"search-{size}.json",
            )  # fmt: skip
    if "pages" in parts:
        # Reuses the rows search_bench.py just loaded at the largest size.
        report["admin"] = run(
            "admin_bench.py",
            "--reuse",
            "--faces", str(sizes[-1]),
            "--events", str(args.events),
            output=RESULTS / "admin.json",
        )  # fmt: skip
    if "clip" in parts:
        report["clip"] = run("clip_bench.py", output=RESULTS / "clip.json")

    print_summary(report)
    (RESULTS / "all.json").write_text(json.dumps(report, indent=2))
    print(f"written {RESULTS / 'all.json'}")


def print_summary(report: dict) -> None:
    print("\n=== summary ===")
    if "ingest" in report:
        print(
            f"\n{'ingest pipeline':54} {'photos/s':>9} {'faces/s':>8} {'faces':>6} {'peak MB':>8}"
        )
        for row in report["ingest"]["ingest"]:
            print(
                f"{row['pipeline']:54} {row['photos_per_second']:9.2f} "
                f"{row['faces_per_second']:8.1f} {row['faces']:6d} {row['peak_rss_mb']:8.0f}"
            )
        print(f"default / demo photos per second: {report['ingest']['speedup']:.2f}x")
    if "search" in report:
        print(f"\n{'faces':>9} {'search':32} {'path':>6} {'p50 ms':>8} {'p95 ms':>8} {'recall':>7}")
        for size, result in report["search"].items():
            for name, row in result["searches"].items():
                recall = row.get("recall_vs_exact")
                print(
                    f"{size:>9} {name:32} {'exact' if row['exact'] else 'hnsw':>6} "
                    f"{row['p50_ms']:8.2f} {row['p95_ms']:8.2f} "
                    f"{recall if recall is not None else '':>7}"
                )
        largest = report["search"][max(report["search"])]
        print(f"index settings: {json.dumps(largest['index_settings'])}")
        print(
            f"\n{'page at ' + str(max(report['search'])) + ' faces':42} {'p50 ms':>8} {'p95 ms':>8}"
        )
        for name, row in largest["pages"].items():
            print(f"{name:42} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f}")
    if "admin" in report:
        for name, row in report["admin"]["pages"].items():
            print(f"{'admin: ' + name:42} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f}")
    if "clip" in report:
        print(f"\n{'CLIP ViT-B/32 threads':>22} {'batch':>6} {'photos/s':>9}")
        for row in report["clip"]["rows"]:
            print(f"{row['threads']:>22} {row['batch_size']:>6} {row['photos_per_second']:9.2f}")


if __name__ == "__main__":
    main()
