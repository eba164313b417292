#!/usr/bin/env python
"""Time per face and memory of each face embedder, one thread, same faces.

    [FACES_ARCFACE_MODEL=/path/w600k_mbf.onnx] .venv/bin/python bench/embedder_bench.py \\
        [--photos 60]

Detects the faces of ``--photos`` identity photos of ../shared/testdata/faces once
(with their landmarks), then, in a fresh process per embedder (dlib; arcface when its
file is set), embeds each photo's faces as one batch, as processing does. Reports the
time per face (total over all faces, after one warm-up photo), the load time and how
much the process grew by loading the model and running it. Writes
bench/results/embedders.json.
"""

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

ONE_EMBEDDER = """
import json, os, pickle, sys, time
sys.path.insert(0, {root!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django; django.setup()
import psutil
from ml import loader
process = psutil.Process()
before = process.memory_info().rss
started = time.perf_counter()
embedder = loader.get_embedder({name!r}, dimensions=(128, 512))
embedder.load()
load_seconds = time.perf_counter() - started
loaded = process.memory_info().rss
with open({faces!r}, "rb") as fp:
    photos = pickle.load(fp)
embedder.embed(*photos[0])
started = time.perf_counter()
faces = 0
for pixels, boxes in photos[1:]:
    embedder.embed(pixels, boxes)
    faces += len(boxes)
seconds = time.perf_counter() - started
print(json.dumps({{"embedder": embedder.name, "faces": faces,
       "ms_per_face": round(1000 * seconds / faces, 1), "load_seconds": round(load_seconds, 2),
       "model_mb": round((loaded - before) / 2**20),
       "running_mb": round((process.memory_info().rss - before) / 2**20)}}))
"""


def detected_faces(dataset: Path, count: int) -> list:
    import django

    django.setup()
    from faces.analysis import ANALYSIS_SIDE, FaceRules, detect_faces
    from faces.engines import get_detector
    from photos.images import open_image

    files = sorted((dataset / "identities").glob("*/*.jpg"))[::7][:count]
    photos = []
    for path in files:
        with path.open("rb") as fp:
            loaded = open_image(fp, max_pixels=10**8, decode_side=ANALYSIS_SIDE)
        faces = detect_faces(loaded, detector=get_detector(), rules=FaceRules())
        if faces:
            photos.append((loaded.as_array(), [face.box for face in faces]))
    return photos


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared" / "testdata" / "faces"))
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "embedders.json"))
    args = parser.parse_args()
    photos = detected_faces(Path(args.dataset), args.photos)
    names = ["dlib"] + (["arcface"] if os.environ.get("FACES_ARCFACE_MODEL") else [])
    rows = []
    with tempfile.NamedTemporaryFile(suffix=".pickle") as faces_file:
        pickle.dump(photos, faces_file)
        faces_file.flush()
        for name in names:
            script = ONE_EMBEDDER.format(root=str(ROOT), name=name, faces=faces_file.name)
            started = time.perf_counter()
            output = subprocess.run(
                [sys.executable, "-c", script], capture_output=True, text=True, check=True
            ).stdout
            row = json.loads(output.strip().splitlines()[-1])
            row["process_seconds"] = round(time.perf_counter() - started, 1)
            rows.append(row)
            print(row, flush=True)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
