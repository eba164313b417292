"""Event-like photos composed from the labelled test set, with known face boxes.

Each 2000x1500 photo pastes faces of several people, from 150 px down to 35 px
wide, on a background made from a no-face photo. Marked synthetic: used only to
measure detection and throughput, never shipped.
"""

import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFilter

# In the 250x250 labelled photos the central face sits about here.
LFW_FACE_BOX = (78, 82, 172, 188)
FACE_SIZES = [150, 120, 100, 80, 64, 52, 44, 35]


@dataclass
class ComposedPhoto:
    image: Image.Image
    faces: list[tuple[int, int, int, int]]  # x, y, width, height of each pasted face
    identities: list[str]


def compose_photos(
    dataset: Path, count: int, *, size=(2000, 1500), seed: int = 7
) -> list[ComposedPhoto]:
    rng = random.Random(seed)
    people = sorted(p for p in (dataset / "identities").iterdir() if p.is_dir())
    backgrounds = sorted((dataset / "no_face").glob("*.jpg"))
    photos = []
    for index in range(count):
        background = Image.open(backgrounds[index % len(backgrounds)]).convert("RGB")
        canvas = background.resize(size).filter(ImageFilter.GaussianBlur(2))
        photos.append(_fill(canvas, people, rng))
    return photos


def _fill(canvas: Image.Image, people: list[Path], rng: random.Random) -> ComposedPhoto:
    faces, identities = [], []
    cell_w, cell_h = canvas.width // 5, canvas.height // 3
    cells = [(col, row) for col in range(5) for row in range(3)]
    rng.shuffle(cells)
    for (col, row), face_size in zip(cells, FACE_SIZES * 2, strict=False):
        person = rng.choice(people)
        source = Image.open(rng.choice(sorted(person.glob("*.jpg")))).convert("RGB")
        left, top, right, bottom = LFW_FACE_BOX
        margin = 45  # keep hair, neck and shoulders: detectors need context
        patch = source.crop((left - margin, top - margin, right + margin, bottom + margin))
        scale = face_size / (right - left)
        patch = patch.resize(
            (round(patch.width * scale), round(patch.height * scale)), Image.Resampling.LANCZOS
        )
        x = col * cell_w + rng.randint(0, max(0, cell_w - patch.width))
        y = row * cell_h + rng.randint(0, max(0, cell_h - patch.height))
        canvas.paste(patch, (x, y))
        faces.append(
            (
                x + round(margin * scale),
                y + round(margin * scale),
                face_size,
                round((bottom - top) * scale),
            )
        )
        identities.append(person.name)
    return ComposedPhoto(canvas, faces, identities)


def count_found(truth: list[tuple[int, int, int, int]], boxes) -> tuple[int, int]:
    """(true faces found, detections that match no true face)."""
    found, used = 0, set()
    for x, y, w, h in truth:
        for index, box in enumerate(boxes):
            cx, cy = box.x + box.width / 2, box.y + box.height / 2
            if index in used:
                continue
            if x <= cx <= x + w and y <= cy <= y + h and 0.5 * w <= box.width <= 2.2 * w:
                found += 1
                used.add(index)
                break
    return found, len(boxes) - len(used)
