#!/usr/bin/env python
"""How close is a face cut out of an event photo to the stored face, against how
close two different photos of one person get? Sets each embedder's ``reuse`` distance
(faces/calibration.py).

    .venv/bin/python bench/selfie_reuse_bench.py [--dataset ../shared/testdata/faces]
    FACES_EMBEDDER=arcface FACES_ARCFACE_MODEL=/path/w600k_mbf.onnx \
        .venv/bin/python bench/selfie_reuse_bench.py

For every identity photo of the set (the central face, as the evaluation labels it):
- "reused": the face cut out of that photo with a margin, resized (face 80-400 px),
  re-encoded as JPEG (quality 60-90), then read as a selfie: the attack where an
  attendee searches with someone else's face taken from their own results;
- "same person": the nearest other photo of the same person (a real selfie of a
  guest is a different photo, never the stored one).
Prints the percentiles of both and the share of each under candidate thresholds.
Candidate thresholds are multiples of the embedder's calibrated one. Writes
bench/results/selfie_reuse-<embedder family>.json. No database: the face models only.
"""

import argparse
import io
import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402

from faces.analysis import FaceRules, detect_faces, embed_faces  # noqa: E402
from faces.calibration import calibrated, family  # noqa: E402
from faces.engines import get_detector, get_embedder  # noqa: E402
from photos.images import open_image  # noqa: E402

# Multiples of the embedder's calibrated reuse distance (dlib: 0.05 ... 0.20).
THRESHOLD_STEPS = [0.42, 0.67, 0.83, 1.0, 1.25, 1.5, 1.67]


def central_face(faces, loaded):
    """The face nearest the photo's centre: the labelled person of an identity photo
    (as the evaluation labels it)."""
    middle_x, middle_y = loaded.width / 2, loaded.height / 2
    return min(
        faces,
        key=lambda f: (
            abs(f.full_box.x + f.full_box.width / 2 - middle_x)
            + abs(f.full_box.y + f.full_box.height / 2 - middle_y)
        ),
        default=None,
    )


def face_of(data: bytes):
    loaded = open_image(io.BytesIO(data), max_pixels=10**8, decode_side=2400)
    faces = detect_faces(loaded, detector=get_detector(), rules=FaceRules())
    face = central_face(faces, loaded)
    if face is None:
        return None, None
    (embedded,) = embed_faces(loaded, [face], get_embedder())
    return loaded, embedded


def reused_copy(loaded, face, rng: random.Random) -> bytes:
    box = face.box
    margin = rng.uniform(0.2, 1.0)
    dx, dy = box.width * margin, box.height * margin
    crop = loaded.image.crop(
        (
            max(0, box.x - dx),
            max(0, box.y - dy),
            min(loaded.width, box.x + box.width + dx),
            min(loaded.height, box.y + box.height + dy),
        )
    )
    target_face = rng.uniform(80, 400)
    scale = target_face / box.width
    crop = crop.resize((max(16, round(crop.width * scale)), max(16, round(crop.height * scale))))
    data = io.BytesIO()
    crop.save(data, "JPEG", quality=rng.randint(60, 90))
    return data.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared" / "testdata" / "faces"))
    args = parser.parse_args()
    rng = random.Random(7)
    people: dict[str, list[np.ndarray]] = {}
    reused: list[float] = []
    for folder in sorted((Path(args.dataset) / "identities").iterdir()):
        for path in sorted(folder.glob("*.jpg")):
            loaded, face = face_of(path.read_bytes())
            if face is None:
                continue
            people.setdefault(folder.name, []).append(face.embedding)
            _, copy = face_of(reused_copy(loaded, face, rng))
            if copy is not None:
                reused.append(float(np.linalg.norm(copy.embedding - face.embedding)))
    same_person = []
    for vectors in people.values():
        matrix = np.array(vectors)
        for i, vector in enumerate(matrix):
            others = np.delete(matrix, i, axis=0)
            if len(others):
                same_person.append(float(np.linalg.norm(others - vector, axis=1).min()))
    name = get_embedder().name
    report = {
        "embedder": name,
        "reused": summary(reused),
        "same_person_nearest": summary(same_person),
        "share_under": {
            str(t): {
                "reused": float(np.mean(np.array(reused) < t)),
                "same_person_nearest": float(np.mean(np.array(same_person) < t)),
            }
            for t in [round(step * calibrated(name).reuse, 3) for step in THRESHOLD_STEPS]
        },
    }
    print(json.dumps(report, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"selfie_reuse-{family(name)}.json").write_text(json.dumps(report, indent=2))


def summary(values: list[float]) -> dict:
    array = np.array(values)
    return {
        "count": len(values),
        **{f"p{q}": round(float(np.percentile(array, q)), 3) for q in (1, 5, 50, 95, 99)},
        "max": round(float(array.max()), 3),
    }


if __name__ == "__main__":
    main()
