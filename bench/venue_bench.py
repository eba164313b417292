#!/usr/bin/env python
"""A venue under attack: 300 guests behind one address search while an attacker sends
junk from 4 addresses, against gunicorn with the production settings and limits.

    .venv/bin/python bench/venue_bench.py [--guests 300] [--junk 1500] [--attackers 4]

Runs on the benchmark database (photos_bench): indexes an event of 40 photos from
../shared/testdata/faces, starts gunicorn (2 processes x 4 threads) with the default
rate limits and ``TRUST_X_FORWARDED_FOR`` (each simulated client sends its address in
X-Forwarded-For, as a proxy would), then at once:

- the attacker: --junk requests from --attackers addresses (half IPv4, half IPv6 /64s
  of one /48), each fetching the attendee page for a fresh browser cookie and posting
  junk in turn: no CSRF token, no file, a file that is not an image;
- the venue: --guests guests behind one address, 8 at a time, each opening the page,
  posting a real selfie (a face of the development set) and opening the results.

Every guest must get the results (303 then 200): the script exits 1 otherwise. Prints
how the guests were answered, their selfie request's p50/p95 (the POST plus the results
page), and what the junk got. Writes bench/results/venue.json.
"""

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench.searchdata import use_bench_database  # noqa: E402
from tests.live import HttpClient  # noqa: E402

PORT = 8943
BASE = f"http://127.0.0.1:{PORT}"
VENUE = "203.0.113.7"


def client(address: str) -> HttpClient:
    """One browser behind ``address`` (sent as a proxy would): cookies, CSRF, multipart,
    no redirects followed (tests/live.py)."""
    return HttpClient(BASE, headers={"X-Forwarded-For": address})


JUNK = [
    ({"consent": "on"}, None, False),  # no CSRF token
    ({"consent": "on"}, None, True),  # no file
    ({"consent": "on"}, {"selfie": ("x.jpg", b"not an image" * 200)}, True),  # not an image
]


def attack(token: str, address: str, count: int, statuses: Counter, lock) -> None:
    for number in range(count):
        attacker = client(address)
        attacker.get(f"/e/{token}/")  # a fresh browser cookie each time
        fields, files, csrf = JUNK[number % len(JUNK)]
        status = attacker.post(f"/e/{token}/search/", fields, files, csrf=csrf).status
        with lock:
            statuses[status] += 1


def guest(token: str, selfie: bytes) -> tuple[int, int, float]:
    browser = client(VENUE)
    browser.get(f"/e/{token}/")
    started = time.perf_counter()
    files = {"selfie": ("me.jpg", selfie)}
    searched = browser.post(f"/e/{token}/search/", {"consent": "on"}, files).status
    shown = browser.get(f"/e/{token}/photos/").status if searched == 303 else 0
    return searched, shown, time.perf_counter() - started


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[int(fraction * (len(ordered) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--guests", type=int, default=300)
    parser.add_argument("--junk", type=int, default=1500)
    parser.add_argument("--attackers", type=int, default=4)
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared" / "testdata" / "faces"))
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "venue.json"))
    args = parser.parse_args()
    use_bench_database()
    os.environ["TRUST_X_FORWARDED_FOR"] = "true"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from core.models import RateCounter
    from photos.models import Event
    from photos.services import delete_event

    call_command("migrate", verbosity=0)
    RateCounter.objects.all().delete()  # a fresh window for every counter
    dataset = Path(args.dataset)
    organiser, _ = get_user_model().objects.get_or_create(username="venue-organiser")
    event = Event.objects.create(
        owner=organiser, name="Venue", slug=f"venue-{uuid.uuid4().hex[:8]}"
    )
    people = sorted((dataset / "identities").iterdir())[:40]
    gallery = [person / "2.jpg" for person in people if (person / "2.jpg").exists()]
    call_command(
        "index_photos", "--event", event.slug, "--album", "Venue", "--sync",
        *[str(p) for p in gallery], stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    selfies = [(person / "1.jpg").read_bytes() for person in people]
    connection.close()
    environment = {**os.environ, "TRUST_X_FORWARDED_FOR": "true"}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{PORT}",
            "--config", str(ROOT / "config" / "gunicorn.py"),
            "--workers", "2", "--threads", "4", "--timeout", "120",
        ],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    token = event.attendee_token
    junk_statuses, lock = Counter(), threading.Lock()
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(BASE + "/login/").read()
                break
            except OSError:
                time.sleep(0.2)
        addresses = [
            f"198.51.100.{n + 1}" if n % 2 == 0 else f"2001:db8:77:{n:x}::1"
            for n in range(args.attackers)
        ]
        per_attacker = args.junk // args.attackers
        attackers = [
            threading.Thread(
                target=attack, args=(token, address, per_attacker, junk_statuses, lock)
            )
            for address in addresses
        ]
        started = time.monotonic()
        for thread in attackers:
            thread.start()
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(
                pool.map(lambda n: guest(token, selfies[n % len(selfies)]), range(args.guests))
            )
        guests_done = time.monotonic() - started
        for thread in attackers:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
        delete_event(event=event)
    searched = Counter(status for status, _, _ in answers)
    shown = Counter(status for _, status, _ in answers)
    times = [seconds for status, _, seconds in answers if status == 303]
    all_answered = searched == Counter({303: args.guests}) and shown == Counter({200: args.guests})
    report = {
        "guests": args.guests,
        "junk": per_attacker * args.attackers,
        "attacker_addresses": args.attackers,
        "guest_search_statuses": dict(searched),
        "guest_results_statuses": dict(shown),
        "guest_p50_ms": round(1000 * statistics.median(times), 1) if times else None,
        "guest_p95_ms": round(1000 * percentile(times, 0.95), 1) if times else None,
        "junk_statuses": dict(junk_statuses),
        "guests_seconds": round(guests_done, 1),
        "seconds": round(elapsed, 1),
        "all_guests_answered": all_answered,
    }
    print(
        f"\n{args.guests} guests behind one address, {report['junk']} junk requests from "
        f"{args.attackers} addresses, in {elapsed:.0f} s (guests done in {guests_done:.0f} s)"
    )
    print(f"guests' searches: {dict(searched)}; their results pages: {dict(shown)}")
    if times:
        print(
            f"guest selfie request (POST + results page): p50 {report['guest_p50_ms']} ms, "
            f"p95 {report['guest_p95_ms']} ms"
        )
    print(f"junk answered: {dict(junk_statuses)}")
    print("every guest answered" if all_answered else "SOME GUESTS WERE NOT ANSWERED")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2))
    print(f"written {args.output}")
    return 0 if all_answered else 1


if __name__ == "__main__":
    sys.exit(main())
