"""Measure face matching on a labelled folder: tuned on some people, reported on others."""

import json
from dataclasses import asdict
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from faces.calibration import calibration_for
from faces.engines import KNOWN_EMBEDDERS, get_embedder
from faces.evaluation import cross_validate, evaluate_all, pooled, pooled_absent
from faces.evaluation.scoring import AbsentScore, Score

LABELS = {
    "tuned": "tuned on the other folds",
    "defaults": "product defaults",
    "previous": "previous rules",
    "single": "single-shot",
}


class Command(BaseCommand):
    help = (
        "Measure precision and recall of face matching on DATASET_DIR "
        "(identities/<person>/*, optional distractors/ and no_face/): the people are split "
        "into folds; each fold is reported with settings tuned on the other folds, the "
        "product's defaults, the previous rules and single-shot matching."
    )

    def add_arguments(self, parser):
        parser.add_argument("dataset", metavar="DATASET_DIR")
        parser.add_argument("--folds", type=int, default=2, help="Folds of people (default 2).")
        parser.add_argument(
            "--all",
            action="store_true",
            help="Everyone in one bigger event with the defaults (no split: not held out).",
        )
        parser.add_argument(
            "--groups", type=int, default=20, help="Clean composed group photos per event."
        )
        parser.add_argument(
            "--hard-groups",
            type=int,
            default=30,
            help="Hard composed group photos per event (small, turned, relit, compressed).",
        )
        parser.add_argument(
            "--confirm",
            type=int,
            default=3,
            metavar="N",
            help="Simulate an attendee answering up to N 'Is this you?' questions truthfully "
            "(figures after 0, 1, 3 ... N answers; default 3).",
        )
        parser.add_argument(
            "--min-precision",
            type=float,
            default=0.98,
            help="Tuning picks the best recall at this precision (default 0.98).",
        )
        parser.add_argument(
            "--embedder",
            choices=KNOWN_EMBEDDERS,
            help="Measure this embedder with its own calibrated thresholds (default: the "
            "configured one, FACES_EMBEDDER). arcface reads FACES_ARCFACE_MODEL.",
        )
        parser.add_argument(
            "--shift",
            type=float,
            default=0.0,
            metavar="D",
            help="Lower the thresholds that accept a match by its distance from the selfie "
            "by D in the reported searches (faces.evaluation.Setting.shifted): a stand-in "
            "for people farther from their selfies than these (in the embedder's own "
            "distances: for dlib, 0.03 reproduces the figures of people nobody tuned for; "
            "docs/match-quality.md). Default 0.",
        )
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args, **options):
        root = Path(options["dataset"])
        if not (root / "identities").is_dir():
            raise CommandError(f"{root} has no identities/ folder.")
        if options["folds"] < 2 and not options["all"]:
            raise CommandError("--folds must be at least 2 (or use --all).")
        if options["shift"] < 0:
            raise CommandError("--shift must be 0 or more.")
        answers = tuple(
            sorted({n for n in (0, 1, 3) if n <= options["confirm"]} | {options["confirm"]})
        )
        progress = (
            None if options["json"] else lambda items: tqdm(items, desc="Photos", leave=False)
        )
        try:
            embedder = get_embedder(options["embedder"])
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        calibration = asdict(calibration_for(embedder.name))
        if not options["json"]:
            self.stdout.write(f"Embedder {embedder.name}; its thresholds: {calibration}")
            if options["shift"]:
                self.stdout.write(
                    f"Selfie thresholds lowered by {options['shift']} in "
                    "the reported searches (a stand-in for people nobody tuned for)."
                )
        common = dict(
            groups=options["groups"],
            hard_groups=options["hard_groups"],
            answers=answers,
            embedder=embedder,
            shift=options["shift"],
        )
        if options["all"]:
            scores = evaluate_all(root, progress=progress, **common)
            report = {
                "mode": "all",
                "embedder": embedder.name,
                "shift": options["shift"],
                "calibration": calibration,
                "scores": _scores(scores),
            }
            if options["json"]:
                self.stdout.write(json.dumps(report, indent=2))
                return
            self.stdout.write("Everyone in one event (the defaults were tuned on these people):")
            self.print_scores(scores)
            self.print_bands(scores["defaults"][0])
            self.print_worst(scores["defaults"][0])
            return
        folds = cross_validate(
            root,
            folds=options["folds"],
            min_precision=options["min_precision"],
            progress=progress,
            **common,
        )
        labels = list(folds[0].scores)
        report = {
            "mode": "folds",
            "embedder": embedder.name,
            "shift": options["shift"],
            "calibration": calibration,
            "folds": [
                {
                    "fold": fold.fold,
                    "people": fold.people,
                    "tuning_people": fold.tuning_people,
                    "gallery_photos": fold.gallery_photos,
                    "chosen": fold.chosen.describe(),
                    "scores": _scores(fold.scores),
                    "absent_guests": fold.absent.as_dict(),
                }
                for fold in folds
            ],
            "pooled": _scores(
                {label: {n: pooled(folds, label, n) for n in answers} for label in labels}
            ),
            "pooled_absent_guests": pooled_absent(folds).as_dict(),
        }
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
            return
        for fold in folds:
            self.stdout.write(
                f"\nFold {fold.fold}: {fold.people} people reported, tuned on the other "
                f"{fold.tuning_people}; {fold.gallery_photos} photos in the event. "
                f"Chosen: {fold.chosen.describe()}"
            )
            self.print_scores(fold.scores)
        self.stdout.write("\nAll folds together (every person held out once):")
        self.print_scores(
            {label: {n: pooled(folds, label, n) for n in answers} for label in labels}
        )
        self.print_bands(pooled(folds, "defaults", 0))
        self.print_absent(pooled_absent(folds))
        self.print_worst(pooled(folds, "defaults", 0))

    def print_scores(self, scores: dict[str, dict[int, Score]]) -> None:
        self.stdout.write(
            f"  {'rules':26} {'answers':>7} {'precision':>9} {'verifiable':>10} {'recall':>6} "
            f"{'groups':>6} {'hard':>6} {'real':>6} {'wrong':>5} {'no face':>7} {'none':>5} "
            f"{'<80%':>5}"
        )
        for label, by_answers in scores.items():
            for count, score in by_answers.items():
                if label in ("previous", "single") and count:
                    continue  # no questions in those rules
                self.stdout.write(
                    f"  {LABELS[label]:26} {count:7d} {score.precision:9.3f} "
                    f"{score.precision_verifiable:10.3f} {score.recall:6.3f} "
                    f"{_rate(score.part_recall('group'))} {_rate(score.part_recall('hard_group'))} "
                    f"{_rate(score.part_recall('real_group'))} "
                    f"{score.wrong:5d} {score.wrong_by_part['no_face']:7d} "
                    f"{score.share_without_photos:5.1%} {score.share_mostly_wrong:5.1%}"
                )

    def print_bands(self, score: Score) -> None:
        """Recall in composed group photos by the size of the searched face."""
        bands = score.band_recall()
        if not bands:
            return
        self.stdout.write("Composed group photos by face size (product defaults, no answers):")
        for label, (found, relevant) in bands.items():
            self.stdout.write(f"  {label:16} {found / relevant:6.3f}  ({found} of {relevant})")
        self.stdout.write("Hard composed group photos by what hides part of the face:")
        for label, (found, relevant) in score.hiding_recall().items():
            self.stdout.write(f"  {label:16} {found / relevant:6.3f}  ({found} of {relevant})")
        real = score.relevant_by_part["real_group"]
        if real:
            found = score.found_by_part["real_group"]
            self.stdout.write(
                f"Real group photos: {found / real:.3f} ({found} of {real} appearances; "
                "face sizes not labelled)"
            )

    def print_absent(self, absent: AbsentScore) -> None:
        who = f": {', '.join(sorted(absent.with_photos))}" if absent.with_photos else ""
        self.stdout.write(
            f"Guests in no photo (the other folds' selfies, product defaults): "
            f"{len(absent.with_photos)} of {absent.guests} got photos ({absent.photos} photos, "
            f"{absent.through_labelled} through a labelled person's face){who}"
        )

    def print_worst(self, score: Score) -> None:
        self.stdout.write("Worst five people (product defaults, no answers):")
        for person in score.worst():
            precision = "-" if person.precision is None else f"{person.precision:.2f}"
            self.stdout.write(
                f"  {person.person:30} precision {precision:>4}, recall {person.recall:.2f} "
                f"({person.found} found, {person.wrong} wrong, {person.relevant} to find)"
            )


def _rate(value: float | None) -> str:
    return f"{'-':>6}" if value is None else f"{value:6.3f}"


def _scores(scores: dict[str, dict[int, Score]]) -> dict:
    return {label: {str(n): s.as_dict() for n, s in by.items()} for label, by in scores.items()}
