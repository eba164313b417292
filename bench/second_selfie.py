#!/usr/bin/env python
"""What does "Add another selfie" bring? The attendee results' second selfie, measured
on the labelled development set, with the product's grouping and decision code.

    .venv/bin/python bench/second_selfie.py ../shared/testdata/faces [--shift 0.03]

For each fold of ``evaluate_faces --folds 2`` (people split by a hash of their name),
an event of that fold's people is built as the evaluation builds it (their photos,
their share of strangers, the no-face photos, 20 clean and 30 hard composed group
photos and every real group photo), except that each person's first event photo is
taken out of the event and used as their second selfie. Every person is searched with
their selfie alone, then with both selfies, their photos added together as the
results page adds them (``attendees.results.combined_results``; with no answers given,
adding is the union). People whose event photo was not taken out (one photo only)
search with one selfie in both rows. With answers, the simulated attendee answers that
many questions of each selfie's search.

``--shift``: the thresholds that accept a match by its distance from the selfie lowered
by this much (``faces.evaluation.Setting.shifted``, as ``evaluate_faces --shift``), to mimic
people whose photos lie farther from their selfie than the development set's. 0.03
reproduces the figures of the people nobody tuned for; 0.04 is harsher
(docs/match-quality.md, "A stand-in for people nobody tuned for").

The second selfie here is another photo of the person (another day, light and angle),
as a guest's second selfie is meant to be; one taken a second after the first, in the
same light, would bring less. Writes bench/results/second-selfie.json.
"""

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from faces.engines import get_detector  # noqa: E402
from faces.evaluation import Setting  # noqa: E402
from faces.evaluation.cache import FaceCache  # noqa: E402
from faces.evaluation.dataset import Dataset, LabelledPhoto, fold_datasets  # noqa: E402
from faces.evaluation.engine import IndexedEvent  # noqa: E402
from faces.evaluation.scoring import Score, answers_for, score_search  # noqa: E402

RESULTS = ROOT / "bench" / "results"
ANSWERS = (0, 1)


def second_selfies(dataset: Dataset) -> tuple[Dataset, dict[str, LabelledPhoto]]:
    """The dataset without each person's first event photo (if they keep another one),
    and those photos as second selfies."""
    counts: dict[tuple, int] = {}
    for item in dataset.gallery:
        if item.part == "identity":
            counts[item.people] = counts.get(item.people, 0) + 1
    seconds, gallery = {}, []
    for item in dataset.gallery:
        person = item.people[0] if item.part == "identity" else None
        if person and person not in seconds and counts[item.people] >= 2:
            seconds[person] = item
        else:
            gallery.append(item)
    return Dataset(dataset.root, dataset.selfies, gallery), seconds


def measure(root: Path, shift: float) -> dict:
    cache, detector = FaceCache(), get_detector()
    setting = Setting.for_embedder(cache.embedder.name).shifted(shift)
    scores = {(rows, answers): Score() for rows in ("one", "two") for answers in ANSWERS}
    for full in fold_datasets(root, detector=detector):
        dataset, seconds = second_selfies(full)
        event = IndexedEvent(dataset, cache)
        event.group(setting.grouping)
        for person, selfie in sorted(event.selfies.items()):
            second = seconds.get(person)
            vectors = [selfie, IndexedEvent.selfie_vector(cache, second) if second else None]
            for answers in ANSWERS:
                found, seen = [], []
                for vector in vectors:
                    if vector is None:
                        found.append(set())
                        seen.append({})
                        continue
                    decision, candidates = event.search(vector, setting.rules)
                    found.append(decision.answered(answers_for(event, person, decision, answers)))
                    seen.append(candidates)
                score_search(scores["one", answers], event, person, found[0], seen[0])
                both = {**seen[0], **seen[1]}
                score_search(scores["two", answers], event, person, found[0] | found[1], both)
    return {
        f"{'selfie alone' if rows == 'one' else 'with a second selfie'}, {answers} answers": (
            score.as_dict()
        )
        for (rows, answers), score in scores.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", default=str(ROOT.parent / "shared/testdata/faces"))
    parser.add_argument("--shift", type=float, default=0.0)
    args = parser.parse_args()
    report = measure(Path(args.dataset), args.shift)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "second-selfie.json").write_text(json.dumps(report, indent=2))
    print(f"thresholds lowered by {args.shift} (product defaults otherwise)")
    print(f"{'search':38} {'P':>6} {'R':>6} {'hard':>6} {'real':>6} {'wrong':>5} {'none':>6}")
    for label, row in report.items():
        print(
            f"{label:38} {row['precision']:6.3f} {row['recall']:6.3f} "
            f"{row['hard_group_recall']:6.3f} {row['real_group_recall']:6.3f} "
            f"{row['wrong']:5d} {row['share_without_photos']:6.1%}"
        )


if __name__ == "__main__":
    main()
