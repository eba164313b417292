#!/usr/bin/env python
"""Small faces stored with their mirror image (faces.calibration: mirror_below_px): what it
finds and what it costs, against storing every face plain and other size limits.

    .venv/bin/python bench/small_face_mirror.py [--rounds 5] [--quality] [dataset]

- **Cost**: the ingest benchmark's 12 photos (2000x1500, 15 faces each, 35-150 px;
  bench/composed.py), decoded, detected and embedded in this one process with one
  thread, as a worker does. Each round runs every limit once, in turn, so that the
  machine's drift hits all of them alike; the median of the rounds is reported.
- **Quality** (``--quality``): the evaluation's two-fold events (94 development people,
  product defaults, as ``evaluate_faces --folds 2`` builds them). Every matchable face
  is embedded plain and with its mirror image from its photo's pixels; for each limit,
  the faces under it take the mirrored vector, the event is grouped again and every
  person searched with 0 and 1 answers.
Writes bench/results/small-face-mirror.json.
"""

import argparse
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402

from bench.composed import compose_photos  # noqa: E402
from faces.analysis import (  # noqa: E402
    ANALYSIS_SIDE,
    FaceRules,
    detect_faces,
    embed_faces,
    unit_means,
)
from faces.calibration import calibrated  # noqa: E402
from faces.engines import get_detector, get_embedder  # noqa: E402
from photos.images import open_image  # noqa: E402

RESULTS = ROOT / "bench" / "results"
MIRROR_BELOW_PX = calibrated("dlib").mirror_below_px
LIMITS = (0, MIRROR_BELOW_PX, 120)  # 0: every face plain


def ingest_rates(dataset: Path, rounds: int) -> dict[int, float]:
    import torch

    torch.set_num_threads(1)
    jpegs = []
    for photo in compose_photos(dataset, 12):
        data = io.BytesIO()
        photo.image.save(data, "JPEG", quality=90)
        jpegs.append(data.getvalue())
    detector, embedder, rules = get_detector(), get_embedder(), FaceRules.from_settings()

    def photos_per_second(limit: int) -> float:
        started = time.perf_counter()
        for data in jpegs:
            loaded = open_image(io.BytesIO(data), max_pixels=10**9, decode_side=ANALYSIS_SIDE)
            faces = detect_faces(loaded, detector=detector, rules=rules)
            embed_faces(loaded, faces, embedder, mirror_below=limit)
        return len(jpegs) / (time.perf_counter() - started)

    photos_per_second(0)  # load the models, warm the caches
    rates: dict[int, list[float]] = {limit: [] for limit in LIMITS}
    for _ in range(rounds):
        for limit in LIMITS:
            rates[limit].append(photos_per_second(limit))
    return {limit: statistics.median(values) for limit, values in rates.items()}


def quality(dataset: Path) -> dict[str, dict]:
    from faces.evaluation import Setting, run
    from faces.evaluation.cache import FaceCache
    from faces.evaluation.dataset import fold_datasets
    from faces.evaluation.engine import IndexedEvent
    from faces.evaluation.scoring import Score

    cache = FaceCache()
    setting = Setting.for_embedder(cache.embedder.name)
    pooled: dict[tuple[int, int], Score] = {}
    for fold in fold_datasets(dataset, detector=cache.detector):
        event = IndexedEvent(fold, cache)
        plain, mirrored = event.vectors.copy(), event.vectors.copy()
        sizes = np.zeros(len(plain))
        row = 0
        for item in event.photos:
            data = item.read_bytes()
            faces = cache.faces(data).faces
            loaded = open_image(io.BytesIO(data), max_pixels=10**9, decode_side=ANALYSIS_SIDE)
            rows = [row + i for i, face in enumerate(faces) if face.is_matchable]
            boxes = [face.box.scaled(loaded.scale) for face in faces if face.is_matchable]
            if boxes:
                alone, mirror = cache.embedder.embed_with_mirror(loaded.as_array(), boxes)
                plain[rows], mirrored[rows] = alone, unit_means(alone, mirror)
            sizes[row : row + len(faces)] = [face.box.short_side for face in faces]
            row += len(faces)
        for limit in LIMITS:
            event.vectors = np.where((sizes < limit)[:, None], mirrored, plain).astype(np.float32)
            event.group(setting.grouping)
            for answers, score in run(event, setting, answers=(0, 1)).items():
                pooled.setdefault((limit, answers), Score()).add(score)
    return {
        f"{_label(limit)}, {answers} answers": score.as_dict()
        for (limit, answers), score in sorted(pooled.items())
    }


def _label(limit: int) -> str:
    return "every face plain" if limit == 0 else f"mirrored under {limit} px"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", default=str(ROOT.parent / "shared/testdata/faces"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quality", action="store_true")
    args = parser.parse_args()
    report: dict = {"limit": MIRROR_BELOW_PX}
    rates = ingest_rates(Path(args.dataset), args.rounds)
    report["ingest_photos_per_second"] = rates
    print(f"Ingest, 12 photos of 15 faces, median of {args.rounds} rounds (one thread):")
    for limit, rate in rates.items():
        print(f"  {_label(limit):24} {rate:6.3f} photos/s  ({rate / rates[0] - 1:+.1%})")
    if args.quality:
        report["quality"] = quality(Path(args.dataset))
        print("Two folds, 94 development people, product defaults:")
        print(f"  {'stored faces':36} {'P':>6} {'R':>6} {'hard':>6} {'real':>6} {'wrong':>5}")
        for label, row in report["quality"].items():
            print(
                f"  {label:36} {row['precision']:6.3f} {row['recall']:6.3f} "
                f"{row['hard_group_recall']:6.3f} {row['real_group_recall']:6.3f} "
                f"{row['wrong']:5d}"
            )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "small-face-mirror.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
