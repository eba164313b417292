"""The organiser's word about people, kept as facts that every path obeys.

Two kinds of fact (faces.models):

- :class:`FaceDecision`: this face is, or is not, this person, with the face's place in
  its photo;
- :class:`PeopleApart`: these two people are not the same person.

They are written by the organiser's actions (faces.organiser_decisions) and read by:

- **every search** (:func:`facts_for`, used by faces.search.find_matches, so the
  attendee's selfie, "Is this you?", registrations' emails and "Find a person" alike):
  a face said not to be a person is never in that person's results; of two people said
  to be apart, a selfie gets one (faces.matching.decide);
- **the grouping** (faces.people_upkeep): a face said to be a person is locked there,
  so no regrouping moves it;
- **processing** (:func:`apply_to_new_faces`): a face detected again at the same place
  ("Find faces again", another detector) gets its decisions and its locked person back.

A model change keeps faces and people (only vectors are added), so it keeps the facts.
"""

from django.db.models import Q

from faces.matching import Facts
from faces.models import Face, FaceDecision, FacePerson, PeopleApart, Person
from faces.models.faces import same_place


def facts_for(*, person_ids: set[int], face_ids: set[int]) -> Facts:
    """The facts about these people and faces (those a search found near a selfie)."""
    if not person_ids and not face_ids:
        return Facts()
    apart = PeopleApart.objects.filter(
        Q(first_id__in=person_ids) | Q(second_id__in=person_ids)
    ).values_list("first_id", "second_id")
    not_person: dict[int, set[int]] = {}
    rows = FaceDecision.objects.filter(face_id__in=face_ids, is_person=False).values_list(
        "face_id", "person_id"
    )
    for face_id, person_id in rows:
        not_person.setdefault(face_id, set()).add(person_id)
    # Every organiser action that puts a face in a person locks it there (a move, a
    # merge, a name given, a decision applied again after re-detection).
    placed = FacePerson.objects.filter(face_id__in=face_ids, locked=True).values_list(
        "face_id", flat=True
    )
    return Facts(
        apart=frozenset((min(a, b), max(a, b)) for a, b in apart),
        not_person={face: frozenset(people) for face, people in not_person.items()},
        placed=frozenset(placed),
    )


def decide_face(*, face: Face, person: Person, is_person: bool, user) -> None:
    """Record that ``face`` is (or is not) ``person``; the later word replaces an
    earlier one about the same face and person."""
    FaceDecision.objects.update_or_create(
        face=face,
        person=person,
        defaults={
            "event_id": face.event_id,
            "photo_id": face.photo_id,
            "x": face.x,
            "y": face.y,
            "width": face.width,
            "height": face.height,
            "is_person": is_person,
            "decided_by": user,
        },
    )


def set_apart(first: Person, second: Person, *, user) -> None:
    low, high = sorted([first.pk, second.pk])
    PeopleApart.objects.get_or_create(
        first_id=low, second_id=high, defaults={"event_id": first.event_id, "decided_by": user}
    )


def are_apart(first: Person, second: Person) -> bool:
    low, high = sorted([first.pk, second.pk])
    return PeopleApart.objects.filter(first_id=low, second_id=high).exists()


def merge_facts(*, into: Person, others: list[Person]) -> None:
    """People merged into ``into`` (their faces are its own now): what was said of them
    is said of ``into`` (where both had a word about one face, the later stands), a
    face now in ``into`` is no longer said not to be it (the merge is the later word),
    and they are no longer apart from it."""
    other_ids = [other.pk for other in others]
    for decision in FaceDecision.objects.filter(person_id__in=other_ids).order_by("decided_at"):
        same = None
        if decision.face_id is not None:
            same = FaceDecision.objects.filter(face_id=decision.face_id, person=into).first()
        if same is not None and same.decided_at > decision.decided_at:
            decision.delete()
            continue
        if same is not None:
            same.delete()
        decision.person = into
        decision.save(update_fields=["person"])
    FaceDecision.objects.filter(person=into, is_person=False, face__grouping__person=into).delete()
    group = [into.pk, *other_ids]
    PeopleApart.objects.filter(first_id__in=group, second_id__in=group).delete()
    for row in PeopleApart.objects.filter(Q(first_id__in=other_ids) | Q(second_id__in=other_ids)):
        other_side = row.second_id if row.first_id in other_ids else row.first_id
        row.delete()
        low, high = sorted([into.pk, other_side])
        PeopleApart.objects.get_or_create(
            first_id=low, second_id=high, defaults={"event_id": into.event_id}
        )


def apply_to_new_faces(photo_id: int, faces: list[Face]) -> None:
    """Faces stored again for a photo (re-detection) take the decisions made about the
    faces found at the same place before, and "is this person" puts them back there,
    locked."""
    decisions = list(FaceDecision.objects.filter(photo_id=photo_id))
    if not decisions:
        return
    memberships = []
    for face in faces:
        box = (face.x, face.y, face.width, face.height)
        for decision in decisions:
            if not same_place((decision.x, decision.y, decision.width, decision.height), box):
                continue
            decision.face = face
            decision.save(update_fields=["face"])
            if decision.is_person:
                memberships.append(
                    FacePerson(
                        face=face,
                        event_id=face.event_id,
                        person_id=decision.person_id,
                        locked=True,
                    )
                )
    FacePerson.objects.bulk_create(
        memberships,
        update_conflicts=True,
        unique_fields=["face"],
        update_fields=["person", "locked"],
    )
