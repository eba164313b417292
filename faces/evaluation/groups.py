"""Group photos composed from single-person photos, for evaluation (marked synthetic).

Real event photos show several people at once, at different sizes; the labelled test
set has one person per photo. Pasting faces of several people (with hair and
shoulders) onto a background gives group photos whose people are known.
``compose_groups`` makes clean ones (large frontal faces); hard_groups.py makes ones like
real party and team photos. Both record where each face went.
"""

import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from ml.base import Box, Detector

FACE_WIDTHS = [60, 75, 90, 110, 130, 150]
MATCHABLE_FACE_PX = 40  # the product's FACES_MIN_MATCH_FACE_PX default
HARD_FACE_PX = (24, 80)  # short side of a face in the final photo
SOURCE_MIN_SCORE = 0.6  # the product's FACES_MIN_SCORE default
BODY_LENGTH = 6.0  # face heights from the face's centre to the bottom of a pasted person


@dataclass(frozen=True)
class PastedFace:
    person: str
    box: Box  # the face in the final photo (before the turn: same centre and size)
    source: Path
    hidden: str = ""  # "sunglasses", "covered" (lower face) or "" (hard_groups.py)


@dataclass
class GroupPhoto:
    image: Image.Image
    people: list[str]
    faces: list[PastedFace] = field(default_factory=list)  # recorded by compose_hard_groups
    min_match_px: int = MATCHABLE_FACE_PX

    @property
    def matchable_people(self) -> list[str]:
        """People whose face is big enough for the product to match (all, if not recorded)."""
        if not self.faces:
            return list(self.people)  # compose_groups pastes 60 px and up
        return [face.person for face in self.faces if face.box.short_side >= self.min_match_px]

    def found_faces(self, boxes: list[Box]) -> list[PastedFace]:
        """The pasted faces that a detected box (centre inside, similar size) stands for."""
        found, used = [], set()
        for face in self.faces:
            for index, box in enumerate(boxes):
                if index not in used and _same_face(face.box, box):
                    found.append(face)
                    used.add(index)
                    break
        return found


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
        present, pasted, x = [], [], 20
        for person in rng.sample(people, min(len(people), rng.randint(3, 6))):
            source = rng.choice(sources[person])
            found = _face_patch(source, detector, rng.choice(FACE_WIDTHS))
            if found is None or x + found[0].width > size[0] - 10:
                continue
            patch, face = found
            y = rng.randint(40, max(41, size[1] - patch.height - 10))
            canvas.paste(patch, (x, y))
            box = Box(face.x + x, face.y + y, face.width, face.height, 1.0)
            pasted.append(PastedFace(person, box, source))
            x += patch.width + rng.randint(5, 40)
            present.append(person)
        groups.append(GroupPhoto(canvas, present, pasted))
    return groups


def _background(backgrounds: list[Path], index: int, size) -> Image.Image:
    if backgrounds:
        image = Image.open(backgrounds[index % len(backgrounds)]).convert("RGB")
        return image.resize(size).filter(ImageFilter.GaussianBlur(3))
    return Image.new("RGB", size, (120, 130, 140))


def _face_patch(path: Path, detector: Detector, face_width: int) -> tuple[Image.Image, Box] | None:
    """The photo's largest face with hair and shoulders, scaled to ``face_width``, and
    the face's box inside that patch."""
    image = Image.open(path).convert("RGB")
    boxes = detector.detect(np.asarray(image))
    if not boxes:
        return None
    box = max(boxes, key=lambda b: b.area)
    margin = int(box.width * 0.5)
    left, top = box.x - margin, box.y - margin
    patch = image.crop((left, top, box.x + box.width + margin, box.y + box.height + margin))
    scale = face_width / box.width
    size = (max(1, round(patch.width * scale)), max(1, round(patch.height * scale)))
    face = Box(margin, margin, box.width, box.height, box.score).scaled(scale)
    return patch.resize(size), face


def _same_face(pasted: Box, found: Box) -> bool:
    centre_x, centre_y = found.x + found.width / 2, found.y + found.height / 2
    inside = pasted.x <= centre_x <= pasted.x + pasted.width
    inside = inside and pasted.y <= centre_y <= pasted.y + pasted.height
    return inside and 0.5 * pasted.short_side <= found.short_side <= 2 * pasted.short_side
