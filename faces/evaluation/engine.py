"""An event in memory: the product's grouping and decision code on labelled faces.

Detection and embedding come from the cache (the product's pipeline, run once per
photo); grouping is ``faces.grouping.group_faces``, and each search is
``faces.matching.decide`` on the faces within reach, exactly as the web request does
after its SQL query (a test checks that both give the same answer). What is left out
is only the database round trip, so that a setting can be tried in seconds.
"""

import io
from dataclasses import dataclass

import numpy as np
from django.conf import settings

from faces.analysis import ANALYSIS_SIDE, mirror_averaged
from faces.evaluation.cache import FaceCache
from faces.evaluation.dataset import Dataset, LabelledPhoto
from faces.grouping import centres, group_faces
from faces.matching import CandidateFace, Decision, MatchRules, PersonSummary, decide
from photos.images import open_image


@dataclass(frozen=True)
class Grouping:
    threshold: float = 0.40
    relative: float | None = 1.6
    spread_floor: float = 0.28

    @classmethod
    def for_embedder(cls, embedder_name: str) -> "Grouping":
        from faces.calibration import calibration_for

        c = calibration_for(embedder_name)
        return cls(
            threshold=c.grouping, relative=c.grouping_relative, spread_floor=c.grouping_floor
        )


class IndexedEvent:
    """Every face of a dataset's gallery, as stored by the product, with labels."""

    def __init__(self, dataset: Dataset, cache: FaceCache, progress=None) -> None:
        self.dataset = dataset
        self.photos: list[LabelledPhoto] = []
        self.failures: list[str] = []
        vectors, photo_index, matchable, who = [], [], [], []
        items = progress(dataset.gallery) if progress else dataset.gallery
        for item in items:
            found = cache.faces(item.read_bytes())
            if found.error:
                self.failures.append(f"{item.key}: {found.error}")
                continue
            number = len(self.photos)
            self.photos.append(item)
            boxes = [face.box for face in found.faces]
            for face in found.faces:
                vectors.append(face.embedding)
                photo_index.append(number)
                matchable.append(face.is_matchable)
                who.append(item.face_person(face.box, (found.width, found.height), boxes))
        self.vectors = np.array(vectors, dtype=np.float32).reshape(len(vectors), -1)
        self.photo_index = np.array(photo_index, dtype=int)
        self.matchable = np.array(matchable, dtype=bool)
        self.who = who
        self.selfies = {p: self.selfie_vector(cache, item) for p, item in dataset.selfies.items()}
        self._searchable = np.nonzero(self.matchable)[0]
        self.labels: np.ndarray | None = None
        self.people: dict[int, PersonSummary] = {}

    @staticmethod
    def selfie_vector(cache: FaceCache, item: LabelledPhoto) -> np.ndarray | None:
        """The search vector of the labelled (central) face of the selfie photo, if
        usable as a selfie: averaged with its mirror image, as the product's selfies
        are (faces.selfies.read_selfie)."""
        data = item.read_bytes()
        found = cache.faces(data)
        boxes = [face.box for face in found.faces]
        for face in found.faces:
            if item.face_person(face.box, (found.width, found.height), boxes):
                if not face.is_matchable:
                    return None
                if not settings.FACES_SELFIE_MIRROR:
                    return face.embedding
                loaded = open_image(io.BytesIO(data), max_pixels=10**9, decode_side=ANALYSIS_SIDE)
                box = face.box.scaled(loaded.scale)
                return mirror_averaged(loaded.as_array(), box, cache.embedder)[1]
        return None

    def group(self, grouping: Grouping) -> None:
        """Group the searchable faces into people, as the event's grouping job does."""
        rows = self._searchable
        labels = group_faces(
            self.vectors[rows],
            self.photo_index[rows],
            threshold=grouping.threshold,
            relative=grouping.relative,
            spread_floor=grouping.spread_floor,
        )
        self.labels = np.full(len(self.vectors), -1)
        self.labels[rows] = labels
        self.people = {
            label: PersonSummary(centre, size)
            for label, (centre, size) in centres(self.vectors[rows], labels).items()
        }

    def search(self, selfie: np.ndarray, rules: MatchRules) -> tuple[Decision, dict]:
        """The product's decision for ``selfie``, and the candidate faces it saw."""
        rows = self._searchable
        distances = np.linalg.norm(self.vectors[rows] - selfie, axis=1)
        near = np.nonzero(distances < rules.reach)[0]
        faces = [
            CandidateFace(
                photo_id=int(self.photo_index[rows[j]]),
                face_id=int(rows[j]),
                distance=float(distances[j]),
                event_id=0,
                person=int(self.labels[rows[j]]) if self.labels is not None else None,
                embedding=self.vectors[rows[j]],
            )
            for j in near
        ]
        people = {(0, label): summary for label, summary in self.people.items()}
        return decide(faces, rules, people, selfie), {f.face_id: f for f in faces}
