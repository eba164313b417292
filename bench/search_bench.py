#!/usr/bin/env python
"""Search latency and recall on synthetic vectors, and the selfie request end to end.

    .venv/bin/python bench/search_bench.py [--faces 100000] [--events 100] [--big-event 10000]

Uses its own database (photos_bench) on the same server. Measures:
- the search query inside the big event (exact path), p50/p95;
- the same with a date range; across the first organiser's 10 events (exact);
- across all events (HNSW + iterative scan), p50/p95 and recall against exact search;
- a selfie POST to the attendee page through Django (detect + embed + search + render),
  with real selfies from ../shared/testdata, p50/p95.
Prints a table and writes bench/results/search.json.
"""

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench.searchdata import (  # noqa: E402
    BENCH_EMBEDDER,
    NOISE,
    populate,
    reload_populated,
    unit,
    use_bench_database,
)

THRESHOLD = 0.40


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "p50_ms": round(1000 * statistics.median(ordered), 2),
        "p95_ms": round(1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
    }


def selfie_like(rng, centres):
    import numpy as np

    centre = centres[int(rng.integers(0, len(centres)))]
    return unit(centre + rng.normal(scale=NOISE, size=128)).astype(np.float32)


def time_queries(queries, filters, *, exact_reference=None) -> dict:
    from faces.search import find_photo_matches, uses_exact_search

    samples, found, expected = [], 0, 0
    for query in queries:
        started = time.perf_counter()
        matches = find_photo_matches(
            query, embedder=BENCH_EMBEDDER, filters=filters, threshold=THRESHOLD
        )
        samples.append(time.perf_counter() - started)
        if exact_reference is not None:
            truth = {m.photo_id for m in exact_reference(query)}
            found += len(truth & {m.photo_id for m in matches})
            expected += len(truth)
    row = {
        "queries": len(queries),
        "exact": uses_exact_search(embedder=BENCH_EMBEDDER, dimensions=128, filters=filters),
        **percentiles(samples),
    }
    if exact_reference is not None:
        row["recall_vs_exact"] = round(found / expected, 4) if expected else None
        row["matches_expected"] = expected
    return row


def exact_everywhere(event_ids):
    """Exact search over the events (every distance computed): the recall reference."""
    from faces.matching import CandidateFace, MatchRules, decide
    from faces.search import exact_candidates
    from photos.filters import SearchFilters

    filters = SearchFilters(event_ids=event_ids)
    rules = MatchRules(sure=THRESHOLD, maybe=THRESHOLD, mode="single")

    def run(query):
        rows = exact_candidates(
            query, embedder=BENCH_EMBEDDER, filters=filters, threshold=THRESHOLD
        )
        return decide([CandidateFace(*row[:5]) for row in rows], rules).sure

    return run


def person_searches(event_pk: int, queries) -> dict:
    """The product's whole decision in the big event once it is grouped into people:
    the candidate query, the people's centres (AVG over their faces) and the rules."""
    from faces import people_upkeep
    from faces.matching import MatchRules
    from faces.models import faces_changed
    from faces.search import find_matches
    from photos.filters import SearchFilters

    faces_changed([event_pk])
    started = time.perf_counter()
    people = people_upkeep.group_event_faces(event_id=event_pk)
    grouping_seconds = time.perf_counter() - started
    filters, rules = SearchFilters(event_ids=[event_pk]), MatchRules.for_embedder(BENCH_EMBEDDER)
    samples, found = [], 0
    for query in queries:
        started = time.perf_counter()
        decision = find_matches(query, embedder=BENCH_EMBEDDER, filters=filters, rules=rules)
        samples.append(time.perf_counter() - started)
        found += len(decision.sure)
    return {
        "queries": len(queries),
        "exact": True,
        "people": people,
        "grouping_seconds": round(grouping_seconds, 2),
        "photos_found_per_search": round(found / len(queries), 1),
        **percentiles(samples),
    }


def selfie_requests(event_pk: int, dataset: Path, count: int) -> dict:
    from django.conf import settings
    from django.test import Client

    from photos.models import Event

    settings.ATTENDEE_SEARCHES_PER_BROWSER = 10**6
    settings.ATTENDEE_SEARCHES_PER_ADDRESS = 10**6
    settings.ATTENDEE_SEARCHES_PER_EVENT = 10**6
    settings.ALLOWED_HOSTS = ["*"]
    event = Event.objects.get(pk=event_pk)
    selfies = sorted((dataset / "identities").glob("*/1.jpg"))[:count]
    client = Client()
    url = f"/e/{event.attendee_token}/search/"
    samples, posts, answered = [], [], 0
    client.post(url, {"selfie": selfies[0].open("rb"), "consent": "on"})  # loads the models
    for path in selfies:
        with path.open("rb") as fp:
            # The guest's wait: the search (answered with a redirect, post-redirect-get)
            # and the results page it leads to.
            started = time.perf_counter()
            response = client.post(url, {"selfie": fp, "consent": "on"})
            posted = time.perf_counter()
            shown = client.get(response["Location"]) if response.status_code == 303 else None
            samples.append(time.perf_counter() - started)
            posts.append(posted - started)
        answered += shown is not None and shown.status_code == 200
    return {
        "requests": len(samples),
        "ok": answered,
        **percentiles(samples),
        "post_only": percentiles(posts),
    }


def gallery_requests(event_pk: int, count: int) -> dict:
    """The organiser's album page (first page of 120 photos) of the biggest event."""
    from django.test import Client

    from photos.models import Album, Event

    event = Event.objects.get(pk=event_pk)
    album = Album.objects.filter(event=event).first()
    client = Client()
    client.force_login(event.owner)
    url = f"/albums/{album.pk}/"
    client.get(url)  # warm-up
    samples, statuses = [], []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - started)
        statuses.append(response.status_code)
    return {"requests": count, "ok": statuses.count(200), **percentiles(samples)}


def index_settings() -> dict:
    from django.conf import settings

    return {
        "hnsw": "m=24, ef_construction=100, vector_l2_ops",
        "hnsw.ef_search": settings.FACES_HNSW_EF_SEARCH,
        "hnsw.max_scan_tuples": settings.FACES_HNSW_MAX_SCAN,
        "hnsw.iterative_scan": "relaxed_order (SET LOCAL)",
        "approximate_limit": settings.FACES_APPROXIMATE_SEARCH_LIMIT,
        "approximate_limit_max": settings.FACES_APPROXIMATE_SEARCH_MAX,
        "exact_search_max_faces": settings.FACES_EXACT_SEARCH_MAX_FACES,
        "threshold": THRESHOLD,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--faces", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--big-event", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--selfies", type=int, default=30)
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared" / "testdata" / "faces"))
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "search.json"))
    parser.add_argument("--reuse", action="store_true", help="Keep the rows already loaded.")
    args = parser.parse_args()
    use_bench_database()
    import django
    import numpy as np

    django.setup()
    from photos.filters import SearchFilters

    if args.reuse:
        data = reload_populated()
    else:
        print(f"loading {args.faces} faces in {args.events} events...", flush=True)
        data = populate(faces=args.faces, events=args.events, big_event_faces=args.big_event)
    rng = np.random.default_rng(42)
    big_event, big_centres = data["identities"][0]
    big_queries = [selfie_like(rng, big_centres) for _ in range(args.queries)]
    all_centres = np.concatenate([centres for _, centres in data["identities"]])
    any_queries = [selfie_like(rng, all_centres) for _ in range(args.queries)]
    owner_centres = np.concatenate([c for e, c in data["identities"] if e in data["owner_events"]])
    owner_queries = [selfie_like(rng, owner_centres) for _ in range(args.queries)]
    day = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    rows = {
        f"one event ({args.big_event} faces)": time_queries(
            big_queries,
            SearchFilters(event_ids=[big_event]),
            exact_reference=exact_everywhere([big_event]),
        ),
        "one event + date range": time_queries(
            big_queries,
            SearchFilters(
                event_ids=[big_event], taken_from=day, taken_to=day + dt.timedelta(hours=24)
            ),
        ),
        "organiser's 10 events": time_queries(
            owner_queries,
            SearchFilters(event_ids=data["owner_events"]),
            exact_reference=exact_everywhere(data["owner_events"]),
        ),
        "all events (HNSW)": time_queries(
            any_queries,
            SearchFilters(event_ids=None),
            exact_reference=exact_everywhere(data["events"]),
        ),
    }
    rows[f"person search ({args.big_event} faces, grouped)"] = person_searches(
        big_event, big_queries
    )
    selfie = selfie_requests(big_event, Path(args.dataset), args.selfies)
    gallery = gallery_requests(big_event, args.selfies)
    print(
        f"\n{args.faces} faces, {args.events} events; load {data['load_seconds']} s, "
        f"HNSW build {data['index_seconds']} s; threshold {THRESHOLD}"
    )
    print(f"{'search':28} {'path':>6} {'p50 ms':>8} {'p95 ms':>8} {'recall':>7}")
    for name, row in rows.items():
        recall = row.get("recall_vs_exact")
        print(
            f"{name:28} {'exact' if row['exact'] else 'hnsw':>6} {row['p50_ms']:8.2f} "
            f"{row['p95_ms']:8.2f} {recall if recall is not None else '':>7}"
        )
    print(
        f"{'selfie request (end to end)':28} {'':>6} "
        f"{selfie['p50_ms']:8.1f} {selfie['p95_ms']:8.1f}"
        f"   ({selfie['ok']}/{selfie['requests']} answered: 303 then results 200)"
    )
    post = selfie["post_only"]
    print(f"{'  of which the search POST':28} {'':>6} {post['p50_ms']:8.1f} {post['p95_ms']:8.1f}")
    print(
        f"{'organiser gallery page':28} {'':>6} "
        f"{gallery['p50_ms']:8.1f} {gallery['p95_ms']:8.1f}"
        f"   ({gallery['ok']}/{gallery['requests']} answered 200)"
    )
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(
        json.dumps(
            {
                "faces": args.faces,
                "events": args.events,
                "big_event": args.big_event,
                "load_seconds": data["load_seconds"],
                "index_seconds": data["index_seconds"],
                "searches": rows,
                "index_settings": index_settings(),
                "pages": {
                    "attendee selfie search (POST)": selfie,
                    "organiser gallery (biggest album)": gallery,
                },
            },
            indent=2,
        )
    )
    print(f"written {args.output}")


if __name__ == "__main__":
    main()
