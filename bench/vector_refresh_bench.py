#!/usr/bin/env python
"""Bringing an event stored before the small-face rule up to it (faces.vector_refresh)
while searches run.

    .venv/bin/python bench/vector_refresh_bench.py [--groups 12] [--portraits 150]

Uses its own database (photos_bench) on the same server. An event of ``--groups``
composed group photos (2000x1500, 15 faces of 35-150 px each: bench/composed.py, the
ingest benchmark's photos, most of whose faces are small) and ``--portraits`` identity
photos of ../shared/testdata/faces is processed with every face stored plain
(``FACES_MIRROR_BELOW_PX=0``) and dlib's landmarks found in the detector's own box
(alignment 1), as before 2026-12-06, and grouped: an install upgraded from then, whose
every face waits (``--mirror-only``: the current alignment, only small faces wait).
Then the rule in force comes back and the background pass runs here, chunk by chunk,
as the worker runs it, while another thread searches the event with every person's
selfie without pause.

Reports the pass's time per photo it had to read and per vector it changed, the full
regrouping after it, and the searches meanwhile (errors, and selfies that had results
before answered with none: both must be 0). Checks its answers: afterwards no vector
waits, every face is the one stored before, and every changed vector follows the
rule. Writes bench/results/vector-refresh.json.
"""

import argparse
import io
import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("MEDIA_ROOT", str(ROOT / "var" / "bench-media"))

from bench.searchdata import use_bench_database  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def build_event(args):
    from django.conf import settings

    from bench.composed import compose_photos
    from bench.searchdata import one_album_event
    from faces import people_upkeep, processing
    from photos.services import add_photo

    event, album = one_album_event("Refresh", "refresh")
    dataset = Path(args.dataset)
    uploads = []
    for number, photo in enumerate(compose_photos(dataset, args.groups)):
        data = io.BytesIO()
        photo.image.save(data, "JPEG", quality=90)
        uploads.append((f"group-{number}.jpg", data.getvalue()))
    folders = sorted(p for p in (dataset / "identities").iterdir() if p.is_dir())
    portraits = sorted(path for folder in folders for path in sorted(folder.glob("*.jpg"))[1:3])
    uploads += [(path.name, path.read_bytes()) for path in portraits[: args.portraits]]
    settings.FACES_MIRROR_BELOW_PX = 0  # every face plain, as before the rule
    # ... and dlib's landmarks found in the detector's box, unless --mirror-only.
    with earlier_alignment(enabled=not args.mirror_only):
        for name, data in uploads:
            added = add_photo(album=album, fp=io.BytesIO(data), original_filename=name, queue=False)
            processing.process_photo(photo_id=added.photo.pk)
        people_upkeep.group_event_faces(event_id=event.pk)
    settings.FACES_MIRROR_BELOW_PX = None  # the calibrated rule again
    selfies = [sorted(folder.glob("*.jpg"))[0] for folder in folders]
    return event, selfies


@contextmanager
def earlier_alignment(enabled: bool = True):
    """dlib's landmarks found in the detector's own box meanwhile (alignment 1, as
    before 2026-12-06); the current way again afterwards."""
    from faces.engines import get_embedder
    from ml.embedders import dlib

    embedder_class = type(get_embedder())
    box, alignment = dlib.DLIB_BOX, embedder_class.alignment
    if enabled:
        dlib.DLIB_BOX = dict(shift_x=0, shift_y=0, width=1, height=1)
        embedder_class.alignment = 1
    try:
        yield
    finally:
        dlib.DLIB_BOX, embedder_class.alignment = box, alignment


def selfie_vectors(paths: list[Path]) -> list:
    from faces import selfies
    from faces.engines import get_embedder

    vectors = []
    for path in paths:
        try:
            selfie = selfies.read_selfie(fp=io.BytesIO(path.read_bytes()))
        except selfies.SelfieError:
            continue
        vectors.append(selfie.vector(get_embedder().name))
    return vectors


def run(args) -> dict:
    from bench.reembed_bench import Searcher
    from faces import people_upkeep, vector_refresh
    from faces.analysis import current_rule, stored_mirrored
    from faces.engines import get_embedder
    from faces.matching import MatchRules
    from faces.models import Face, vector_model
    from faces.search import find_matches
    from photos.filters import SearchFilters

    event, selfie_files = build_event(args)
    embedder = get_embedder()
    vectors = selfie_vectors(selfie_files)
    filters = SearchFilters(event_ids=[event.pk])
    rules = MatchRules.for_embedder(embedder.name)
    expected = {
        i
        for i, vector in enumerate(vectors)
        if find_matches(vector, embedder=embedder.name, filters=filters, rules=rules).sure
    }
    faces_before = set(Face.objects.filter(event=event).values_list("pk", flat=True))
    stale = vector_refresh.stale_vectors(event_id=event.pk, embedder=embedder)
    waiting = stale.count()
    stale_photos = stale.values_list("photo_id", flat=True).distinct().count()
    stale_faces = set(stale.values_list("face_id", flat=True))

    searcher = Searcher(event.pk, {embedder.name: vectors}, expected)
    searcher.start()
    time.sleep(2)
    started = time.perf_counter()
    assert vector_refresh.start_refreshes(embedder=embedder) == [event.pk]
    refreshed, after, problems = 0, 0, []
    while True:
        chunk = vector_refresh.refresh_chunk(event_id=event.pk, embedder=embedder, after=after)
        refreshed += chunk.refreshed
        problems += chunk.problems
        if chunk.last_photo is None:
            break
        after = chunk.last_photo
    pass_seconds = time.perf_counter() - started
    vector_refresh.finish(event_id=event.pk, embedder=embedder, refreshed=refreshed)
    regroup_started = time.perf_counter()
    people_upkeep.group_event_faces(event_id=event.pk)
    regroup_seconds = time.perf_counter() - regroup_started
    time.sleep(2)
    searcher.stop.set()
    searcher.join()

    # Selfies with results before the pass and none after it: the new vectors' own
    # answer (as after a model change), counted apart from failures during the pass.
    lost = {
        i
        for i in expected
        if not find_matches(vectors[i], embedder=embedder.name, filters=filters, rules=rules).sure
    }
    found_after = {
        i
        for i, vector in enumerate(vectors)
        if find_matches(vector, embedder=embedder.name, filters=filters, rules=rules).sure
    }
    rows = vector_model(embedder.dimensions).objects.filter(event=event, face_id__in=stale_faces)
    checks = {
        "nothing_waits_after": vector_refresh.waiting(event_id=event.pk, embedder=embedder) == 0,
        "same_faces": set(Face.objects.filter(event=event).values_list("pk", flat=True))
        == faces_before,
        "every_changed_vector_follows_the_rule": all(
            row.mirrored == stored_mirrored(row.face, embedder)
            and row.alignment == embedder.alignment
            for row in rows.select_related("face")
        ),
        "every_waiting_vector_changed": refreshed == waiting and not problems,
    }
    return {
        "rule": current_rule(embedder),
        "photos": event.photos.count(),
        "faces": len(faces_before),
        "vectors_waiting": waiting,
        "photos_read": stale_photos,
        "vectors_changed": refreshed,
        "pass_seconds": round(pass_seconds, 1),
        "ms_per_photo_read": round(1000 * pass_seconds / max(1, stale_photos), 1),
        "ms_per_vector": round(1000 * pass_seconds / max(1, refreshed), 1),
        "full_regroup_seconds": round(regroup_seconds, 2),
        "searches_meanwhile": searcher.report(),
        "selfies_with_results": {"before": len(expected), "after": len(found_after)},
        "selfies_with_results_before_and_none_after": len(lost),
        "selfies_empty_meanwhile_but_found_after": len(searcher.empty_selfies - lost),
        "checks": checks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", default=str(ROOT.parent / "shared/testdata/faces"))
    parser.add_argument("--groups", type=int, default=12)
    parser.add_argument("--portraits", type=int, default=150)
    parser.add_argument(
        "--mirror-only",
        action="store_true",
        help="Store the event with the current alignment: only small faces wait.",
    )
    args = parser.parse_args()
    use_bench_database()
    import django

    django.setup()
    import torch

    torch.set_num_threads(1)  # as a worker runs
    report = run(args)
    print(json.dumps(report, indent=2))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "vector-refresh.json").write_text(json.dumps(report, indent=2))
    searches = report["searches_meanwhile"]
    failed = [name for name, ok in report["checks"].items() if not ok]
    if searches["errors"]:
        failed.append("search errors during the pass")
    if report["selfies_empty_meanwhile_but_found_after"]:
        failed.append("selfies answered with nothing during the pass")
    if failed:
        sys.exit(f"FAILED: {failed}")


if __name__ == "__main__":
    main()
