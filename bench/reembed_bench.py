#!/usr/bin/env python
"""Switching an event from dlib to ArcFace while searches run.

    FACES_ARCFACE_MODEL=/path/w600k_mbf.onnx .venv/bin/python bench/reembed_bench.py \\
        [--photos 200] [--faces 100000]

Uses its own database (photos_bench) on the same server; the ArcFace file is the
operator's (never shipped; see README "ArcFace").

1. Real photos: ``--photos`` identity photos of ../shared/testdata/faces are processed
   into an event with dlib, then re-embedded with ArcFace through the service the
   worker runs (faces.reembedding), photo by photo, while another thread searches the
   event without pause, each search with the vector of the embedder the event answers
   from at that moment. Reports time per photo and per face, the process's peak memory,
   and the searches: how many, errors, and empty answers for selfies that had results
   before the change.
2. Scale: a synthetic event of ``--faces`` dlib faces (bench/searchdata.py); the
   database side of the same switch: new 512-number vectors (an isometric image of the
   128-number ones, so people stay apart) stored 40 photos at a time through
   ``store_new_vectors``, with the HNSW index kept up to date, while searches run; then
   the switch. The model's own time at that size is the measured time per face times
   the faces (extrapolated, stated as such).
Writes bench/results/reembed.json.
"""

import argparse
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# The bench's photos stay out of the app's own media folder.
os.environ.setdefault("MEDIA_ROOT", str(ROOT / "var" / "bench-media"))

from bench.searchdata import BENCH_EMBEDDER, NOISE, populate, unit, use_bench_database  # noqa: E402


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class Searcher(threading.Thread):
    """Searches the event in a loop with the vector of whichever embedder answers."""

    def __init__(self, event_id: int, selfies: dict[str, list], expected: set[int]) -> None:
        super().__init__(daemon=True)
        self.event_id, self.selfies, self.expected = event_id, selfies, expected
        self.stop = threading.Event()
        self.searches = self.errors = 0
        self.by_embedder: dict[str, int] = {}
        self.empty_by_embedder: dict[str, int] = {}
        self.empty_selfies: set[int] = set()  # which of the expected came back empty
        self.latencies: list[float] = []

    def run(self) -> None:
        from django.db import connection

        from faces.engines import event_embedder_name
        from faces.matching import MatchRules
        from faces.search import find_matches
        from photos.filters import SearchFilters

        filters = SearchFilters(event_ids=[self.event_id])
        number = 0
        while not self.stop.is_set():
            index = number % len(self.selfies[BENCH_EMBEDDER])
            number += 1
            started = time.perf_counter()
            try:
                name = event_embedder_name(self.event_id)
                vectors = self.selfies[name]
                decision = find_matches(
                    vectors[index],
                    embedder=name,
                    filters=filters,
                    rules=MatchRules.for_embedder(name),
                )
            except Exception as error:  # counted: the point is that none happen
                self.errors += 1
                print(f"search error: {error!r}", flush=True)
                continue
            self.latencies.append(time.perf_counter() - started)
            self.searches += 1
            self.by_embedder[name] = self.by_embedder.get(name, 0) + 1
            if index in self.expected and not decision.sure:
                self.empty_selfies.add(index)
                self.empty_by_embedder[name] = self.empty_by_embedder.get(name, 0) + 1
        connection.close()

    def report(self) -> dict:
        ordered = sorted(self.latencies) or [0.0]
        return {
            "searches": self.searches,
            "errors": self.errors,
            # Selfies that had results before the change, answered with none: while the
            # old embedder answers (must be 0), and after the switch (the new model's
            # own answer, which may differ).
            "empty_answers_for_selfies_with_results": self.empty_by_embedder,
            "answered_by": self.by_embedder,
            "p50_ms": round(1000 * ordered[len(ordered) // 2], 1),
            "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 1),
        }


def real_photos(args) -> dict:
    import io

    from bench.searchdata import one_album_event
    from faces import processing, reembedding, selfies
    from faces.engines import get_embedder
    from faces.matching import MatchRules
    from faces.search import find_matches
    from ml import loader
    from photos.filters import SearchFilters
    from photos.services import add_photo

    event, album = one_album_event("Switch", "switch")
    identities = sorted((Path(args.dataset) / "identities").iterdir())
    files = sorted(path for folder in identities for path in sorted(folder.glob("*.jpg"))[1:4])
    files = files[: args.photos]
    selfie_files = [sorted(folder.glob("*.jpg"))[0] for folder in identities]
    started = time.perf_counter()
    for path in files:
        with path.open("rb") as fp:
            added = add_photo(album=album, fp=fp, original_filename=path.name, queue=False)
        processing.process_photo(photo_id=added.photo.pk)
    index_seconds = time.perf_counter() - started
    from faces import people_upkeep

    people_upkeep.group_event_faces(event_id=event.pk)
    dlib = get_embedder()
    arcface = loader.get_embedder("arcface", dimensions=(128, 512))
    vectors: dict[str, list] = {dlib.name: [], arcface.name: []}
    for path in selfie_files:
        try:
            with path.open("rb") as fp:
                selfie = selfies.read_selfie(fp=io.BytesIO(fp.read()), embedders=[dlib, arcface])
        except selfies.SelfieError:
            continue
        vectors[dlib.name].append(selfie.vector(dlib.name))
        vectors[arcface.name].append(selfie.vector(arcface.name))
    filters = SearchFilters(event_ids=[event.pk])
    expected = {
        i
        for i, vector in enumerate(vectors[dlib.name])
        if find_matches(
            vector, embedder=dlib.name, filters=filters, rules=MatchRules.for_embedder(dlib.name)
        ).sure
    }
    faces = event.faces.count()
    searcher = Searcher(event.pk, vectors, expected)
    searcher.start()
    time.sleep(2)
    started = time.perf_counter()
    reembedding.start_switch(embedder=arcface, event_ids=[event.pk])
    missing = reembedding.photos_missing(event_id=event.pk, embedder=arcface)
    for photo_id in missing:
        reembedding.reembed_photos(photo_ids=[photo_id], embedder=arcface)
    reembed_seconds = time.perf_counter() - started
    switched = reembedding.finish_if_covered(event_id=event.pk)
    people_upkeep.group_event_faces(event_id=event.pk)
    total_seconds = time.perf_counter() - started
    time.sleep(2)
    searcher.stop.set()
    searcher.join()
    return {
        "photos": len(files),
        "faces": faces,
        "dlib_indexing_seconds": round(index_seconds, 1),
        "reembed_seconds": round(reembed_seconds, 1),
        "ms_per_photo": round(1000 * reembed_seconds / max(1, len(missing)), 1),
        "ms_per_face": round(1000 * reembed_seconds / max(1, faces), 1),
        "switch_and_regroup_seconds": round(total_seconds - reembed_seconds, 2),
        "switched": switched,
        "peak_rss_mb": peak_rss_mb(),
        "searches_meanwhile": searcher.report(),
    }


def at_scale(args, ms_per_face: float | None) -> dict:
    import numpy as np
    from django.db import connection

    from faces import people_upkeep, reembedding
    from faces.models import Face, FaceVector128
    from ml.base import Embedder

    class Synthetic(Embedder):
        name = "arcface-synthetic"
        dimensions = 512

    target = Synthetic()
    print(f"loading {args.faces} faces...", flush=True)
    data = populate(faces=args.faces + 100, events=2, big_event_faces=args.faces)
    event_id, centres = data["identities"][0]
    rng = np.random.default_rng(3)
    # An isometry from 128 to 512 numbers: distances, so people, are kept.
    projection, _ = np.linalg.qr(rng.normal(size=(512, 128)))
    selfies128 = [unit(centres[i] + rng.normal(scale=NOISE, size=128)) for i in range(50)]
    selfies = {
        BENCH_EMBEDDER: [v.astype(np.float32) for v in selfies128],
        target.name: [(projection @ v).astype(np.float32) for v in selfies128],
    }
    from faces.matching import MatchRules
    from faces.search import find_matches
    from photos.filters import SearchFilters

    rules, filters = MatchRules.for_embedder(BENCH_EMBEDDER), SearchFilters(event_ids=[event_id])
    expected = {
        i
        for i, vector in enumerate(selfies[BENCH_EMBEDDER])
        if find_matches(vector, embedder=BENCH_EMBEDDER, filters=filters, rules=rules).sure
    }
    searcher = Searcher(event_id, selfies, expected)
    searcher.start()
    time.sleep(2)
    started = time.perf_counter()
    reembedding.start_switch(embedder=target, event_ids=[event_id])
    photo_ids = reembedding.photos_missing(event_id=event_id, embedder=target)
    for first in range(0, len(photo_ids), 40):
        chunk = photo_ids[first : first + 40]
        faces = list(Face.objects.filter(photo_id__in=chunk, status="visible").order_by("pk"))
        old = dict(
            FaceVector128.objects.filter(face__in=faces, embedder=BENCH_EMBEDDER).values_list(
                "face_id", "embedding"
            )
        )
        vectors = np.array([projection @ np.asarray(old[f.pk]) for f in faces], dtype=np.float32)
        reembedding.store_new_vectors(faces, vectors, target)
    store_seconds = time.perf_counter() - started
    switched = reembedding.finish_if_covered(event_id=event_id)
    switch_seconds = time.perf_counter() - started - store_seconds
    time.sleep(2)
    searcher.stop.set()
    searcher.join()
    grouping_started = time.perf_counter()
    grouped = None
    if not args.skip_grouping:
        grouped = people_upkeep.group_event_faces(event_id=event_id)
    grouping_seconds = time.perf_counter() - grouping_started
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('faces_facevector512')")
        table_mb = cursor.fetchone()[0] / 2**20
    result = {
        "faces": args.faces,
        "selfies_with_results_before": len(expected),
        "photos": len(photo_ids),
        "store_vectors_seconds": round(store_seconds, 1),
        "switch_seconds": round(switch_seconds, 2),
        "switched": switched,
        "regroup_seconds": None if args.skip_grouping else round(grouping_seconds, 1),
        "people_after_regroup": grouped,
        "facevector512_table_and_indexes_mb": round(table_mb, 1),
        "peak_rss_mb": peak_rss_mb(),
        "searches_meanwhile": searcher.report(),
    }
    if ms_per_face:
        result["model_hours_one_worker_extrapolated"] = round(
            ms_per_face * args.faces / 1000 / 3600, 2
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--faces", type=int, default=100_000)
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument("--skip-grouping", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared" / "testdata" / "faces"))
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "reembed.json"))
    args = parser.parse_args()
    if not os.environ.get("FACES_ARCFACE_MODEL") and not args.skip_real:
        sys.exit("Set FACES_ARCFACE_MODEL to the ArcFace ONNX file (README, 'ArcFace').")
    use_bench_database()
    import django

    django.setup()
    report = {}
    if not args.skip_real:
        report["real_photos"] = real_photos(args)
        print(json.dumps(report["real_photos"], indent=2), flush=True)
    ms_per_face = report.get("real_photos", {}).get("ms_per_face")
    if not args.skip_scale:
        report["at_scale"] = at_scale(args, ms_per_face)
        print(json.dumps(report["at_scale"], indent=2), flush=True)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
