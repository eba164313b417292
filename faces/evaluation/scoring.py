"""Precision, recall and the per-person figures of a set of searches.

Photo level, like the product: a search finds photos. A found photo is right when the
searched person is in it. Relevant photos are those where the person's face is big
enough for the product to match (every identity photo; in group photos, faces of 40 px
and more). Besides the strict count, a wrong photo found through a face the set has no
label for (a bystander at the edge of someone else's news photo, who may well be the
searched person) is counted as "unverifiable" and reported apart.
"""

from collections import Counter
from dataclasses import dataclass, field

from faces.evaluation.engine import IndexedEvent
from faces.matching import Decision

PARTS = ("identity", "group", "hard_group", "real_group")
# Recall by the size of the searched person's face (short side, pixels of the photo),
# known for composed group photos (where each face was pasted); real group photos do
# not say which face is whom.
SIZE_BANDS = ((40, "40-59 px"), (60, "60-79 px"), (80, "80-119 px"), (120, "120 px and more"))


HIDINGS = ("none", "sunglasses", "covered")  # what hides part of a hard group face


def size_band(short_side: float) -> str | None:
    band = None
    for lowest, label in SIZE_BANDS:
        if short_side >= lowest:
            band = label
    return band


@dataclass
class PersonResult:
    person: str
    relevant: int
    found_right: int  # relevant photos found
    found: int  # photos found
    wrong: int  # photos found that do not show the person
    unverifiable: int  # of the wrong ones, found through an unlabelled face

    @property
    def precision(self) -> float | None:
        return (self.found - self.wrong) / self.found if self.found else None

    @property
    def recall(self) -> float:
        return self.found_right / self.relevant if self.relevant else 1.0


@dataclass
class Score:
    people: list[PersonResult] = field(default_factory=list)
    relevant_by_part: Counter = field(default_factory=Counter)
    found_by_part: Counter = field(default_factory=Counter)
    wrong_by_part: Counter = field(default_factory=Counter)
    relevant_by_band: Counter = field(default_factory=Counter)  # composed groups only
    found_by_band: Counter = field(default_factory=Counter)
    relevant_by_hiding: Counter = field(default_factory=Counter)  # hard groups only
    found_by_hiding: Counter = field(default_factory=Counter)

    def add(self, other: "Score") -> None:
        """Count ``other``'s searches in this score too (folds pooled into one)."""
        self.people += other.people
        self.relevant_by_part += other.relevant_by_part
        self.found_by_part += other.found_by_part
        self.wrong_by_part += other.wrong_by_part
        self.relevant_by_band += other.relevant_by_band
        self.found_by_band += other.found_by_band
        self.relevant_by_hiding += other.relevant_by_hiding
        self.found_by_hiding += other.found_by_hiding

    @property
    def found(self) -> int:
        return sum(p.found for p in self.people)

    @property
    def wrong(self) -> int:
        return sum(p.wrong for p in self.people)

    @property
    def unverifiable(self) -> int:
        return sum(p.unverifiable for p in self.people)

    @property
    def precision(self) -> float:
        return (self.found - self.wrong) / self.found if self.found else 1.0

    @property
    def precision_verifiable(self) -> float:
        counted = self.found - self.unverifiable
        return (counted - (self.wrong - self.unverifiable)) / counted if counted else 1.0

    @property
    def recall(self) -> float:
        relevant = sum(p.relevant for p in self.people)
        return sum(p.found_right for p in self.people) / relevant if relevant else 0.0

    def part_recall(self, part: str) -> float | None:
        relevant = self.relevant_by_part[part]
        return self.found_by_part[part] / relevant if relevant else None

    def band_recall(self) -> dict[str, tuple[int, int]]:
        """Face-size band -> (found, relevant), in composed group photos."""
        return {
            label: (self.found_by_band[label], self.relevant_by_band[label])
            for _lowest, label in SIZE_BANDS
            if self.relevant_by_band[label]
        }

    def hiding_recall(self) -> dict[str, tuple[int, int]]:
        """What hides part of the face ("none", "sunglasses", "covered") -> (found,
        relevant), in hard composed group photos."""
        return {
            label: (self.found_by_hiding[label], self.relevant_by_hiding[label])
            for label in HIDINGS
            if self.relevant_by_hiding[label]
        }

    @property
    def share_without_photos(self) -> float:
        """People with at least two photos to find who found none of them."""
        eligible = [p for p in self.people if p.relevant >= 2]
        return sum(1 for p in eligible if p.found_right == 0) / len(eligible) if eligible else 0

    @property
    def share_mostly_wrong(self) -> float:
        """People whose results are under 80 % theirs (of those with any result)."""
        with_results = [p for p in self.people if p.found]
        return (
            sum(1 for p in with_results if p.precision < 0.8) / len(with_results)
            if with_results
            else 0
        )

    def worst(self, count: int = 5) -> list[PersonResult]:
        return sorted(self.people, key=lambda p: (p.precision or 1.0, p.recall))[:count]

    def as_dict(self) -> dict:
        return {
            "precision": round(self.precision, 4),
            "precision_verifiable": round(self.precision_verifiable, 4),
            "recall": round(self.recall, 4),
            **{
                f"{part}_recall": (None if (r := self.part_recall(part)) is None else round(r, 4))
                for part in PARTS
            },
            "group_recall_by_face_size": {
                label: {"found": found, "relevant": relevant, "recall": round(found / relevant, 4)}
                for label, (found, relevant) in self.band_recall().items()
            },
            "hard_group_recall_by_hiding": {
                label: {"found": found, "relevant": relevant, "recall": round(found / relevant, 4)}
                for label, (found, relevant) in self.hiding_recall().items()
            },
            "relevant_by_part": dict(self.relevant_by_part),
            "found": self.found,
            "wrong": self.wrong,
            "unverifiable": self.unverifiable,
            "no_face_matches": self.wrong_by_part["no_face"],
            "wrong_by_part": dict(self.wrong_by_part),
            "people": len(self.people),
            "share_without_photos": round(self.share_without_photos, 4),
            "share_mostly_wrong": round(self.share_mostly_wrong, 4),
            "worst": [
                {
                    "person": p.person,
                    "precision": None if p.precision is None else round(p.precision, 3),
                    "recall": round(p.recall, 3),
                    "found": p.found,
                    "wrong": p.wrong,
                }
                for p in self.worst()
            ],
        }


@dataclass
class AbsentScore:
    """Selfies of guests who are in no photo of the event (the other folds' people): a
    guest who is not there must get nothing; any photo they get shows someone else."""

    guests: int = 0
    with_photos: list[str] = field(default_factory=list)  # who got some
    photos: int = 0
    through_labelled: int = 0  # of those photos, found through a labelled person's face

    def add(self, other: "AbsentScore") -> None:
        self.guests += other.guests
        self.with_photos += other.with_photos
        self.photos += other.photos
        self.through_labelled += other.through_labelled

    @property
    def share_with_photos(self) -> float:
        return len(self.with_photos) / self.guests if self.guests else 0.0

    def as_dict(self) -> dict:
        return {
            "guests": self.guests,
            "with_photos": len(self.with_photos),
            "share_with_photos": round(self.share_with_photos, 4),
            "photos": self.photos,
            "through_labelled": self.through_labelled,
            "who": sorted(self.with_photos),
        }


def score_absent(score: AbsentScore, event: IndexedEvent, person: str, decision: Decision):
    """Count one absent guest's search."""
    score.guests += 1
    if decision.sure:
        score.with_photos.append(person)
        score.photos += len(decision.sure)
        score.through_labelled += sum(1 for m in decision.sure if event.who[m.face_id])


def answers_for(event: IndexedEvent, person: str, decision: Decision, count: int) -> dict:
    """A truthful attendee answering the first ``count`` questions about the face shown.
    A face of a real group photo is not labelled: its question is left unanswered
    (rather than answered wrongly), and counts among the ``count``."""
    answers = {}
    for question in decision.questions[:count]:
        who = event.who[question.face_id]
        photo = event.photos[event.photo_index[question.face_id]]
        if who is None and photo.part == "real_group":
            continue
        answers[question.face_id] = who == person
    return answers


def score_search(
    score: Score, event: IndexedEvent, person: str, found: set[int], candidates: dict
) -> None:
    photos = event.photos
    present = {i for i, photo in enumerate(photos) if person in photo.people}
    relevant = {i for i, photo in enumerate(photos) if person in photo.findable}
    wrong = found - present
    labelled_near = {event.photo_index[f] for f in candidates if event.who[f] is not None}
    unverifiable = {
        i for i in wrong if photos[i].part in ("identity", "distractor") and i not in labelled_near
    }
    score.people.append(
        PersonResult(
            person, len(relevant), len(found & relevant), len(found), len(wrong), len(unverifiable)
        )
    )
    for i in relevant:
        score.relevant_by_part[photos[i].part] += 1
        score.found_by_part[photos[i].part] += i in found
        for face in photos[i].pasted:
            if face.person == person and (band := size_band(face.box.short_side)):
                score.relevant_by_band[band] += 1
                score.found_by_band[band] += i in found
                if photos[i].part == "hard_group":
                    hiding = face.hidden or "none"
                    score.relevant_by_hiding[hiding] += 1
                    score.found_by_hiding[hiding] += i in found
    for i in wrong:
        score.wrong_by_part[photos[i].part] += 1
