#!/usr/bin/env python
"""Small faces of camera-size photos from the full pixels: what it costs, what it finds.

    .venv/bin/python bench/full_detail_bench.py [--photos 8] [--quality ../shared/testdata/faces]

Speed: camera-size JPEGs (6000x4000, quality 90) made from hard composed group photos
(4 to 12 people; the pixels upscaled, so the faces' detail is the composed photo's) and
from portraits (one large face), processed as a worker does, one thread for the models
(OMP_NUM_THREADS=1, FACES_TORCH_THREADS=1): decode at the analysis size, detect, embed,
with and without the full-pixel pass (faces.analysis.detail_for: a second, full
decode; the small faces cut out into a strip; embedded from it). The two alternate
photo by photo. Prints the mean milliseconds per photo, and what the pass adds to the
photos that take it.

``--quality``: the labelled development set's two-fold events (as `evaluate_faces
--folds 2` builds them, product defaults), with every photo of 1,600 px or more
analysed at half size, as a 6000-px camera JPEG is (the reduced decode keeps 3000 px):
group-photo recall when the faces are embedded from that copy, and from the full
pixels. Writes bench/results/full-detail.json.
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("FACES_TORCH_THREADS", "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from faces.analysis import (  # noqa: E402
    ANALYSIS_SIDE,
    FaceRules,
    detail_for,
    detect_faces,
    embed_faces,
    find_faces,
)
from faces.engines import get_detector, get_embedder  # noqa: E402
from faces.evaluation import Setting, run  # noqa: E402
from faces.evaluation.cache import FaceCache, PhotoFaces, _load, _save  # noqa: E402
from faces.evaluation.dataset import fold_datasets  # noqa: E402
from faces.evaluation.engine import IndexedEvent  # noqa: E402
from faces.evaluation.hard_groups import compose_hard_groups  # noqa: E402
from faces.evaluation.scoring import Score  # noqa: E402
from photos.images import open_image  # noqa: E402
from tests.sample_images import sample_images  # noqa: E402

RESULTS = ROOT / "bench" / "results"
CAMERA = (6000, 4000)
HALF = 800  # --quality: a 1,600-px photo analysed at half size
GRAIN = 6.0  # standard deviation of the added noise, in 8-bit levels


def camera_jpeg(image: Image.Image, seed: int = 0) -> bytes:
    """The photo at camera size with a sensor's grain: an upscaled photo alone is so
    smooth that its JPEG decodes several times faster than a real camera file."""
    pixels = np.asarray(image.convert("RGB").resize(CAMERA, Image.Resampling.BICUBIC))
    grain = np.random.default_rng(seed).normal(0, GRAIN, pixels.shape)
    grainy = Image.fromarray(np.clip(pixels + grain, 0, 255).astype(np.uint8))
    data = io.BytesIO()
    grainy.save(data, "JPEG", quality=90)
    return data.getvalue()


def speed_photos(count: int) -> dict[str, list[bytes]]:
    images = sample_images()
    sources = {name: [images[name]] for name in ("obama.jpg", "biden.jpg", "tom_hanks.png")}
    sources.update({f"{name}-2": paths for name, paths in sources.items()})
    groups = compose_hard_groups(sources, [], count=count, detector=get_detector(), seed=7)
    portrait = Image.open(images["obama.jpg"])
    canvas = Image.new("RGB", (1500, 1000), (120, 120, 120))
    canvas.paste(portrait.resize((900, 900)), (300, 50))
    return {
        "group photo": [camera_jpeg(group.image, seed) for seed, group in enumerate(groups)],
        "portrait": [camera_jpeg(canvas, seed) for seed in range(count)],
    }


def process(data: bytes, *, with_detail: bool) -> tuple[float, int, int]:
    """Milliseconds for decode, detect, embed (one photo); faces; faces from full pixels."""
    started = time.perf_counter()
    loaded = open_image(io.BytesIO(data), max_pixels=10**9, decode_side=ANALYSIS_SIDE)
    faces = detect_faces(loaded, detector=get_detector(), rules=FaceRules.from_settings())
    detail = None
    if with_detail:
        detail = detail_for(loaded, faces, lambda: open_image(io.BytesIO(data), max_pixels=10**9))
    embed_faces(loaded, faces, get_embedder(), detail)
    elapsed = (time.perf_counter() - started) * 1000
    return elapsed, len(faces), len(detail.boxes) if detail else 0


def measure_speed(count: int) -> dict:
    photos = speed_photos(count)
    process(photos["portrait"][0], with_detail=True)  # models loaded, warm
    report = {}
    for kind, items in photos.items():
        before, after, faces, detailed, extra = [], [], 0, 0, []
        for data in items:
            without = process(data, with_detail=False)[0]
            elapsed, found, from_full = process(data, with_detail=True)
            before.append(without)
            after.append(elapsed)
            faces += found
            detailed += from_full
            if from_full:
                extra.append(elapsed - without)
        report[kind] = {
            "photos": len(items),
            "photos_with_the_full_pass": len(extra),
            "ms_added_per_photo_with_the_pass": round(statistics.mean(extra), 1) if extra else 0,
            "faces": faces,
            "faces_from_full_pixels": detailed,
            "megabytes_per_file": round(statistics.mean(len(d) for d in items) / 1e6, 1),
            "ms_per_photo_before": round(statistics.mean(before), 1),
            "ms_per_photo_after": round(statistics.mean(after), 1),
        }
    return report


class HalfSizeCache(FaceCache):
    """The evaluation's faces, with photos of 1,600 px or more analysed at half size;
    their small faces embedded from that copy ("copy") or from the full pixels."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode

    def faces(self, data: bytes) -> PhotoFaces:
        if max(Image.open(io.BytesIO(data)).size) < 2 * HALF:
            return super().faces(data)
        key = hashlib.sha256(data + f"{self.salt}|half|{self.mode}".encode()).hexdigest()
        path = self.folder / "half" / key[:2] / f"{key}.npz"
        if path.exists():
            return _load(path)
        copy = open_image(io.BytesIO(data), max_pixels=10**9, decode_side=HALF)
        full = None
        if self.mode == "full":

            def full():
                return open_image(io.BytesIO(data), max_pixels=10**9)

        faces = find_faces(
            copy, detector=self.detector, embedder=self.embedder, rules=self.rules, decode_full=full
        )
        found = PhotoFaces(copy.width, copy.height, faces)
        path.parent.mkdir(parents=True, exist_ok=True)
        _save(path, found)
        return found


def measure_quality(root: Path) -> dict:
    report = {}
    for mode in ("copy", "full"):
        cache = HalfSizeCache(mode)
        setting = Setting.for_embedder(cache.embedder.name)
        totals = {0: Score(), 3: Score()}
        for dataset in fold_datasets(root, detector=get_detector()):
            scores = run(IndexedEvent(dataset, cache), setting, answers=(0, 3))
            for answers, score in scores.items():
                totals[answers].add(score)
        report[mode] = {answers: total.as_dict() for answers, total in totals.items()}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=8)
    parser.add_argument("--quality", help="the labelled set, to measure recall too")
    args = parser.parse_args()
    report = {"speed": measure_speed(args.photos)}
    print(f"Camera-size photos ({CAMERA[0]}x{CAMERA[1]} JPEG), one thread, ms per photo:")
    for kind, row in report["speed"].items():
        print(
            f"  {kind:12} {row['ms_per_photo_before']:8.1f} -> {row['ms_per_photo_after']:8.1f}"
            f"  ({row['faces']} faces, {row['faces_from_full_pixels']} from full pixels; "
            f"{row['megabytes_per_file']} MB files); the pass in "
            f"{row['photos_with_the_full_pass']} of {row['photos']} photos, "
            f"+{row['ms_added_per_photo_with_the_pass']} ms each"
        )
    if args.quality:
        report["quality"] = measure_quality(Path(args.quality))
        print("Half-size analysis, two folds pooled, product defaults:")
        for mode, by_answers in report["quality"].items():
            for answers, row in by_answers.items():
                bands = {k: v["recall"] for k, v in row["group_recall_by_face_size"].items()}
                print(
                    f"  {mode:5} {answers} answers: P {row['precision']:.3f} "
                    f"R {row['recall']:.3f} clean {row['group_recall']:.3f} "
                    f"hard {row['hard_group_recall']:.3f} real {row['real_group_recall']:.3f} "
                    f"wrong {row['wrong']} by size {bands}"
                )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "full-detail.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
