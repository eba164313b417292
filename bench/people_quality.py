#!/usr/bin/env python
"""Grouping quality on the labelled development set: one full grouping against photos
arriving over time (a full grouping of the first part, then new faces joining people
one batch at a time, as faces.people_upkeep does between full regroupings).

    .venv/bin/python bench/people_quality.py ../shared/testdata/faces [--embedder arcface]

Each of evaluate_faces' two folds (people split by a hash of their name, the same
split as ``evaluate_faces --folds 2``) is one event: its people's gallery photos, its
strangers, 20 composed group photos and 30 hard ones. Over the faces whose person the
set knows:

- purity: share of faces in the person their group mostly holds; mixed: groups holding
  two or more people (one person holds two people);
- completeness: share of a person's faces in their largest group; split: people whose
  faces are in two or more groups (one real person is split).

"before" is one full grouping of every photo (what every regrouping did before people
had ids). Then the photos arrive in a shuffled order: 40 % grouped in full, then six
batches of 10 %. "joining": every later face joins people one at a time
(faces.grouping.assign_faces and merge_new_groups, the rule of
faces.people_upkeep.assign_new_faces), never a full regrouping; "arriving": as the product
does, a full regrouping (mapped onto the people, faces.grouping.map_groups) once the
event has grown by a quarter and 200 faces since the last one. Each is reported at the
end and as the mean over the states after each batch.
Writes bench/results/people-quality.json.
"""

import argparse
import json
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--embedder", default=None, help="e.g. arcface (default: configured)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from faces.engines import get_detector, get_embedder
    from faces.evaluation.cache import FaceCache
    from faces.evaluation.dataset import Dataset, split
    from faces.evaluation.engine import Grouping, IndexedEvent

    embedder = get_embedder(args.embedder)
    cache, detector = FaceCache(embedder=embedder), get_detector()
    grouping = Grouping.for_embedder(embedder.name)
    rows = []
    for fold, (people, strangers) in enumerate(split(args.dataset, 2)):
        dataset = Dataset.from_folder(
            args.dataset,
            people=people,
            strangers=strangers,
            groups=20,
            hard_groups=30,
            detector=detector,
            seed=fold,
        )
        event = IndexedEvent(dataset, cache)
        for name, labels, extra in compare(event, grouping):
            row = {"fold": fold, "people": len(people), "embedder": embedder.name, "run": name}
            row.update(quality(labels, event.who, event._searchable))
            row.update(extra)
            rows.append(row)
            print(_line(row), flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "people-quality.json").write_text(json.dumps(rows, indent=2))


def compare(event, grouping):
    from faces.grouping import (
        assign_faces,
        group_faces,
        map_groups,
        merge_new_groups,
    )

    rows = event._searchable
    vectors, photos = event.vectors[rows], event.photo_index[rows]
    settings = {
        "threshold": grouping.threshold,
        "relative": grouping.relative,
        "spread_floor": grouping.spread_floor,
    }
    full = group_faces(vectors, photos, **settings)
    yield "before", full, {}

    batch_of_face = _batches(len(event.photos))[photos]
    for name, product_rule in (("joining", False), ("arriving", True)):
        states, regroupings = [], 0
        labels = np.full(len(rows), -1)
        groups, group_photos, at_full = None, [], 0
        for batch in range(BATCHES):
            arrived = np.flatnonzero(batch_of_face <= batch)
            members = np.flatnonzero(batch_of_face == batch)
            grown = len(arrived) - at_full
            if groups is None or (product_rule and grown >= max(200, 0.25 * at_full)):
                fresh = group_faces(vectors[arrived], photos[arrived], **settings)
                mapping = map_groups(fresh, labels[arrived].tolist())
                spare = iter(range(len(rows), 2 * len(rows)))
                mapping = {k: v if v is not None else next(spare) for k, v in mapping.items()}
                labels[arrived] = [mapping[label] for label in fresh.tolist()]
                groups, group_photos = _sums(labels, arrived, vectors, photos, len(rows))
                at_full, regroupings = len(arrived), regroupings + (groups is not None)
            else:
                first_new = groups.active
                chosen = assign_faces(groups, vectors[members], photos[members].tolist(),
                                      group_photos, **settings)  # fmt: skip
                merged = merge_new_groups(groups, first_new, group_photos, **settings)
                labels[members] = [merged.get(index, index) for index in chosen]
            states.append(quality(labels[arrived], event.who, rows[arrived]))
        final = dict(states[-1])
        final["mean_over_batches"] = {
            key: round(float(np.mean([state[key] for state in states[1:]])), 4)
            for key in ("purity", "completeness", "mixed_groups", "split_people")
        }
        final["full_regroupings"] = regroupings - 1
        yield name, labels, final


BATCHES = 7  # 40 % of the photos, then six batches of 10 %


def _batches(photo_count: int) -> np.ndarray:
    """Which batch each photo arrives in, in a shuffled order."""
    order = np.random.default_rng(7).permutation(photo_count)
    cuts = [0] + [int((0.4 + 0.1 * k) * photo_count) for k in range(BATCHES)]
    cuts[-1] = photo_count
    batch_of_photo = np.empty(photo_count, dtype=int)
    for batch in range(BATCHES):
        batch_of_photo[order[cuts[batch] : cuts[batch + 1]]] = batch
    return batch_of_photo


def _sums(labels, arrived, vectors, photos, capacity):
    """GroupSums and photo sets of the groups of ``labels`` (indexes 0..n-1 renumbered
    in place, so that the incremental path can address them)."""
    from faces.grouping import GroupSums

    distinct = sorted(set(labels[arrived].tolist()))
    index = {label: i for i, label in enumerate(distinct)}
    labels[arrived] = [index[label] for label in labels[arrived].tolist()]
    sums = np.zeros((len(distinct), vectors.shape[1]))
    counts = np.zeros(len(distinct), dtype=np.int64)
    np.add.at(sums, labels[arrived], vectors[arrived])
    np.add.at(counts, labels[arrived], 1)
    group_photos = [set() for _ in distinct]
    for face in arrived.tolist():
        group_photos[labels[face]].add(int(photos[face]))
    return GroupSums(sums, counts, capacity=len(distinct) + capacity), group_photos


def quality(labels: np.ndarray, who: list, searchable: np.ndarray) -> dict:
    groups: dict[int, Counter] = defaultdict(Counter)
    persons: dict[str, Counter] = defaultdict(Counter)
    for label, face in zip(labels.tolist(), searchable.tolist(), strict=True):
        person = who[face]
        if person is None:
            continue
        groups[label][person] += 1
        persons[person][label] += 1
    faces = sum(sum(c.values()) for c in groups.values())
    return {
        "faces": faces,
        "groups": len(groups),
        "purity": round(sum(c.most_common(1)[0][1] for c in groups.values()) / faces, 4),
        "mixed_groups": sum(1 for c in groups.values() if len(c) > 1),
        "completeness": round(sum(c.most_common(1)[0][1] for c in persons.values()) / faces, 4),
        "split_people": sum(1 for c in persons.values() if len(c) > 1),
        "known_people": len(persons),
    }


def _line(row: dict) -> str:
    text = (
        f"fold {row['fold']} ({row['people']} people, {row['faces']} faces) {row['run']:9}: "
        f"purity {row['purity']:.3f}, {row['mixed_groups']} mixed groups; completeness "
        f"{row['completeness']:.3f}, {row['split_people']}/{row['known_people']} people split"
    )
    if "mean_over_batches" in row:
        mean = row["mean_over_batches"]
        text += (
            f" | mean after each batch: purity {mean['purity']:.3f}, completeness "
            f"{mean['completeness']:.3f}; {row['full_regroupings']} full regroupings"
        )
    return text


if __name__ == "__main__":
    main()
