"""Hard group photos for the evaluation: like real party and team photos, their faces
are smaller, turned, lit differently, sometimes partly hidden, softened and
JPEG-compressed (faces.evaluation).
"""

import io
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from faces.evaluation.cutouts import person_patch
from faces.evaluation.groups import (
    HARD_FACE_PX,
    MATCHABLE_FACE_PX,
    SOURCE_MIN_SCORE,
    GroupPhoto,
    PastedFace,
)
from ml.base import Box, Detector


def compose_hard_groups(
    sources: dict[str, list[Path]],
    backgrounds: list[Path],
    *,
    count: int,
    detector: Detector,
    seed: int = 5,
    size: tuple[int, int] = (1600, 1066),
    min_match_px: int = MATCHABLE_FACE_PX,
) -> list[GroupPhoto]:
    """``count`` group photos of 4 to 12 people with small, turned, unevenly lit faces.

    People stand in rows (smaller further back), faces never overlap; the photo is
    softened and saved as JPEG. A person whose chosen photo has no face is skipped.
    """
    rng = random.Random(seed)
    faces = _SourceFaces(sources, detector)
    groups = []
    for _ in range(count):
        canvas = _hard_background(backgrounds, rng, size)
        slots = _row_slots(rng, rng.randint(4, 12), size)
        pasted = _paste_people(canvas, slots, faces, rng)
        image = _degrade(_relight_photo(canvas, rng), rng)
        people = [face.person for face in pasted]
        groups.append(GroupPhoto(image, people, pasted, min_match_px))
    return groups


class _SourceFaces:
    """Each person's photos with their face, loaded once; the least used photo first."""

    def __init__(self, sources: dict[str, list[Path]], detector: Detector) -> None:
        self.sources = {person: sorted(paths) for person, paths in sources.items() if paths}
        self.detector = detector
        self.loaded: dict[Path, tuple[Image.Image, Box] | None] = {}
        self.uses: dict[Path, int] = {}

    def people(self) -> list[str]:
        return sorted(self.sources)

    def pick(self, person: str, rng: random.Random) -> tuple[Path, Image.Image, Box] | None:
        paths = self.sources[person]
        fewest = min(self.uses.get(path, 0) for path in paths)
        path = rng.choice([p for p in paths if self.uses.get(p, 0) == fewest])
        self.uses[path] = self.uses.get(path, 0) + 1
        if path not in self.loaded:
            self.loaded[path] = self._load(path)
        found = self.loaded[path]
        return None if found is None else (path, *found)

    def _load(self, path: Path) -> tuple[Image.Image, Box] | None:
        image = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
        boxes = [b for b in self.detector.detect(np.asarray(image)) if b.score >= SOURCE_MIN_SCORE]
        if not boxes:
            return None
        # Labelled photos centre their person; others may show at the edges.
        middle_x, middle_y = image.width / 2, image.height / 2
        box = min(
            boxes,
            key=lambda b: abs(b.x + b.width / 2 - middle_x) + abs(b.y + b.height / 2 - middle_y),
        )
        return image, box


@dataclass(frozen=True)
class _Slot:
    x: float  # where the face centre goes
    y: float
    face_px: int  # short side of the face
    row: int  # 0 is the front row


def _row_slots(rng: random.Random, people: int, size: tuple[int, int]) -> list[_Slot]:
    """Face positions in rows, back row first (pasted first, so the front covers it).

    Each row stands in the gaps of the row in front of it, a little higher.
    """
    width, height = size
    rows = max(1, min(3, round(people / rng.uniform(3, 5))))
    per_row = [people // rows + (1 if r < people % rows else 0) for r in range(rows)]
    front_px = rng.uniform(36, HARD_FACE_PX[1])
    spacing = front_px * rng.uniform(2.2, 2.9)  # shoulders touch at about 3 face widths
    centre_x = width * rng.uniform(0.38, 0.62)
    # Framed like a group shot: the front row's bodies leave the photo at the bottom.
    y = max(height * 0.4, height - front_px * rng.uniform(3.2, 5.5))
    slots = []
    for row, count in enumerate(per_row):
        face_px = max(HARD_FACE_PX[0], front_px * rng.uniform(0.72, 0.85) ** row)
        offset = (row / 2 - (per_row[0] - count) / 2) % 1  # half a place per row back
        for index in range(count):
            x = centre_x + (index - (count - 1) / 2 + offset) * spacing
            px = min(max(face_px * rng.uniform(0.92, 1.08), HARD_FACE_PX[0]), HARD_FACE_PX[1])
            slots.append(_Slot(x + rng.uniform(-0.1, 0.1) * spacing, y, round(px), row))
        y -= face_px * rng.uniform(1.25, 1.6)
    return sorted(slots, key=lambda slot: -slot.row)


def _paste_people(
    canvas: Image.Image, slots: list[_Slot], faces: _SourceFaces, rng: random.Random
) -> list[PastedFace]:
    """Paste one person per slot where their face stays clear of the faces already there."""
    queue = faces.people()
    rng.shuffle(queue)
    pasted: list[PastedFace] = []
    for slot in slots:
        while queue:
            person = queue.pop()
            picked = faces.pick(person, rng)
            if picked is None:
                continue  # no face in that photo: skipped
            path, image, box = picked
            patch, mask, centre, face_size, hidden = person_patch(image, box, slot.face_px, rng)
            placed = _place(canvas, patch, mask, centre, face_size, slot, pasted, rng)
            if placed is not None:
                pasted.append(PastedFace(person, placed, path, hidden))
            break
    return pasted


def _place(canvas, patch, mask, centre, face_size, slot, pasted, rng) -> Box | None:
    """Paste at the slot or further along the row (as people step aside to be seen);
    the face's box, or None if no spot keeps the faces already there in view."""
    mask_pixels = np.asarray(mask)
    step = 0.4 * face_size[0]
    for shift in (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6):
        x = round(slot.x + shift * step)
        y = round(slot.y + rng.uniform(-0.1, 0.1) * face_size[1])
        box = Box(
            x - face_size[0] // 2, y - face_size[1] // 2, face_size[0], face_size[1], score=1.0
        )
        left, top = x - centre[0], y - centre[1]
        if _inside(box, canvas.size) and not _covers(mask_pixels, left, top, pasted):
            canvas.paste(patch, (left, top), mask)
            return box
    return None


def _inside(box: Box, size: tuple[int, int], margin: int = 4) -> bool:
    right, bottom = box.x + box.width, box.y + box.height
    return min(box.x, box.y) >= margin and right <= size[0] - margin and bottom <= size[1] - margin


def _covers(mask: np.ndarray, left: int, top: int, pasted: list[PastedFace]) -> bool:
    """Whether the patch's opaque part would hide part of a face already pasted."""
    for face in pasted:
        box = face.box
        x0, y0 = max(box.x - left, 0), max(box.y - top, 0)
        x1 = min(box.x + box.width - left, mask.shape[1])
        y1 = min(box.y + box.height - top, mask.shape[0])
        if x0 < x1 and y0 < y1 and mask[y0:y1, x0:x1].max() > 25:
            return True
    return False


def _hard_background(backgrounds: list[Path], rng: random.Random, size) -> Image.Image:
    """A part of a no-face photo, out of focus, or a plain colour with a soft gradient."""
    if backgrounds:
        image = Image.open(rng.choice(backgrounds)).convert("RGB")
        share = rng.uniform(0.6, 1.0)
        crop_w, crop_h = round(image.width * share), round(image.height * share)
        left = rng.randint(0, image.width - crop_w)
        top = rng.randint(0, image.height - crop_h)
        image = image.crop((left, top, left + crop_w, top + crop_h)).resize(size)
        return image.filter(ImageFilter.GaussianBlur(rng.uniform(1, 4)))
    colour = np.array([rng.randint(40, 220) for _ in range(3)], np.float32)
    shade = np.linspace(1.1, 0.8, size[1], dtype=np.float32)[:, None, None]
    pixels = np.broadcast_to(colour * shade, (size[1], size[0], 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def _relight_photo(canvas: Image.Image, rng: random.Random) -> Image.Image:
    """One light change over the whole photo: exposure, gamma, tint and a side light."""
    pixels = np.asarray(canvas, np.float32) / 255
    pixels = pixels ** rng.uniform(0.85, 1.2)
    tint = np.array([rng.uniform(0.95, 1.05) for _ in range(3)], np.float32)
    side = rng.uniform(-0.15, 0.15) * np.linspace(-1, 1, pixels.shape[1], dtype=np.float32)
    pixels = pixels * rng.uniform(0.8, 1.15) * tint * (1 + side)[None, :, None]
    noise = np.random.default_rng(rng.getrandbits(32)).normal(
        0, rng.uniform(0, 0.015), pixels.shape
    )
    return Image.fromarray((np.clip(pixels + noise, 0, 1) * 255).astype(np.uint8))


def _degrade(image: Image.Image, rng: random.Random) -> Image.Image:
    """Soft (shrunk to 40-70 % and back) and JPEG-compressed, decoded again as RGB."""
    factor = rng.uniform(0.4, 0.7)
    small = image.resize(
        (round(image.width * factor), round(image.height * factor)), Image.Resampling.BILINEAR
    )
    soft = small.resize(image.size, Image.Resampling.BICUBIC)
    data = io.BytesIO()
    soft.save(data, "JPEG", quality=rng.randint(60, 80))
    data.seek(0)
    decoded = Image.open(data)
    decoded.load()
    return decoded
