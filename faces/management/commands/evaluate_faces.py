"""Measure precision and recall of face matching on a labelled folder."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from faces.evaluation import DEFAULT_THRESHOLDS, MODES, evaluate


class Command(BaseCommand):
    help = (
        "Index DATASET_DIR (identities/<person>/*.jpg, optional distractors/ and no_face/) "
        "into a throw-away event, search one selfie per person, report precision/recall "
        "for single-shot and person matching."
    )

    def add_arguments(self, parser):
        parser.add_argument("dataset", metavar="DATASET_DIR")
        parser.add_argument("--json", action="store_true", help="Print JSON.")
        parser.add_argument(
            "--thresholds", help="Comma-separated distances (default 0.28 to 0.46 by 0.02)."
        )
        parser.add_argument(
            "--groups",
            type=int,
            default=60,
            help="Group photos to compose from the identities (synthetic; default 60).",
        )

    def handle(self, *args, **options):
        root = Path(options["dataset"])
        if not (root / "identities").is_dir():
            raise CommandError(f"{root} has no identities/ folder.")
        thresholds = DEFAULT_THRESHOLDS
        if options["thresholds"]:
            thresholds = [float(value) for value in options["thresholds"].split(",")]
        progress = None if options["json"] else lambda items: tqdm(items, desc="Indexing")
        report = evaluate(root, thresholds=thresholds, groups=options["groups"], progress=progress)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
            return
        self.print_table(report)

    def print_table(self, report) -> None:
        self.stdout.write(
            f"{report.people} people, {report.gallery_photos} gallery photos "
            f"({report.group_photos} composed group photos), "
            f"{len(report.selfies_without_face)} selfies without a usable face, "
            f"{len(report.index_failures)} photos that failed to index."
        )
        self.stdout.write(
            "mode    threshold  precision  recall  group recall  false (other/distractor/no_face)"
        )
        for r in report.results:
            parts = "/".join(
                str(r.false_by_part.get(k, 0)) for k in ("other_person", "distractor", "no_face")
            )
            group = f"{r.group_recall:12.3f}" if r.group_recall is not None else f"{'-':>12}"
            self.stdout.write(
                f"{r.mode:7} {r.threshold:9.2f}  {r.precision:9.3f}  {r.recall:6.3f}  {group}"
                f"  {r.false_matches:5d} ({parts})"
            )
        for mode in MODES:
            best = report.recommended(mode)
            self.stdout.write(
                f"Recommended threshold ({mode}): {best.threshold:.2f} "
                f"(precision {best.precision:.3f}, recall {best.recall:.3f})"
            )
