"""Group photos composed from single-person photos, for evaluation (marked synthetic).

Real event photos show several people at once, at different sizes; the labelled test
set has one person per photo. Pasting faces of several people (with hair and
shoulders) onto a background gives group photos whose people are known.
"""

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from faces.backends.base import Detector

FACE_WIDTHS = [60, 75, 90, 110, 130, 150]


@dataclass
class GroupPhoto:
    image: Image.Image
    people: list[str]


def compose_groups(
    sources: dict[str, list[Path]],
    backgrounds: list[Path],
    *,
    count: int,
    detector: Detector,
    seed: int = 3,
    size: tuple[int, int] = (1600, 1000),
) -> list[GroupPhoto]:
    """``count`` group photos of 3 to 6 people each from ``sources`` (person -> photos)."""
    rng = random.Random(seed)
    people = sorted(sources)
    groups = []
    for index in range(count):
        canvas = _background(backgrounds, index, size)
        present, x = [], 20
        for person in rng.sample(people, min(len(people), rng.randint(3, 6))):
            patch = _face_patch(rng.choice(sources[person]), detector, rng.choice(FACE_WIDTHS))
            if patch is None or x + patch.width > size[0] - 10:
                continue
            y = rng.randint(40, max(41, size[1] - patch.height - 10))
            canvas.paste(patch, (x, y))
            x += patch.width + rng.randint(5, 40)
            present.append(person)
        groups.append(GroupPhoto(canvas, present))
    return groups


def _background(backgrounds: list[Path], index: int, size) -> Image.Image:
    if backgrounds:
        image = Image.open(backgrounds[index % len(backgrounds)]).convert("RGB")
        return image.resize(size).filter(ImageFilter.GaussianBlur(3))
    return Image.new("RGB", size, (120, 130, 140))


def _face_patch(path: Path, detector: Detector, face_width: int) -> Image.Image | None:
    """The photo's largest face with hair and shoulders, scaled to ``face_width``."""
    image = Image.open(path).convert("RGB")
    boxes = detector.detect(np.asarray(image))
    if not boxes:
        return None
    box = max(boxes, key=lambda b: b.area)
    margin = int(box.width * 0.5)
    patch = image.crop(
        (box.x - margin, box.y - margin, box.x + box.width + margin, box.y + box.height + margin)
    )
    scale = face_width / box.width
    return patch.resize((max(1, round(patch.width * scale)), max(1, round(patch.height * scale))))
