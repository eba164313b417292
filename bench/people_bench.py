#!/usr/bin/env python
"""People kept up to date: a 300-photo upload joining a 10,000-face event.

    .venv/bin/python bench/people_bench.py [--faces 10000] [--photos 300]

In the bench database (bench/searchdata.py: synthetic dlib-like unit vectors, about 25
faces per person), one event of FACES faces is grouped in full (people created), then
PHOTOS photos of 3 faces each are added: two faces of three from the event's people,
one a stranger. The grouping job then runs as in production (faces.people_upkeep
.group_event_faces: the incremental path, since the upload is small next to the
event) and is timed, with its peak memory (tracemalloc: Python and NumPy), and checked:
how many of the known people's new faces joined the person holding most of that
identity's faces, how many strangers' faces joined someone. Then a full regrouping of
the same event with its people in place (ids kept) is timed for comparison.
Writes bench/results/people.json.
"""

import argparse
import json
import os
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faces", type=int, default=10_000)
    parser.add_argument("--photos", type=int, default=300)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from bench.searchdata import use_bench_database

    use_bench_database()
    import django

    django.setup()
    from bench.searchdata import populate

    print(f"loading {args.faces} faces into one event of the bench database...", flush=True)
    data = populate(faces=args.faces + 100, events=2, big_event_faces=args.faces, hnsw=False)
    event_id, centres = data["identities"][0]
    row = run(event_id, np.asarray(centres), args.photos)
    print(json.dumps(row, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "people.json").write_text(json.dumps(row, indent=2))


def run(event_id: int, centres: np.ndarray, photos: int) -> dict:

    from faces import people_upkeep
    from faces.models import FacePerson, faces_changed

    started = time.perf_counter()
    before_count = people_upkeep.group_event_faces(event_id=event_id, full=True)
    first_full = time.perf_counter() - started
    identity_person = _majority_person_per_identity(event_id, centres)

    new_faces = _add_upload(event_id, centres, photos)
    faces_changed([event_id])
    tracemalloc.start()
    started = time.perf_counter()
    after_count = people_upkeep.group_event_faces(event_id=event_id)
    incremental = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()

    placed = dict(
        FacePerson.objects.filter(face_id__in=[f for f, _ in new_faces]).values_list(
            "face_id", "person_id"
        )
    )
    known = [(f, who) for f, who in new_faces if who is not None]
    strangers = [f for f, who in new_faces if who is None]
    joined_right = sum(1 for f, who in known if placed.get(f) == identity_person.get(who))
    stranger_people = Counter(placed.get(f) for f in strangers)
    strangers_alone = sum(1 for f in strangers if stranger_people[placed.get(f)] == 1)
    existing = set(FacePerson.objects.filter(event_id=event_id).values_list("person_id", flat=True))

    started = time.perf_counter()
    people_upkeep.group_event_faces(event_id=event_id, full=True)
    second_full = time.perf_counter() - started
    after = set(FacePerson.objects.filter(event_id=event_id).values_list("person_id", flat=True))
    kept = sum(1 for person in identity_person.values() if person in after)
    return {
        "new_photos": photos,
        "new_faces": len(new_faces),
        "people_before": before_count,
        "people_after": after_count,
        "people_with_faces": len(existing),
        "incremental_seconds": round(incremental, 2),
        "incremental_peak_mb": round(peak, 1),
        "known_faces_joined_their_person": f"{joined_right}/{len(known)}",
        "stranger_faces_in_a_person_of_their_own": f"{strangers_alone}/{len(strangers)}",
        "first_full_grouping_seconds": round(first_full, 1),
        "full_regrouping_with_people_seconds": round(second_full, 1),
        "identities_keeping_their_person_id_after_full_regrouping": (
            f"{kept}/{len(identity_person)}"
        ),
    }


def _majority_person_per_identity(event_id: int, centres: np.ndarray) -> dict[int, int]:
    """Identity (index of its centre) -> the person holding most of its faces."""
    from faces.models import FacePerson, FaceVector128

    rows = FaceVector128.objects.filter(event_id=event_id).values_list("face_id", "embedding")
    faces, vectors = [], []
    for face_id, embedding in rows.iterator(chunk_size=5000):
        faces.append(face_id)
        vectors.append(embedding)
    who = np.argmax(np.asarray(vectors, dtype=np.float32) @ centres.T, axis=1)
    person = dict(FacePerson.objects.filter(event_id=event_id).values_list("face_id", "person_id"))
    votes: dict[int, Counter] = {}
    for face_id, identity in zip(faces, who.tolist(), strict=True):
        votes.setdefault(identity, Counter())[person.get(face_id)] += 1
    return {identity: counter.most_common(1)[0][0] for identity, counter in votes.items()}


def _add_upload(event_id: int, centres: np.ndarray, photos: int) -> list[tuple[int, int | None]]:
    """PHOTOS photos of three faces (two known people, one stranger), stored as
    processing stores them. Returns (face id, identity or None for a stranger)."""
    from bench.searchdata import NOISE, unit
    from faces.models import Face, vector_row
    from photos.models import Album, Photo

    rng = np.random.default_rng(42)
    album = Album.objects.filter(event_id=event_id).first()
    photo_rows = Photo.objects.bulk_create(
        Photo(
            album=album,
            event_id=event_id,
            file="bench.jpg",
            original_filename=f"upload-{index}.jpg",
            content_hash=f"{10**60 + index:064d}",
            width=2000,
            height=1500,
            processing_status=Photo.Status.DONE,
        )
        for index in range(photos)
    )
    faces, identities, vectors = [], [], []
    for photo in photo_rows:
        two = rng.choice(len(centres), size=2, replace=False)
        for identity in (*two.tolist(), None):
            centre = centres[identity] if identity is not None else unit(rng.normal(size=128))
            vectors.append(unit(centre + rng.normal(scale=NOISE, size=128)).astype(np.float32))
            identities.append(identity)
            faces.append(
                Face(photo=photo, event_id=event_id, x=10, y=10, width=120, height=120, score=0.9)
            )
    faces = Face.objects.bulk_create(faces)
    rows = [vector_row(f, "dlib-resnet-v1", v) for f, v in zip(faces, vectors, strict=True)]
    type(rows[0]).objects.bulk_create(rows)
    return [(face.pk, identity) for face, identity in zip(faces, identities, strict=True)]


if __name__ == "__main__":
    main()
