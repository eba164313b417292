"""Questions to the guest, "Is this you?", about single faces, with what each answer
does worked out while the selfie's vector is at hand (it is never kept). Pure Python.

Built by faces.matching.decide from the faces near a selfie (its ``CandidateFace`` s,
with their embeddings) and the rules in force (its ``MatchRules``):

- *check*: a found person's faces farthest from the selfie; "no" removes that face and
  the faces nearer to it than to the selfie (a look-alike merged into the person);
- *candidate*: a person not found, shown by its closest face; "yes" adds its faces close
  to the selfie or to the face shown.
"""

from dataclasses import dataclass

import numpy as np

CHECKS_PER_PERSON = 2


@dataclass(frozen=True)
class Question:
    """ "Is this you?" about one face, and what each answer does to the results."""

    kind: str  # "check" (a face in the results) or "candidate" (a face not in them)
    face_id: int
    photo_id: int
    distance: float
    yes_adds: tuple[int, ...] = ()  # photo ids
    no_removes: tuple[int, ...] = ()  # photo ids


def check_questions(members: list, accepted: list, rules) -> list[Question]:
    """Questions about the accepted faces farthest from the selfie (past ``check_from``):
    the farthest, then the farthest of those a "no" to it would keep, up to
    ``CHECKS_PER_PERSON``. A merged look-alike is usually a whole cluster on one side.

    "No" removes the photos of that face and of the person's faces nearer to it than to
    the selfie, unless another accepted face keeps the photo.
    """
    questions, covered = [], set()
    for face in reversed(members):  # farthest first
        if len(questions) == CHECKS_PER_PERSON or face.distance <= rules.check_from:
            break
        if face.face_id in covered or face.embedding is None or len(members) < 2:
            continue
        doubtful = {
            f.face_id
            for f in members
            if f.embedding is not None and np.linalg.norm(f.embedding - face.embedding) < f.distance
        } | {face.face_id}
        covered |= doubtful
        kept = {f.photo_id for f in accepted if f.face_id not in doubtful}
        removes = {f.photo_id for f in members if f.face_id in doubtful} - kept
        questions.append(
            Question(
                "check", face.face_id, face.photo_id, face.distance, (), tuple(sorted(removes))
            )
        )
    return questions


def candidate_question(members: list, rules, sure_ids: set[int]) -> Question:
    """A person not in the results, asked about through its closest face."""
    shown = members[0]
    adds = {shown.photo_id}
    for face in members:
        if face.distance >= rules.person_guard:
            continue
        near_shown = (
            face.embedding is not None
            and shown.embedding is not None
            and np.linalg.norm(face.embedding - shown.embedding) < rules.confirm
        )
        if face.distance < rules.confirm or near_shown:
            adds.add(face.photo_id)
    return Question(
        "candidate", shown.face_id, shown.photo_id, shown.distance, tuple(sorted(adds - sure_ids))
    )
