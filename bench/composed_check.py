#!/usr/bin/env python
"""How many faces of the hard composed group photos does the product's detector find?

    .venv/bin/python bench/composed_check.py [--dataset ../shared/testdata/faces] [--count 40]

Composes ``--count`` group photos with ``faces.evaluation.hard_groups.compose_hard_groups``
(as the evaluation would: every person's photos but the first), runs them through the
product's detection (the configured detector, the settings' score and size rules, the
photo decoded as the pipeline decodes it) and reports the share of pasted faces found,
overall, by pasted size and by what hides part of the face. Saves 3 sample photos to
bench/results/ to look at. No database: the face models only.
"""

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from faces.analysis import FaceRules, detect_faces  # noqa: E402
from faces.engines import get_detector  # noqa: E402
from faces.evaluation.dataset import IMAGE_SUFFIXES  # noqa: E402
from faces.evaluation.hard_groups import compose_hard_groups  # noqa: E402
from photos.images import open_image  # noqa: E402

RESULTS = ROOT / "bench" / "results"
BUCKETS = [("24-40 px", 0, 40), ("40-80 px", 40, 10**6)]


def images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def load_sources(dataset: Path) -> tuple[dict[str, list[Path]], list[Path]]:
    sources = {}
    for person in sorted(p for p in (dataset / "identities").iterdir() if p.is_dir()):
        photos = images_in(person)
        if len(photos) >= 2:
            sources[person.name] = photos[1:]  # the first is the person's selfie
    no_face = dataset / "no_face"
    return sources, images_in(no_face) if no_face.is_dir() else []


def detected_boxes(group, rules: FaceRules):
    """The product's view: the photo as uploaded (JPEG), decoded and detected."""
    data = io.BytesIO()
    group.image.save(data, "JPEG", quality=90)
    data.seek(0)
    loaded = open_image(data, max_pixels=10**8, decode_side=2400)
    found = detect_faces(loaded, detector=get_detector(), rules=rules)
    return [face.full_box for face in found]


def check(groups, rules: FaceRules) -> dict:
    counts = {label: [0, 0] for label, _, _ in BUCKETS}
    hidden = {label: [0, 0] for label in ("none", "sunglasses", "covered")}
    extra = 0
    for group in groups:
        boxes = detected_boxes(group, rules)
        found = {id(face) for face in group.found_faces(boxes)}
        extra += len(boxes) - len(found)
        for face in group.faces:
            label = next(b[0] for b in BUCKETS if b[1] <= face.box.short_side < b[2])
            counts[label][0] += id(face) in found
            counts[label][1] += 1
            hidden[face.hidden or "none"][0] += id(face) in found
            hidden[face.hidden or "none"][1] += 1
    total_found = sum(c[0] for c in counts.values())
    total = sum(c[1] for c in counts.values())
    return {
        "photos": len(groups),
        "faces": total,
        "found": total_found,
        "recall": round(total_found / total, 4) if total else None,
        "by_size": {
            label: {"found": hit, "faces": n, "recall": round(hit / n, 4) if n else None}
            for label, (hit, n) in counts.items()
        },
        "by_hiding": {
            label: {"found": hit, "faces": n, "recall": round(hit / n, 4) if n else None}
            for label, (hit, n) in hidden.items()
        },
        "detections_matching_no_pasted_face": extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared" / "testdata" / "faces"))
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    sources, backgrounds = load_sources(Path(args.dataset))
    groups = compose_hard_groups(
        sources, backgrounds, count=args.count, detector=get_detector(), seed=args.seed
    )
    composed_in = time.perf_counter() - started
    report = check(groups, FaceRules.from_settings())
    report["people_per_photo"] = [len(group.people) for group in groups]
    report["matchable_people_per_photo"] = [len(group.matchable_people) for group in groups]
    report["seconds_to_compose"] = round(composed_in, 1)

    RESULTS.mkdir(parents=True, exist_ok=True)
    for number, group in enumerate(groups[:3], 1):
        group.image.save(RESULTS / f"composed_hard_{number}.jpg", quality=95)
    (RESULTS / "composed_check.json").write_text(json.dumps(report, indent=2))

    print(f"{report['photos']} hard group photos, {report['faces']} pasted faces")
    print(f"found {report['found']} ({report['recall']:.1%})")
    for label, row in report["by_size"].items():
        recall = f"{row['recall']:.1%}" if row["recall"] is not None else "-"
        print(f"  {label}: {row['found']} of {row['faces']} ({recall})")
    for label, row in report["by_hiding"].items():
        recall = f"{row['recall']:.1%}" if row["recall"] is not None else "-"
        print(f"  {label}: {row['found']} of {row['faces']} ({recall})")
    print(f"detections matching no pasted face: {report['detections_matching_no_pasted_face']}")
    print(f"samples and JSON in {RESULTS}")


if __name__ == "__main__":
    main()
