"""A labelled folder of photos, split by people, with composed group photos.

Layout: ``identities/<person>/*`` (one folder per person), optional ``distractors/*``
(strangers: one photo each, nobody searches for them) and ``no_face/*``. The first photo
of each person (by name) is their selfie; the rest are gallery photos, in which the
labelled person is the face nearest the middle (the convention of LFW-like sets; other
people may show at the edges). Group photos are composed from the gallery photos
(groups.py, hard_groups.py), and their faces are labelled by where they were pasted.

Optional ``groups/labels.csv`` (columns ``file`` and ``identities_present``, names
separated by ``;``) lists real group photos in ``groups/``: each is in every event, as
part "real_group", labelled by who is in it but not by which face is whom. A person
with a single photo is kept when real group photos show them (the photo is the selfie,
the group photos are what there is to find).

People (and strangers) are split into folds by a hash of their name, so that a setting
can be tuned on some people and reported on the others (:func:`split`).
"""

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from faces.evaluation.groups import GroupPhoto, compose_groups
from faces.evaluation.hard_groups import compose_hard_groups
from ml.base import Box, Detector

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic"}


@dataclass
class LabelledPhoto:
    key: str  # stable name: the path below the dataset root, or "group/hard-3"
    part: str  # "identity", "group", "hard_group", "real_group", "distractor" or "no_face"
    people: tuple[str, ...]  # who is in it (for identity photos: the labelled person)
    findable: tuple[str, ...]  # who the product should find here (faces >= 40 px)
    path: Path | None = None
    image: Image.Image | None = None  # composed photos live in memory
    pasted: list = field(default_factory=list)  # faces.evaluation.groups.PastedFace of groups

    def read_bytes(self) -> bytes:
        if self.path is not None:
            return self.path.read_bytes()
        data = io.BytesIO()
        self.image.save(data, "JPEG", quality=95)
        return data.getvalue()

    def face_person(self, box: Box, photo_size: tuple[int, int], boxes: list[Box]) -> str | None:
        """Who a detected face is, when the set says so; None for anyone else.

        Identity photos: the face nearest the middle is the labelled person. Group
        photos: the pasted face whose box holds the detected face's centre.
        """
        if self.part == "identity":
            middle = _central(boxes, photo_size)
            return self.people[0] if middle is not None and middle == box else None
        # Real group photos say who is in them, not which face is whom: None.
        for face in self.pasted:
            if _same_face(face.box, box):
                return face.person
        return None


def _central(boxes: list[Box], size: tuple[int, int]) -> Box | None:
    middle_x, middle_y = size[0] / 2, size[1] / 2
    return min(
        boxes,
        key=lambda b: abs(b.x + b.width / 2 - middle_x) + abs(b.y + b.height / 2 - middle_y),
        default=None,
    )


def _same_face(pasted: Box, found: Box) -> bool:
    centre_x, centre_y = found.x + found.width / 2, found.y + found.height / 2
    inside = pasted.x <= centre_x <= pasted.x + pasted.width
    inside = inside and pasted.y <= centre_y <= pasted.y + pasted.height
    return inside and 0.5 * pasted.short_side <= found.short_side <= 2 * pasted.short_side


@dataclass
class Dataset:
    root: Path
    selfies: dict[str, LabelledPhoto]  # person -> their selfie
    gallery: list[LabelledPhoto]

    @property
    def people(self) -> list[str]:
        return sorted(self.selfies)

    @classmethod
    def from_folder(
        cls,
        root: Path,
        *,
        people: set[str] | None = None,
        strangers: set[str] | None = None,
        groups: int = 0,
        hard_groups: int = 0,
        detector: Detector | None = None,
        seed: int = 3,
    ) -> "Dataset":
        """The people (all, or ``people``) with at least two photos, the strangers (all,
        or ``strangers``: distractor file names), the no-face photos, and ``groups``
        clean and ``hard_groups`` hard group photos composed from these people only."""
        selfies, gallery, sources = {}, [], {}
        real = real_groups(root)
        in_real = {person for _path, shown in real for person in shown}
        for folder in sorted(p for p in (root / "identities").iterdir() if p.is_dir()):
            photos = images_in(folder)
            enough = len(photos) >= 2 or (photos and folder.name in in_real)
            if not enough or (people is not None and folder.name not in people):
                continue
            name = (folder.name,)
            selfies[folder.name] = LabelledPhoto(
                _key(root, photos[0]), "identity", name, name, photos[0]
            )
            gallery += [
                LabelledPhoto(_key(root, path), "identity", name, name, path) for path in photos[1:]
            ]
            sources[folder.name] = photos[1:]
        for path in images_in(root / "distractors"):
            if strangers is None or path.stem in strangers:
                gallery.append(LabelledPhoto(_key(root, path), "distractor", (), (), path))
        gallery += [
            LabelledPhoto(_key(root, path), "no_face", (), (), path)
            for path in images_in(root / "no_face")
        ]
        # Every real group photo, whoever the event's people: photos of other people
        # are what an event is full of.
        gallery += [
            LabelledPhoto(_key(root, path), "real_group", shown, shown, path)
            for path, shown in real
        ]
        sources = {person: paths for person, paths in sources.items() if paths}
        backgrounds = images_in(root / "no_face")
        if groups and sources:
            composed = compose_groups(
                sources, backgrounds, count=groups, detector=detector, seed=seed
            )
            gallery += _groups("group", composed)
        if hard_groups and sources:
            composed = compose_hard_groups(
                sources, backgrounds, count=hard_groups, detector=detector, seed=seed
            )
            gallery += _groups("hard_group", composed)
        return cls(root, selfies, gallery)


def _groups(part: str, composed: list[GroupPhoto]) -> list[LabelledPhoto]:
    return [
        LabelledPhoto(
            f"{part}/{number}",
            part,
            tuple(group.people),
            tuple(group.matchable_people),
            image=group.image,
            pasted=list(group.faces),
        )
        for number, group in enumerate(composed)
    ]


def real_groups(root: Path) -> list[tuple[Path, tuple[str, ...]]]:
    """(path, people shown) of each real group photo listed in groups/labels.csv."""
    labels = root / "groups" / "labels.csv"
    if not labels.is_file():
        return []
    with labels.open(newline="") as fp:
        rows = list(csv.DictReader(fp))
    found = []
    for row in rows:
        path = root / "groups" / row["file"]
        if path.is_file():
            shown = tuple(name for name in (row.get("identities_present") or "").split(";") if name)
            found.append((path, shown))
    return found


def images_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def _key(root: Path, path: Path) -> str:
    return str(path.relative_to(root))


def fold_of(name: str, folds: int) -> int:
    """A person's fold: stable across runs and machines (not Python's salted hash)."""
    return int(hashlib.sha256(name.encode()).hexdigest(), 16) % folds


def split(root: Path, folds: int) -> list[tuple[set[str], set[str]]]:
    """(people, strangers) of each fold."""
    people = [p.name for p in (root / "identities").iterdir() if p.is_dir()]
    strangers = [p.stem for p in images_in(root / "distractors")]
    return [
        (
            {name for name in people if fold_of(name, folds) == k},
            {name for name in strangers if fold_of(name, folds) == k},
        )
        for k in range(folds)
    ]


def fold_dataset(
    root: Path,
    fold: int,
    *,
    detector: Detector,
    folds: int = 2,
    groups: int = 20,
    hard_groups: int = 30,
) -> Dataset:
    """One fold's own event, as ``evaluate_faces --folds N`` builds the held-out one:
    the fold's people and strangers, the no-face and real group photos, and group
    photos composed from the fold's people (seeded by the fold's number)."""
    people, strangers = split(root, folds)[fold]
    return Dataset.from_folder(
        root,
        people=people,
        strangers=strangers,
        groups=groups,
        hard_groups=hard_groups,
        detector=detector,
        seed=fold,
    )


def fold_datasets(
    root: Path, *, detector: Detector, folds: int = 2, groups: int = 20, hard_groups: int = 30
) -> list[Dataset]:
    """Every fold's own event (:func:`fold_dataset`)."""
    return [
        fold_dataset(
            root, fold, detector=detector, folds=folds, groups=groups, hard_groups=hard_groups
        )
        for fold in range(folds)
    ]
