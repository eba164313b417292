#!/usr/bin/env python
"""Do people stay whole as an event's photos arrive? Events of 5, 50 and 300 people
from the labelled development set, their photos arriving in two uploads (70 %, then
the rest), grouped as the product does after each upload, under two rules:

- "joining" (the rule before this change): a full grouping when the event is new, then
  new faces join people one at a time (faces.grouping.assign_faces), a full regrouping
  only once the event grew by a quarter and 200 faces;
- "regrouping" (the product now): an event of up to ``FACES_FULL_REGROUP_MAX_FACES``
  faces is grouped in full after every upload, the groups mapped onto the existing
  people by overlap (faces.grouping.map_groups), so ids stay; larger events as before.

    .venv/bin/python bench/people_small_events.py ../shared/testdata/faces

For each: the number of groups against the real people, purity and completeness over
the faces whose person the set knows (bench/people_quality.py), people split, and the
share of first-upload faces whose person id stayed after the second upload. The 5- and
50-person events are drawn from each fold of ``evaluate_faces --folds 2`` (people split
by a hash of their name); the 300-person event holds every labelled person and enough
strangers (people with one photo) to make 300. Writes bench/results/people-small.json.
"""

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST_SHARE = 0.7
# The 5-person events: as the issue's, 24 photos, then 10 more; many draws of people.
SMALL_DRAWS, SMALL_FIRST, SMALL_SECOND = 10, 24, 10
# "The same person?" answers an organiser is counted to give at first.
FIRST_ANSWERS = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--sizes", default="5,50,300")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    from faces.engines import get_detector, get_embedder
    from faces.evaluation.cache import FaceCache
    from faces.evaluation.dataset import Dataset, split
    from faces.evaluation.engine import Grouping, IndexedEvent

    embedder = get_embedder()
    cache, detector = FaceCache(embedder=embedder), get_detector()
    grouping = Grouping.for_embedder(embedder.name)
    folds = split(args.dataset, 2)
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        draws = SMALL_DRAWS if size <= 5 else 1
        for fold, (people, strangers) in enumerate(folds if size < 90 else [(None, None)]):
            for draw in range(draws):
                chosen_people, chosen_strangers = _choose(
                    args.dataset, size, people, strangers, draw=draw
                )
                dataset = Dataset.from_folder(
                    args.dataset,
                    people=chosen_people,
                    strangers=chosen_strangers,
                    detector=detector,
                    seed=fold,
                )
                event = IndexedEvent(dataset, cache)
                counts = (SMALL_FIRST, SMALL_SECOND) if size <= 5 else None
                for rule in ("joining", "regrouping"):
                    row = {"size": size, "fold": fold if size < 90 else "all", "draw": draw}
                    row["rule"] = rule
                    row.update(run(event, grouping, rule, settings.FACES_FULL_REGROUP_MAX_FACES,
                                   counts=counts, seed=draw))  # fmt: skip
                    rows.append(row)
                    print(_line(row), flush=True)
    _summary(rows)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "people-small.json").write_text(json.dumps(rows, indent=2))


def _choose(
    root: Path, size: int, people, strangers, *, draw: int = 0
) -> tuple[set[str], set[str]]:
    """``size`` people: labelled people first (of the fold, in a fixed order by a hash
    of their names, rotated by ``draw``), then strangers."""
    from faces.evaluation.dataset import fold_of, images_in

    named = sorted(
        (p.name for p in (root / "identities").iterdir() if p.is_dir()),
        key=lambda name: fold_of(name, 997),
    )
    others = sorted(
        (p.stem for p in images_in(root / "distractors")), key=lambda n: fold_of(n, 997)
    )
    if people is not None:
        named = [name for name in named if name in people]
        others = [name for name in others if name in strangers]
    start = (draw * size) % max(1, len(named))
    named = named[start:] + named[:start]
    chosen = named[:size]
    return set(chosen), set(others[: max(0, size - len(chosen))])


def run(event, grouping, rule: str, max_full: int, *, counts=None, seed: int = 0) -> dict:
    """Group the event's photos arriving in two uploads (``counts``: how many photos in
    each, else FIRST_SHARE and the rest) under ``rule``."""
    from bench.people_quality import _sums, quality
    from faces.grouping import assign_faces, group_faces, map_groups, merge_new_groups

    rows = event._searchable
    vectors, photos = event.vectors[rows], event.photo_index[rows]
    from faces.calibration import calibration_for, grouping_rule
    from faces.engines import get_embedder

    def rule_for(faces: int) -> dict:
        """The grouping settings for an event of ``faces`` faces under the rule."""
        if rule == "regrouping":  # the product now: the small-event floor where it applies
            return grouping_rule(calibration_for(get_embedder().name), faces)
        return {
            "threshold": grouping.threshold,
            "relative": grouping.relative,
            "spread_floor": grouping.spread_floor,
        }

    order = np.random.default_rng(5 + seed).permutation(len(event.photos))
    if counts is None:
        counts = (int(FIRST_SHARE * len(event.photos)), len(event.photos))
    first_photos = set(order[: counts[0]].tolist())
    second_photos = set(order[counts[0] : counts[0] + counts[1]].tolist())
    in_first = np.array([photo in first_photos for photo in photos.tolist()])
    in_second = np.array([photo in second_photos for photo in photos.tolist()])
    first, second = np.flatnonzero(in_first), np.flatnonzero(in_second)
    present = np.flatnonzero(in_first | in_second)
    rows, vectors, photos = rows[present], vectors[present], photos[present]
    first = np.flatnonzero(in_first[present])
    second = np.flatnonzero(in_second[present])
    labels = np.full(len(rows), -1)
    labels[first] = group_faces(vectors[first], photos[first], **rule_for(len(first)))
    settings = rule_for(len(rows))
    after_first = quality(labels[first], event.who, rows[first])
    kept_labels = labels[first].copy()
    arrived = np.arange(len(rows))
    full_now = rule == "regrouping" and len(rows) <= max_full
    grown_enough = len(second) >= max(200, 0.25 * len(first))
    if full_now or grown_enough:
        fresh = group_faces(vectors[arrived], photos[arrived], **settings)
        mapping = map_groups(fresh, labels[arrived].tolist())
        spare = iter(range(len(rows), 2 * len(rows)))
        mapping = {k: v if v is not None else next(spare) for k, v in mapping.items()}
        labels[arrived] = [mapping[label] for label in fresh.tolist()]
    else:
        groups, group_photos = _sums(labels, first, vectors, photos, len(rows))
        kept_labels = labels[first].copy()  # _sums renumbered them
        first_new = groups.active
        chosen = assign_faces(groups, vectors[second], photos[second].tolist(), group_photos,
                              **settings)  # fmt: skip
        merged = merge_new_groups(groups, first_new, group_photos, **settings)
        labels[second] = [merged.get(index, index) for index in chosen]
        labels[first] = [merged.get(label, label) for label in labels[first].tolist()]
    final = quality(labels, event.who, rows)
    known = {event.who[face] for face in rows.tolist() if event.who[face]}
    # Ids kept: the first upload's faces of known people still under the same person.
    known_first = np.array([bool(event.who[face]) for face in rows[first].tolist()], dtype=bool)
    same = labels[first][known_first] == kept_labels[known_first]
    stayed = float(np.mean(same)) if len(same) else 1.0
    return {
        "people": len(known),
        "photos": int(len(set(photos.tolist()))),
        "faces": int(len(rows)),
        "after_first_upload": after_first,
        **final,
        "ids_kept": round(stayed, 4),
        "groups_of_known": _groups_of_known(labels, event.who, rows),
        **corrections(labels, event.who, rows),
        **same_person_answers(labels, event.who, rows, vectors, photos),
    }


def same_person_answers(labels, who, rows, vectors, photos) -> dict:
    """How many "The same person?" answers mend every split person, the pairs asked in
    the product's order (faces.people_review: centres closest first, within its reach),
    with and without leaving out pairs of people who share a photo. Counted on the
    groups as they stand: a "yes" joins two parts, a "no" moves to the next pair; None
    when a split person's parts are beyond the reach."""
    from faces.calibration import calibration_for
    from faces.engines import get_embedder
    from faces.grouping import close_pairs
    from faces.people_review import SUGGESTION_REACH

    reach = SUGGESTION_REACH * calibration_for(get_embedder().name).grouping
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels.tolist()):
        members.setdefault(label, []).append(index)
    owner = {}
    for label, indexes in members.items():
        known = [who[rows[i]] for i in indexes if who[rows[i]]]
        owner[label] = Counter(known).most_common(1)[0][0] if known else None
    parts = Counter(person for person in owner.values() if person)
    split = {person for person, count in parts.items() if count > 1}
    labels_list = list(members)
    centres = np.array([vectors[members[label]].mean(axis=0) for label in labels_list])
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    photo_sets = [set(photos[members[label]].tolist()) for label in labels_list]
    pairs = list(close_pairs(centres.astype(np.float32), reach))  # the product's order

    some_part = {owner[label]: index for index, label in enumerate(labels_list)}

    def answers(skip_together: bool) -> tuple[int | None, int]:
        """Answers until every split person is whole, and how many of them are whole
        after the first FIRST_ANSWERS answers."""
        joined = {label: {label} for label in range(len(labels_list))}
        asked, mended_early = 0, 0

        def whole() -> int:
            return sum(1 for p in split if len(joined[some_part[p]]) == parts[p])

        if not split:
            return 0, 0
        for a, b in pairs:
            if skip_together and photo_sets[a] & photo_sets[b]:
                continue
            asked += 1
            person = owner[labels_list[a]]
            if person in split and person == owner[labels_list[b]]:
                union = joined[a] | joined[b]
                for label in union:
                    joined[label] = union
            if asked == FIRST_ANSWERS:
                mended_early = whole()
            if whole() == len(split):
                return asked, mended_early if asked >= FIRST_ANSWERS else len(split)
        return None, mended_early if asked >= FIRST_ANSWERS else whole()

    def offered_on_page(person: str) -> bool:
        """Whether the person page of the person's largest part offers another part
        among its 6 merge offers (faces.views.people.person_detail: the 12 closest
        people, those seen in one photo with it left out)."""
        own = [i for i, label in enumerate(labels_list) if owner[label] == person]
        largest = max(own, key=lambda i: len(members[labels_list[i]]))
        distances = np.linalg.norm(centres - centres[largest], axis=1)
        nearest = [i for i in np.argsort(distances) if i != largest and distances[i] < reach][:12]
        offered = [i for i in nearest if not photo_sets[i] & photo_sets[largest]][:6]
        return any(i in own for i in offered)

    any_pair, any_pair_early = answers(False)
    apart, apart_early = answers(True)
    return {
        "split_persons": len(split),
        "offered_on_their_page": sum(offered_on_page(person) for person in split),
        "same_person_answers_any_pair": any_pair,
        "same_person_answers": apart,
        "mended_in_first_answers_any_pair": any_pair_early,
        "mended_in_first_answers": apart_early,
    }


def corrections(labels, who, rows) -> dict:
    """Organiser actions (page submissions) to make the people right, with the tools
    before this change and now. A person split into k groups: k - 1 merges of exactly
    two before, one merge of all k now. A group holding m faces of another person:
    before, m "Not this person" (each makes a one-face person) and m merges into the
    right person; now, one move of the m selected faces to the right person."""
    groups: dict[int, Counter] = {}
    persons: dict[str, set] = {}
    for label, face in zip(labels.tolist(), rows.tolist(), strict=True):
        person = who[face]
        if person is None:
            continue
        groups.setdefault(label, Counter())[person] += 1
        persons.setdefault(person, set()).add(label)
    main = {label: counts.most_common(1)[0][0] for label, counts in groups.items()}
    own = {
        p: {group for group in groups_of if main[group] == p} for p, groups_of in persons.items()
    }
    split = [p for p, groups_of in own.items() if len(groups_of) > 1]
    before = sum(len(own[p]) - 1 for p in split)
    now = len(split)
    for label, counts in groups.items():
        for person, count in counts.items():
            if person != main[label]:
                before += 2 * count
                now += 1
    return {"corrections_before": before, "corrections_now": now}


def _groups_of_known(labels, who, rows) -> int:
    """Groups holding at least one face whose person the set knows."""
    return len(
        {label for label, face in zip(labels.tolist(), rows.tolist(), strict=True) if who[face]}
    )


def _summary(rows: list[dict]) -> None:
    """Per size and rule: mean groups (of known people) against people, events where a
    person was split, mean completeness and ids kept."""
    print()
    keys = sorted({(r["size"], r["rule"]) for r in rows})
    for size, rule in keys:
        chosen = [r for r in rows if (r["size"], r["rule"]) == (size, rule)]
        print(
            f"{size:>3} people, {rule:10} over {len(chosen)} events: people "
            f"{np.mean([r['people'] for r in chosen]):.1f}, groups after the 2nd upload "
            f"{np.mean([r['groups_of_known'] for r in chosen]):.1f} (after the 1st "
            f"{np.mean([r['after_first_upload']['groups'] for r in chosen]):.1f}), events "
            f"with a person split {sum(1 for r in chosen if r['split_people'])}/{len(chosen)}, "
            f"purity {np.mean([r['purity'] for r in chosen]):.3f}, completeness "
            f"{np.mean([r['completeness'] for r in chosen]):.3f}, ids kept "
            f"{np.mean([r['ids_kept'] for r in chosen]):.3f}; organiser actions to correct: "
            f"{np.mean([r['corrections_before'] for r in chosen]):.1f} with the old tools, "
            f"{np.mean([r['corrections_now'] for r in chosen]):.1f} now; "
            f'"The same person?" answers to mend the splits: '
            f"{_answers(chosen, 'same_person_answers_any_pair')} asking about any pair, "
            f"{_answers(chosen, 'same_person_answers')} leaving out pairs seen together; "
            f"split people whole after the first {FIRST_ANSWERS} answers: "
            f"{_sum(chosen, 'mended_in_first_answers_any_pair')} / "
            f"{_sum(chosen, 'mended_in_first_answers')} of {_sum(chosen, 'split_persons')}; "
            f"another part offered on the largest part's page: "
            f"{_sum(chosen, 'offered_on_their_page')}"
        )


def _sum(rows: list[dict], key: str) -> int:
    return sum(r[key] for r in rows)


def _answers(rows: list[dict], key: str) -> str:
    """The answers per event with a split (— when a part lies beyond the reach)."""
    values = [r[key] for r in rows if r["split_people"]]
    return "[" + ", ".join("—" if v is None else str(v) for v in values) + "]"


def _line(row: dict) -> str:
    first = row["after_first_upload"]
    return (
        f"{row['size']:>3} people (fold {row['fold']}, {row['people']} known, "
        f"{row['photos']} photos) "
        f"{row['rule']:10}: after 1st upload {first['groups']} groups, completeness "
        f"{first['completeness']:.3f}; after 2nd {row['groups']} groups "
        f"({row['groups_of_known']} with known people), purity {row['purity']:.3f} "
        f"({row['mixed_groups']} mixed), completeness {row['completeness']:.3f} "
        f"({row['split_people']} split), ids kept {row['ids_kept']:.3f}"
    )


if __name__ == "__main__":
    main()
