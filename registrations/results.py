"""A registered attendee's photos as they stand now: searched again with their stored
vector on every visit and before every email, with their "Is this you?" answers
applied (the same results, viewer and questions as a search: attendees.results)."""

import numpy as np

from attendees.results import StoredResults, apply_answer, results_of
from faces import api
from faces.models import Face
from registrations.models import Answer, Registration


def vector_of(registration: Registration) -> tuple[str, np.ndarray] | None:
    """The registration's vector for the embedder its event answers from (None: it
    was registered before a model change that left it without one)."""
    embedder = api.event_embedder_name(registration.event_id)
    row = registration.vectors.filter(embedder=embedder).values_list("embedding", flat=True)
    embedding = row.first()
    return None if embedding is None else (embedder, np.asarray(embedding, dtype=np.float32))


def photos_still_showing(registration: Registration, photo_ids: list[int]) -> set[int]:
    """Which of ``photo_ids`` still hold a visible face within a search's reach of the
    attendee's vector that they did not say is not them: one indexed query on those
    photos, not a search of the whole event (an email is checked just before sending)."""
    found = vector_of(registration)
    if found is None or not photo_ids:
        return set()
    embedder, vector = found
    return api.photos_within_reach(
        vector,
        embedder=embedder,
        event_id=registration.event_id,
        photo_ids=photo_ids,
        excluding_faces=registration.answers.filter(is_me=False).values("face_id"),
    )


def current_results(registration: Registration) -> StoredResults | None:
    """The registered attendee's photos as they stand now, with their answers applied
    (None: no vector for the event's embedder, see :func:`vector_of`)."""
    found = vector_of(registration)
    if found is None:
        return None
    embedder, vector = found
    decision = api.search_by_vector(vector, embedder=embedder, event_id=registration.event_id)
    results = results_of(decision)
    apply_answers(registration, results)
    return results


def apply_answers(registration: Registration, results: StoredResults) -> None:
    """Answer again each question the attendee already answered: about the same face,
    or about another face of the same person (a later photo of someone they said
    was, or was not, them)."""
    answers = dict(registration.answers.values_list("face_id", "is_me"))
    if not answers:
        return
    asked = {question.face for question in results.questions}
    person_of = api.person_of_faces(asked | set(answers))
    by_person = {person_of[face]: is_me for face, is_me in answers.items() if face in person_of}
    for question in results.questions:
        answer = answers.get(question.face)
        if answer is None:
            answer = by_person.get(person_of.get(question.face))
        if answer is not None:
            apply_answer(results, question, answer)
    _apply_to_answered_faces(results, answers)


def _apply_to_answered_faces(results: StoredResults, answers: dict[int, bool]) -> None:
    """An answered face that is no question any more (the search changed with new
    photos) still counts: "yes" keeps its photo among the results, "no" keeps out the
    photo where it was the face matched. Hidden faces stay out either way."""
    visible = dict(Face.objects.visible().filter(pk__in=answers).values_list("pk", "photo_id"))
    for face_id, is_me in answers.items():
        photo_id = visible.get(face_id)
        if photo_id is None:
            continue
        if is_me and photo_id not in results.sure:
            results.sure.append(photo_id)
            results.faces[photo_id] = face_id
        elif not is_me and results.faces.get(photo_id) == face_id:
            results.sure = [pk for pk in results.sure if pk != photo_id]


def faces_found(registration: Registration) -> list[int]:
    """The faces the registration's search finds now, one per photo."""
    results = current_results(registration)
    if results is None:
        return []
    return [results.faces[photo] for photo in results.sure if photo in results.faces]


def remember_answer(registration: Registration, *, face_id: int, is_me: bool) -> None:
    if Face.objects.filter(pk=face_id, event_id=registration.event_id).exists():
        Answer.objects.update_or_create(
            registration=registration, face_id=face_id, defaults={"is_me": is_me}
        )
