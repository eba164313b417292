#!/usr/bin/env python
"""Smart search throughput: CLIP ViT-B/32's image tower at several batch sizes.

    .venv/bin/python bench/clip_bench.py [--photos 96] [--batches 1,8,24,32] [--threads 1,2]

Random weights with the ViT-B/32 shape (transformers' default CLIPConfig) cost the same
compute as the real ones. Photos are 400-pixel thumbnails of the labelled test set, as
the background job reads them. For each torch thread count and batch size: photos/s of
the whole step (preprocessing + model) and of the model alone, and peak memory.
Prints a table and writes bench/results/clip.json.
"""

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def thumbnails(dataset: Path, count: int):
    from PIL import Image

    paths = sorted(dataset.rglob("*.jpg"))[:count]
    if len(paths) < count:
        raise SystemExit(f"{dataset} holds {len(paths)} photos; {count} wanted.")
    images = []
    for path in paths:
        with Image.open(path) as image:
            image = image.convert("RGB")
            image.thumbnail((400, 400))
            images.append(image)
    return images


def measure(model, processor, images, batch_size: int) -> dict:
    import torch

    whole = model_only = 0.0
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        began = time.perf_counter()
        inputs = processor(images=batch, return_tensors="pt")
        prepared = time.perf_counter()
        with torch.inference_mode():
            model.get_image_features(**inputs)
        finished = time.perf_counter()
        whole += finished - began
        model_only += finished - prepared
    return {
        "batch_size": batch_size,
        "photos_per_second": round(len(images) / whole, 2),
        "model_photos_per_second": round(len(images) / model_only, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=96)
    parser.add_argument("--batches", default="1,8,24,32")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared" / "testdata" / "faces"))
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "clip.json"))
    args = parser.parse_args()

    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    torch.manual_seed(0)
    model = CLIPModel(CLIPConfig()).eval()  # ViT-B/32: 224 px, patch 32, 512-d
    processor = CLIPImageProcessor()
    images = thumbnails(Path(args.dataset), args.photos)
    measure(model, processor, images[:8], 8)  # warm-up
    rows = []
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        for batch_size in [int(b) for b in args.batches.split(",")]:
            rows.append({"threads": threads, **measure(model, processor, images, batch_size)})
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nCLIP ViT-B/32 image tower, {len(images)} thumbnails, peak memory {peak_mb:.0f} MB")
    print(f"{'threads':>7} {'batch':>6} {'photos/s':>9} {'model only':>11}")
    for row in rows:
        print(
            f"{row['threads']:>7} {row['batch_size']:>6} {row['photos_per_second']:9.2f} "
            f"{row['model_photos_per_second']:11.2f}"
        )
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(
        json.dumps({"photos": len(images), "peak_mb": round(peak_mb), "rows": rows}, indent=2)
    )
    print(f"written {args.output}")


if __name__ == "__main__":
    main()
