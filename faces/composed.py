"""Group photos composed from single-person photos, for evaluation (marked synthetic).

Real event photos show several people at once, at different sizes; the labelled test
set has one person per photo. Pasting faces of several people (with hair and
shoulders) onto a background gives group photos whose people are known.
``compose_groups`` makes clean ones (large frontal faces); ``compose_hard_groups`` makes
ones like real party and team photos, recording where each face went.
"""

import io
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

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


# --- hard group photos: real group photos give lower recall than the clean ones above,
# as their faces are smaller, turned, lit differently, softened and JPEG-compressed.


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
            patch, mask, centre, face_size = _person_patch(image, box, slot.face_px, rng)
            placed = _place(canvas, patch, mask, centre, face_size, slot, pasted, rng)
            if placed is not None:
                pasted.append(PastedFace(person, placed, path))
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


def _person_patch(image: Image.Image, box: Box, face_px: int, rng: random.Random):
    """(RGB patch, mask, face centre in the patch, face size): head, hair, shoulders and
    body, scaled so the face's short side is ``face_px``, relit, maybe mirrored, turned."""
    scale = face_px / box.short_side
    face_w, face_h = box.width * scale, box.height * scale
    centre_x, centre_y = box.x + box.width / 2, box.y + box.height / 2
    region = (
        round(centre_x - 1.6 * box.width),
        round(centre_y - 1.0 * box.height),
        round(centre_x + 1.6 * box.width),
        round(centre_y + BODY_LENGTH * box.height),
    )
    size = (
        max(1, round((region[2] - region[0]) * scale)),
        max(1, round((region[3] - region[1]) * scale)),
    )
    patch = image.crop(region).resize(size, Image.Resampling.LANCZOS)
    patch = _clothe(patch, _inside_source(image, region, scale, size), _clothing(image, box))
    centre = ((centre_x - region[0]) * scale, (centre_y - region[1]) * scale)
    mask = _silhouette(size, centre, face_w, face_h)
    patch = _relight_face(patch, rng)
    if rng.random() < 0.5:
        patch, mask = ImageOps.mirror(patch), ImageOps.mirror(mask)
        centre = (size[0] - centre[0], centre[1])
    angle = rng.uniform(-12, 12)
    patch = patch.rotate(angle, Image.Resampling.BICUBIC, center=centre)
    mask = mask.rotate(angle, Image.Resampling.BICUBIC, center=centre)
    return patch, mask, (round(centre[0]), round(centre[1])), (round(face_w), round(face_h))


def _clothing(image: Image.Image, box: Box) -> np.ndarray:
    """The colour of the body at the bottom of the photo, or dark grey if none shows."""
    centre_x, centre_y = box.x + box.width / 2, box.y + box.height / 2
    bottom = round(min(image.height, centre_y + 2 * box.height))
    if bottom < centre_y + 0.8 * box.height:
        return np.array([60, 60, 66], np.float32)
    top = bottom - max(2, box.height // 4)
    left, right = round(max(0, centre_x - 1.2 * box.width)), round(centre_x + 1.2 * box.width)
    band = np.asarray(image)[top:bottom, left:right]
    return np.median(band.reshape(-1, 3), axis=0).astype(np.float32)


def _inside_source(image: Image.Image, region, scale: float, size) -> np.ndarray:
    """0..1 per patch pixel: how much of it comes from the source photo (soft edge)."""
    soft = max(1.0, 0.06 * size[0])
    inside = Image.new("L", size, 0)
    ImageDraw.Draw(inside).rectangle(
        (
            max(0, -region[0]) * scale + soft,
            max(0, -region[1]) * scale + soft,
            (min(image.width, region[2]) - region[0]) * scale - soft,
            (min(image.height, region[3]) - region[1]) * scale - soft,
        ),
        255,
    )
    return np.asarray(inside.filter(ImageFilter.GaussianBlur(soft)), np.float32)[..., None] / 255


def _clothe(patch: Image.Image, inside: np.ndarray, colour: np.ndarray) -> Image.Image:
    """Where the source photo ends, the body goes on in its clothing colour, shaded as a
    rounded body lit from above."""
    across = np.linspace(-1, 1, patch.width, dtype=np.float32)[None, :, None]
    down = np.linspace(1.0, 0.8, patch.height, dtype=np.float32)[:, None, None]
    shade = down * (1 - 0.35 * across**2)
    pixels = np.asarray(patch, np.float32) * inside + colour * shade * (1 - inside)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def _silhouette(size, centre, face_w: float, face_h: float) -> Image.Image:
    """A soft head, neck, shoulders and body mask, faded out at the bottom."""
    x, y = centre
    shape = Image.new("L", size, 0)
    draw = ImageDraw.Draw(shape)
    draw.ellipse((x - 0.68 * face_w, y - 0.92 * face_h, x + 0.68 * face_w, y + 0.66 * face_h), 255)
    draw.rectangle((x - 0.32 * face_w, y + 0.3 * face_h, x + 0.32 * face_w, y + 1.1 * face_h), 255)
    draw.ellipse((x - 1.5 * face_w, y + 0.75 * face_h, x + 1.5 * face_w, y + 2.4 * face_h), 255)
    bottom = y + BODY_LENGTH * face_h
    draw.polygon(
        [
            (x - 1.45 * face_w, y + 1.55 * face_h),
            (x + 1.45 * face_w, y + 1.55 * face_h),
            (x + 1.2 * face_w, bottom),
            (x - 1.2 * face_w, bottom),
        ],
        255,
    )
    shape = shape.filter(ImageFilter.GaussianBlur(max(1.0, 0.08 * face_w)))
    fade = np.clip((bottom - np.arange(size[1])) / face_h, 0, 1)
    return Image.fromarray((np.asarray(shape, np.float32) * fade[:, None]).astype(np.uint8))


def _relight_face(patch: Image.Image, rng: random.Random) -> Image.Image:
    """Brightness, contrast, gamma, a mild colour cast and light from one side."""
    pixels = np.asarray(patch, np.float32) / 255
    pixels = pixels ** rng.uniform(0.75, 1.35)
    pixels = (pixels - 0.5) * rng.uniform(0.75, 1.2) + 0.5
    cast = np.array([rng.uniform(0.92, 1.08) for _ in range(3)], np.float32)
    side = rng.uniform(-0.25, 0.25) * np.linspace(-1, 1, pixels.shape[1], dtype=np.float32)
    pixels = pixels * rng.uniform(0.7, 1.25) * cast * (1 + side)[None, :, None]
    return Image.fromarray((np.clip(pixels, 0, 1) * 255).astype(np.uint8))


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


def _same_face(pasted: Box, found: Box) -> bool:
    centre_x, centre_y = found.x + found.width / 2, found.y + found.height / 2
    inside = pasted.x <= centre_x <= pasted.x + pasted.width
    inside = inside and pasted.y <= centre_y <= pasted.y + pasted.height
    return inside and 0.5 * pasted.short_side <= found.short_side <= 2 * pasted.short_side
