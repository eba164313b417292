#!/usr/bin/env python
"""Moderation pages with a million faces in the table.

    .venv/bin/python bench/admin_bench.py [--faces 1000000] [--events 1000] [--requests 20]

Fills the benchmark database (photos_bench) with synthetic faces (COPY; the HNSW index
is not rebuilt: these pages never use it), then times, as a logged-in staff member
through Django's test client: the face changelist (default order, lowest score first),
the changelist filtered by event and status, and the review grid of the biggest event.
Prints p50/p95 and the number of SQL queries per page; writes bench/results/admin.json.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench.searchdata import populate, use_bench_database  # noqa: E402


def measure(client, url: str, requests: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm-up
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    ordered = sorted(samples)
    return {
        "status": response.status_code,
        "p50_ms": round(1000 * statistics.median(ordered), 1),
        "p95_ms": round(1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
        "queries": len(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--faces", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--big-event", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="Keep the data already loaded.")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "admin.json"))
    args = parser.parse_args()
    use_bench_database()
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from faces.models import Face
    from photos.models import Event

    call_command("migrate", verbosity=0)
    if not args.reuse or Face.objects.count() < args.faces:
        print(f"loading {args.faces} faces in {args.events} events...", flush=True)
        data = populate(
            faces=args.faces, events=args.events, big_event_faces=args.big_event, hnsw=False
        )
        print(f"loaded in {data['load_seconds']} s", flush=True)
    settings.ALLOWED_HOSTS = ["*"]
    staff, _ = get_user_model().objects.get_or_create(
        username="bench-staff", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(staff)
    big = Event.objects.order_by("pk").first()
    pages = {
        "face changelist": "/admin/faces/face/",
        "face changelist, event + status filter": (
            f"/admin/faces/face/?event={big.pk}&status__exact=visible"
        ),
        "face changelist, low score band": "/admin/faces/face/?score_band=low",
        "review grid (10k-face event)": f"/admin/faces/face/review/?event={big.pk}",
        "event changelist": "/admin/photos/event/",
    }
    rows = {name: measure(client, url, args.requests) for name, url in pages.items()}
    total = Face.objects.count()
    print(f"\n{total} faces in the table")
    print(f"{'page':42} {'status':>6} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for name, row in rows.items():
        print(
            f"{name:42} {row['status']:>6} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} "
            f"{row['queries']:>8}"
        )
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps({"faces": total, "pages": rows}, indent=2))
    print(f"written {args.output}")


if __name__ == "__main__":
    main()
