"""From the faces near a selfie to the photos of its person. Pure Python, no ORM.

The search (faces.search) gives every stored face within reach of the selfie, with its
person (the event's grouping, faces.grouping) and each person's centre; this module
decides, and the evaluation (faces.evaluation) runs the very same code on labelled
photos. docs/match-quality.md has the measurements behind each rule.

Person mode (the default):

1. **A person is accepted by agreement**, not by one face: one of its faces must be
   close to the selfie (``sure``) *and* the person's centre must be close too
   (``agreement``). One look-alike face no longer brings in a whole other person. A
   person of one face (or an ungrouped face) needs ``sure_alone``. A person whose
   centre is clearly the selfie's nearest is accepted too (faces.centres).
2. An accepted person's faces count up to ``guard`` from the selfie, and faces the
   grouping left alone near the person's centre join them (faces.centres). Two faces
   of one photo are two people: of two accepted people with faces in one photo, the
   one nearer the selfie stays and the other is only a candidate.
3. **Questions** ("Is this you?"), with what each answer does worked out now, while the
   selfie's vector is at hand (it is never kept):
   - *check*: the faces of an accepted person farthest from the selfie (past
     ``check_from``, up to two per person); "no" removes that face and the faces nearer
     to it than to the selfie (a look-alike merged into the person);
   - *candidate*: a person not accepted with a face under ``maybe``, shown by its
     closest face; "yes" adds its faces that are close to the selfie or to that face
     (``confirm``).
   Checks come first (they protect precision), then candidates, closest first.

Single mode: one nearest-neighbour lookup per photo (sure under ``sure``, maybe under
``maybe``), kept for comparison.
"""

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from faces.centres import clearly_nearest, join_near_centres
from faces.questions import Question, candidate_question, check_questions


@dataclass(frozen=True)
class CandidateFace:
    photo_id: int
    face_id: int
    distance: float  # to the selfie
    event_id: int
    person: int | None
    embedding: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class PersonSummary:
    centre: np.ndarray  # unit mean of the person's faces
    size: int


@dataclass(frozen=True)
class PhotoMatch:
    photo_id: int
    face_id: int
    distance: float


@dataclass
class Decision:
    sure: list[PhotoMatch]  # closest first
    maybe: list[PhotoMatch]  # the candidates' photos (organisers see them as "possible")
    questions: list[Question]
    photo_faces: dict[int, int] = field(default_factory=dict)  # photo -> its closest face

    @classmethod
    def merged(cls, decisions: list["Decision"]) -> "Decision":
        """One decision from searches of different events (each its own embedder):
        each search's results in turn, in the order given."""
        if len(decisions) == 1:
            return decisions[0]
        merged = cls(sure=[], maybe=[], questions=[])
        for decision in decisions:
            merged.sure += decision.sure
            merged.maybe += decision.maybe
            merged.questions += decision.questions
            merged.photo_faces.update(decision.photo_faces)
        return merged

    def answered(self, answers: dict[int, bool]) -> set[int]:
        """The sure photo ids after the attendee answered (face id -> is it me)."""
        photos = {match.photo_id for match in self.sure}
        for question in self.questions:
            answer = answers.get(question.face_id)
            if answer is True:
                photos |= set(question.yes_adds)
            elif answer is False:
                photos -= set(question.no_removes)
        return photos


@dataclass(frozen=True)
class Facts:
    """What the organiser said about the people near a selfie (faces.people_facts):
    pairs of people who are not the same person, and faces that are not a person."""

    apart: frozenset[tuple[int, int]] = frozenset()  # (person, person), smaller id first
    not_person: dict[int, frozenset[int]] = field(default_factory=dict)  # face -> people
    # Faces the organiser put in their person (moved, merged, named: FacePerson.locked).
    placed: frozenset[int] = frozenset()

    def are_apart(self, first: int, second: int) -> bool:
        return (min(first, second), max(first, second)) in self.apart

    def people_apart(self, a: tuple, b: tuple) -> bool:
        """Whether two of :func:`decide`'s keys, ("person", (event, person)), are people
        set apart (a lone face, or people of two events, never are)."""
        if a[0] != "person" or b[0] != "person" or a[1][0] != b[1][0]:
            return False
        return self.are_apart(a[1][1], b[1][1])


NO_FACTS = Facts()


@dataclass(frozen=True)
class MatchRules:
    """How faces near a selfie become results (see the module docstring)."""

    sure: float = 0.33
    maybe: float = 0.40
    mode: str = "person"  # or "single"
    person_guard: float = 0.45
    agreement: float = 0.30
    sure_alone: float = 0.30
    check_from: float = 0.36
    confirm: float = 0.36
    # A face the grouping left alone joins a found person when this close to their
    # centre and under ``join_reach`` from the selfie (0: never; faces.centres.join_near_centres).
    join_centre: float = 0.34
    join_reach: float = 0.40
    # A person is also found when theirs is clearly the nearest centre: under
    # ``clear_centre`` from the selfie and ``clear_margin`` nearer than any other
    # person's (0: never; faces.centres.clearly_nearest).
    clear_centre: float = 0.34
    clear_margin: float = 0.10

    @classmethod
    def for_embedder(cls, embedder_name: str) -> "MatchRules":
        """The rules in force for searches among ``embedder_name``'s vectors."""
        from django.conf import settings

        from faces.calibration import calibration_for

        c = calibration_for(embedder_name)
        return cls(
            sure=c.sure,
            maybe=max(c.maybe, c.sure),
            mode=settings.FACES_MATCH_MODE,
            person_guard=c.guard,
            agreement=c.agreement,
            sure_alone=c.alone,
            check_from=c.check_from,
            confirm=c.confirm,
            join_centre=c.join_centre,
            join_reach=c.join_reach,
            clear_centre=c.clear_centre,
            clear_margin=c.clear_margin,
        )

    @property
    def reach(self) -> float:
        """The largest distance any rule looks at: the candidate query's threshold."""
        if self.mode == "person":
            return max(self.maybe, self.person_guard)
        return self.maybe


def decide(
    faces: list[CandidateFace],
    rules: MatchRules,
    people: dict[tuple[int, int], PersonSummary] | None = None,
    selfie: np.ndarray | None = None,
    facts: Facts = NO_FACTS,
) -> Decision:
    """Sure photos, "maybe" photos and questions for the faces near a selfie.

    ``people``: the centre and size of each (event, person) among ``faces``;
    ``selfie``: its vector (person mode needs both, and the faces' embeddings);
    ``facts``: the organiser's word, which no rule overrides (:func:`_obey`).
    """
    if rules.mode != "person":
        return _single(faces, rules)
    groups = _by_person(faces)
    clear = clearly_nearest(groups, people or {}, rules, selfie)
    accepted, candidates = {}, []
    for key, members in groups.items():
        closest = members[0]
        summary = (people or {}).get(key[1]) if key[0] == "person" else None
        if key in clear or _is_accepted(closest, summary, rules, selfie):
            accepted[key] = [f for f in members if f.distance < rules.person_guard]
        elif closest.distance < rules.maybe:
            candidates.append((key, members, summary))
    accepted, candidates = join_near_centres(
        accepted, candidates, groups, people or {}, rules, facts
    )
    # Before the organiser's word, so that a person it demotes to a candidate is still
    # left out when said to be apart from the one kept.
    accepted, candidates = _one_per_photo(accepted, candidates, people or {}, selfie)
    accepted, candidates = _obey(facts, accepted, candidates, people or {}, selfie)
    accepted_faces = [f for members in accepted.values() for f in members]
    sure = _best_per_photo(accepted_faces)
    sure_ids = {match.photo_id for match in sure}
    questions = [
        question
        for members in accepted.values()
        for question in check_questions(members, accepted_faces, rules)
    ]
    questions.sort(key=lambda q: -q.distance)
    candidate_questions = [
        candidate_question(members, rules, sure_ids) for _, members, _ in candidates
    ]
    candidate_questions.sort(key=lambda q: q.distance)
    maybe_faces = [f for _, members, _ in candidates for f in members if f.distance < rules.maybe]
    maybe = [m for m in _best_per_photo(maybe_faces) if m.photo_id not in sure_ids]
    # The face behind each photo: the sure match, else the photo's closest face.
    photo_faces = {m.photo_id: m.face_id for m in _best_per_photo(faces)}
    photo_faces.update({m.photo_id: m.face_id for m in sure})
    return Decision(sure, maybe, questions + candidate_questions, photo_faces)


def _obey(facts: Facts, accepted: dict, candidates: list, people: dict, selfie) -> tuple:
    """The organiser's word over the rules. Of two accepted people said to be apart,
    only the one nearer the selfie stays; people apart from an accepted one are not
    asked about either; and a face said not to be an accepted person is in no result
    and no question (it may be in another person, or in none)."""
    if not (facts.apart or facts.not_person):
        return accepted, candidates
    ranked = _nearest_first(accepted, people, selfie)
    kept: dict = {}
    for key in ranked:
        if not any(facts.people_apart(key, other) for other in kept):
            kept[key] = accepted[key]
    chosen = {key[1][1] for key in kept if key[0] == "person"}
    candidates = [c for c in candidates if not any(facts.people_apart(c[0], k) for k in kept)]

    def allowed(face: CandidateFace) -> bool:
        return not (facts.not_person.get(face.face_id, frozenset()) & chosen)

    kept = {key: [f for f in members if allowed(f)] for key, members in kept.items()}
    candidates = [
        (key, [f for f in members if allowed(f)], summary) for key, members, summary in candidates
    ]
    return (
        {key: members for key, members in kept.items() if members},
        [c for c in candidates if c[1]],
    )


def _one_per_photo(accepted: dict, candidates: list, people: dict, selfie) -> tuple:
    """Two faces of one photo are two people: of two accepted people with faces in one
    photo, only the one nearer the selfie stays; the other becomes a candidate (asked
    about through its faces elsewhere, not shown). Look-alikes seen together
    (siblings, a team) cannot both be the guest."""
    ranked = _nearest_first(accepted, people, selfie)
    kept, photos = {}, set()
    for key in ranked:
        mine = {f.photo_id for f in accepted[key]}
        if mine & photos:
            # Its faces beside a kept person's are not the guest: asked about the rest.
            elsewhere = [f for f in accepted[key] if f.photo_id not in photos]
            if elsewhere:
                summary = people.get(key[1]) if key[0] == "person" else None
                candidates.append((key, elsewhere, summary))
            continue
        kept[key] = accepted[key]
        photos |= mine
    return kept, candidates


def _nearest_first(accepted: dict, people: dict, selfie) -> list[tuple]:
    """The accepted people's keys, the one nearest the selfie first."""
    return sorted(accepted, key=lambda key: _nearness(key, accepted[key], people, selfie))


def _nearness(key: tuple, members: list[CandidateFace], people: dict, selfie) -> float:
    """How near the selfie an accepted person is: their centre's distance (their
    closest face's, for a person of one face or a lone face)."""
    summary = people.get(key[1]) if key[0] == "person" else None
    if summary is not None and summary.size >= 2 and selfie is not None:
        return float(np.linalg.norm(summary.centre - selfie))
    return members[0].distance if members else float("inf")


def _single(faces: list[CandidateFace], rules: MatchRules) -> Decision:
    sure = _best_per_photo(f for f in faces if f.distance < rules.sure)
    sure_ids = {match.photo_id for match in sure}
    maybe = [
        m
        for m in _best_per_photo(f for f in faces if f.distance < rules.maybe)
        if m.photo_id not in sure_ids
    ]
    return Decision(sure, maybe, [])


def _by_person(faces: list[CandidateFace]) -> dict[tuple, list[CandidateFace]]:
    """Faces per (event, person), closest first; an ungrouped face is its own person."""
    groups = defaultdict(list)
    for face in sorted(faces, key=lambda f: f.distance):
        if face.person is None:
            groups[("face", face.face_id)].append(face)
        else:
            groups[("person", face.event_id, face.person)].append(face)
    return {_summary_key(key): members for key, members in groups.items()}


def _summary_key(key: tuple) -> tuple:
    return ("person", (key[1], key[2])) if key[0] == "person" else key


def _is_accepted(closest, summary: PersonSummary | None, rules: MatchRules, selfie) -> bool:
    if summary is None or summary.size < 2 or selfie is None:
        return closest.distance < rules.sure_alone
    if closest.distance >= rules.sure:
        return False
    return float(np.linalg.norm(summary.centre - selfie)) < rules.agreement


def _best_per_photo(faces) -> list[PhotoMatch]:
    best: dict[int, PhotoMatch] = {}
    for face in sorted(faces, key=lambda f: f.distance):
        best.setdefault(face.photo_id, PhotoMatch(face.photo_id, face.face_id, face.distance))
    return sorted(best.values(), key=lambda match: match.distance)
