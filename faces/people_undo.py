"""Undo for the organiser's actions on people (move faces, merge, "not this person",
"the same person?"): each action records the people, memberships and facts it touches
as they were before, and undoing the last one puts them back exactly, ids, names and
share links included."""

from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from faces.models import Face, FaceDecision, FacePerson, PeopleAction, PeopleApart, Person

PERSON_FIELDS = ["id", "event_id", "name", "is_hidden", "hidden_by_id", "hidden_at", "seed",
                 "share_token", "created_at"]  # fmt: skip
DECISION_FIELDS = ["id", "event_id", "person_id", "face_id", "photo_id", "x", "y", "width",
                   "height", "is_person", "decided_by_id", "decided_at"]  # fmt: skip
APART_FIELDS = ["id", "event_id", "first_id", "second_id", "decided_by_id", "decided_at"]
# How far back "Undo" goes, per event.
KEPT_ACTIONS = 20


@dataclass
class Recording:
    """What an action tells its record: the people it created."""

    created: list[int] = field(default_factory=list)


def _snapshot(person_ids: list[int]) -> dict:
    apart = PeopleApart.objects.filter(Q(first_id__in=person_ids) | Q(second_id__in=person_ids))
    return {
        "people": [
            _json(row) for row in Person.objects.filter(pk__in=person_ids).values(*PERSON_FIELDS)
        ],
        "memberships": list(
            FacePerson.objects.filter(person_id__in=person_ids).values_list(
                "face_id", "person_id", "locked"
            )
        ),
        "decisions": [
            _json(row)
            for row in FaceDecision.objects.filter(person_id__in=person_ids).values(
                *DECISION_FIELDS
            )
        ],
        "apart": [_json(row) for row in apart.values(*APART_FIELDS)],
    }


def _json(row: dict) -> dict:
    return {
        key: value.isoformat() if hasattr(value, "isoformat") else value
        for key, value in row.items()
    }


@contextmanager
def recorded(*, event_id: int, user, description: str, person_ids: list[int]):
    """Run an action inside a transaction and keep what undoing it needs. The action
    adds the people it creates to the yielded :class:`Recording`."""
    with transaction.atomic():
        before = _snapshot(sorted(set(person_ids)))
        recording = Recording()
        yield recording
        PeopleAction.objects.create(
            event_id=event_id,
            user=user if getattr(user, "pk", None) else None,
            description=description[:200],
            before=before,
            created_people=recording.created,
        )
        old = PeopleAction.objects.filter(event_id=event_id).order_by("-created_at", "-pk")
        PeopleAction.objects.filter(
            pk__in=list(old.values_list("pk", flat=True)[KEPT_ACTIONS:])
        ).delete()


def last_action(event_id: int) -> PeopleAction | None:
    return (
        PeopleAction.objects.filter(event_id=event_id, undone_at__isnull=True)
        .order_by("-created_at", "-pk")
        .first()
    )


def undo_last(*, event_id: int) -> PeopleAction | None:
    """Put back what the event's last action (not undone yet) changed; returns it."""
    with transaction.atomic():
        action = (
            PeopleAction.objects.select_for_update()
            .filter(event_id=event_id, undone_at__isnull=True)
            .order_by("-created_at", "-pk")
            .first()
        )
        if action is None:
            return None
        _restore(action)
        action.undone_at = timezone.now()
        action.save(update_fields=["undone_at"])
    return action


def _restore(action: PeopleAction) -> None:
    before = action.before
    person_ids = [row["id"] for row in before["people"]]
    Person.objects.filter(pk__in=action.created_people).delete()
    # Share tokens are unique: cleared first, then each person gets theirs back.
    Person.objects.filter(pk__in=person_ids).update(share_token=None)
    for row in before["people"]:
        fields = {key: value for key, value in row.items() if key != "id"}
        Person.objects.update_or_create(pk=row["id"], defaults=fields)
    faces = [face for face, _, _ in before["memberships"]]
    # Faces deleted since (their photo was) are left out.
    existing = set(Face.objects.filter(pk__in=faces).values_list("pk", flat=True))
    FacePerson.objects.filter(Q(person_id__in=person_ids) | Q(face_id__in=faces)).delete()
    FacePerson.objects.bulk_create(
        FacePerson(face_id=face, person_id=person, locked=locked, event_id=action.event_id)
        for face, person, locked in before["memberships"]
        if face in existing
    )
    FaceDecision.objects.filter(person_id__in=person_ids).delete()
    decided = [row["face_id"] for row in before["decisions"]]
    existing = set(Face.objects.filter(pk__in=decided).values_list("pk", flat=True))
    FaceDecision.objects.bulk_create(
        FaceDecision(**{**row, "face_id": row["face_id"] if row["face_id"] in existing else None})
        for row in before["decisions"]
    )
    PeopleApart.objects.filter(Q(first_id__in=person_ids) | Q(second_id__in=person_ids)).delete()
    PeopleApart.objects.bulk_create(PeopleApart(**row) for row in before["apart"])
