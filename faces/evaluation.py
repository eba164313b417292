"""Measure matching quality on a labelled folder of photos.

Layout: ``identities/<person>/*.jpg`` (optional ``distractors/*.jpg`` and
``no_face/*.jpg``). The first photo of each person (by name) is that person's
selfie; everything else, plus group photos composed from the other photos (marked
synthetic), is indexed into a throw-away event through the real pipeline and grouped
into people; then every selfie is searched and the results are scored per threshold,
for single-shot and person matching side by side.
"""

import io
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

from faces import services
from faces.backends import get_detector, get_embedder
from faces.composed import compose_groups
from faces.search import MatchRules, SearchFilters, candidate_faces, classify
from faces.selfies import SelfieError, read_selfie
from photos import services as photo_services
from photos.models import Event

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic"}
DEFAULT_THRESHOLDS = [round(0.28 + 0.02 * i, 2) for i in range(10)]
MODES = ("single", "person")


@dataclass
class LabelledPhoto:
    path: Path | None
    people: tuple[str, ...]  # who is in it (empty for distractors and no-face photos)
    part: str  # "identity", "group", "distractor" or "no_face"
    image: object = None  # composed group photos live in memory


@dataclass
class Dataset:
    selfies: list[LabelledPhoto]
    gallery: list[LabelledPhoto]

    @classmethod
    def from_folder(cls, root: Path, *, groups: int = 0) -> "Dataset":
        selfies, gallery, sources = [], [], {}
        for person in sorted(p for p in (root / "identities").iterdir() if p.is_dir()):
            photos = _images(person)
            if len(photos) < 2:
                continue
            selfies.append(LabelledPhoto(photos[0], (person.name,), "identity"))
            gallery += [LabelledPhoto(path, (person.name,), "identity") for path in photos[1:]]
            sources[person.name] = photos[1:]
        for part, label in (("distractors", "distractor"), ("no_face", "no_face")):
            if (root / part).is_dir():
                gallery += [LabelledPhoto(path, (), label) for path in _images(root / part)]
        if groups and sources:
            backgrounds = _images(root / "no_face") if (root / "no_face").is_dir() else []
            composed = compose_groups(sources, backgrounds, count=groups, detector=get_detector())
            gallery += [
                LabelledPhoto(None, tuple(g.people), "group", image=g.image) for g in composed
            ]
        return cls(selfies, gallery)


@dataclass
class ThresholdResult:
    mode: str
    threshold: float
    true_matches: int = 0
    false_matches: int = 0
    relevant: int = 0
    group_true: int = 0
    group_relevant: int = 0
    false_by_part: dict[str, int] = field(default_factory=dict)

    @property
    def precision(self) -> float:
        found = self.true_matches + self.false_matches
        return self.true_matches / found if found else 1.0

    @property
    def recall(self) -> float:
        return self.true_matches / self.relevant if self.relevant else 0.0

    @property
    def group_recall(self) -> float | None:
        return self.group_true / self.group_relevant if self.group_relevant else None

    def as_dict(self) -> dict:
        group_recall = self.group_recall
        return {
            "mode": self.mode,
            "threshold": self.threshold,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "group_recall": round(group_recall, 4) if group_recall is not None else None,
            "true_matches": self.true_matches,
            "false_matches": self.false_matches,
            "false_matches_by_part": self.false_by_part,
            "relevant": self.relevant,
        }


@dataclass
class Report:
    people: int
    gallery_photos: int
    group_photos: int
    selfies_without_face: list[str]
    index_failures: list[str]
    results: list[ThresholdResult]

    def for_mode(self, mode: str) -> list[ThresholdResult]:
        return [r for r in self.results if r.mode == mode]

    def recommended(self, mode: str = "person", min_precision: float = 0.99) -> ThresholdResult:
        """Highest recall with precision at least ``min_precision`` (else best precision)."""
        results = self.for_mode(mode)
        good = [r for r in results if r.precision >= min_precision]
        if good:
            return max(good, key=lambda r: (r.recall, -r.threshold))
        return max(results, key=lambda r: (r.precision, r.recall))

    def as_dict(self) -> dict:
        return {
            "people": self.people,
            "gallery_photos": self.gallery_photos,
            "group_photos": self.group_photos,
            "selfies_without_face": self.selfies_without_face,
            "index_failures": self.index_failures,
            "recommended_threshold": {m: self.recommended(m).threshold for m in MODES},
            "results": [r.as_dict() for r in self.results],
        }


def evaluate(
    root: Path, *, thresholds: list[float] = DEFAULT_THRESHOLDS, groups: int = 0, progress=None
) -> Report:
    """Index ``root`` into a throw-away event, search every selfie, score the results."""
    dataset = Dataset.from_folder(root, groups=groups)
    event = _throwaway_event()
    try:
        labels, failures = _index(event, dataset.gallery, progress)
        services.group_event_faces(event_id=event.pk)
        searches, no_face = _search(event, dataset.selfies, thresholds)
        results = [
            _score(mode, threshold, searches, labels) for mode in MODES for threshold in thresholds
        ]
    finally:
        photo_services.delete_event(event=event)
    group_count = sum(1 for item in dataset.gallery if item.part == "group")
    return Report(
        len(dataset.selfies), len(dataset.gallery), group_count, no_face, failures, results
    )


def central_face(faces, loaded):
    """The face nearest the middle of the photo: the labelled person in this layout.

    Labelled sets (LFW and the like) centre the named person; other people may show at
    the edges, sometimes larger. The product itself uses the largest face of a selfie.
    """
    middle_x, middle_y = loaded.width / 2, loaded.height / 2
    return min(
        faces,
        key=lambda f: (
            abs(f.full_box.x + f.full_box.width / 2 - middle_x)
            + abs(f.full_box.y + f.full_box.height / 2 - middle_y)
        ),
        default=None,
    )


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def _throwaway_event() -> Event:
    owner, _ = get_user_model().objects.get_or_create(
        username="evaluation", defaults={"is_active": False}
    )
    slug = f"evaluation-{uuid.uuid4().hex[:12]}"
    return Event.objects.create(owner=owner, name="Evaluation (temporary)", slug=slug)


def _open(item: LabelledPhoto):
    if item.image is None:
        return item.path.open("rb")
    data = io.BytesIO()
    item.image.save(data, "JPEG", quality=90)
    data.seek(0)
    return data


def _index(event: Event, gallery: list[LabelledPhoto], progress) -> tuple[dict, list[str]]:
    album = photo_services.get_or_create_album(event=event, title="Evaluation")
    labels, failures = {}, []
    for number, item in enumerate(progress(gallery) if progress else gallery):
        name = str(item.path) if item.path else f"synthetic-group-{number}.jpg"
        try:
            with _open(item) as fp:
                added = photo_services.add_photo(
                    album=album, fp=fp, original_filename=name, queue=False
                )
        except ValueError as error:
            failures.append(f"{name}: {error}")
            continue
        services.process_photo(photo_id=added.photo.pk)
        labels[added.photo.pk] = item
    return labels, failures


def _search(event: Event, selfies: list[LabelledPhoto], thresholds: list[float]):
    reach = max(max(thresholds), settings.FACES_PERSON_GUARD_THRESHOLD)
    searches, no_face = [], []
    embedder = get_embedder().name
    for selfie in selfies:
        try:
            with selfie.path.open("rb") as fp:
                face = read_selfie(fp=fp, pick=central_face).face
        except SelfieError:
            no_face.append(str(selfie.path))
            searches.append((selfie, []))
            continue
        filters = SearchFilters(event_ids=[event.pk])
        faces = candidate_faces(face.embedding, embedder=embedder, filters=filters, threshold=reach)
        searches.append((selfie, faces))
    return searches, no_face


def _score(mode: str, threshold: float, searches, labels: dict) -> ThresholdResult:
    rules = MatchRules(
        sure=threshold,
        maybe=threshold,
        mode=mode,
        person_guard=settings.FACES_PERSON_GUARD_THRESHOLD,
    )
    result = ThresholdResult(mode, threshold)
    for selfie, faces in searches:
        person = selfie.people[0]
        relevant = {pk for pk, item in labels.items() if person in item.people}
        groups = {pk for pk in relevant if labels[pk].part == "group"}
        found = {match.photo_id for match in classify(faces, rules)[0]}
        result.relevant += len(relevant)
        result.true_matches += len(found & relevant)
        result.group_relevant += len(groups)
        result.group_true += len(found & groups)
        for photo_id in found - relevant:
            result.false_matches += 1
            part = (
                "other_person"
                if labels[photo_id].part in ("identity", "group")
                else labels[photo_id].part
            )
            result.false_by_part[part] = result.false_by_part.get(part, 0) + 1
    return result
