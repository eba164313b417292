"""What organisers do with people: name, merge, "not this person", hide everywhere,
show again, share. One transaction each, and each leaves the automatic grouping a
decision it keeps (faces.people_upkeep): the faces a person was named, merged or split with
are locked there, a hidden person keeps a seed that hides them in later photos.
"""

import secrets

import numpy as np
from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from core import links
from faces import hidden_seeds, moderation, people_facts, people_undo, people_upkeep
from faces.calibration import calibration_for
from faces.engines import event_embedder_name
from faces.models import Face, FacePerson, Person
from photos.models import Event, Photo


class PersonError(Exception):
    """A decision that cannot be taken; the message is for the organiser."""


def people_of(event: Event, *, hidden: bool = False) -> QuerySet:
    """The event's people with at least one photo (or its hidden people), most
    photographed first, each with ``photo_count`` and ``cover_face_id``: their
    largest visible face, the clearest to recognise them by."""
    visible = Q(memberships__face__status=Face.Status.VISIBLE)
    if hidden:
        return (
            Person.objects.filter(event=event, is_hidden=True)
            .annotate(face_count=Count("memberships"))
            .order_by("-hidden_at", "pk")
        )
    cover = FacePerson.objects.filter(
        person=OuterRef("pk"), face__status=Face.Status.VISIBLE
    ).order_by("-face__width", "face_id")
    return (
        Person.objects.filter(event=event, is_hidden=False)
        .annotate(
            photo_count=Count("memberships__face__photo", filter=visible, distinct=True),
            cover_face_id=Subquery(cover.values("face_id")[:1]),
        )
        .filter(photo_count__gt=0)
        .order_by("-photo_count", "pk")
    )


def look_alikes(person: Person, *, limit: int = 6) -> list[Person]:
    """The people of the event whose faces are closest to this person's on average
    (distance between the two centres, under 1.5 times the grouping threshold), closest
    first, from ``people_of``: the ones to offer merging with, whatever page they are
    on."""
    embedder = event_embedder_name(person.event_id)
    model = people_upkeep.vector_model_of(person.event_id, embedder)
    dims = model._meta.get_field("embedding").dimensions
    members, sums, counts = people_upkeep.person_sums(person.event_id, embedder, dims)
    ids = [member.pk for member in members]
    if person.pk not in ids or len(ids) < 2:
        return []
    centres = sums / np.linalg.norm(sums, axis=1, keepdims=True).clip(min=1e-9)
    distances = np.linalg.norm(centres - centres[ids.index(person.pk)], axis=1)
    distances[ids.index(person.pk)] = np.inf
    reach = 1.5 * calibration_for(embedder).grouping
    nearest = [ids[i] for i in np.argsort(distances)[:limit] if distances[i] < reach]
    found = {p.pk: p for p in people_of(person.event).filter(pk__in=nearest)}
    return [found[pk] for pk in nearest if pk in found]


def photos_of(person: Person) -> QuerySet:
    """The photos where the person's visible faces are (none for a hidden person)."""
    if person.is_hidden:
        return Photo.objects.none()
    faces = Face.objects.filter(grouping__person=person, status=Face.Status.VISIBLE)
    return Photo.objects.filter(pk__in=faces.values("photo_id")).order_by("taken_at", "pk")


def rename(*, person: Person, name: str) -> None:
    """Name (or unname) the person; the faces it holds now stay with it."""
    with transaction.atomic():
        person.name = name.strip()[: Person._meta.get_field("name").max_length]
        person.save(update_fields=["name"])
        FacePerson.objects.filter(person=person).update(locked=True)


def merge(*, into: Person, other: Person, user=None) -> Person:
    """One person from two (see :func:`merge_people`)."""
    return merge_people(people=[into, other], user=user)


def merge_people(*, people: list[Person], user=None) -> Person:
    """One person from several: the others' faces move to the first (locked, so no
    regrouping parts them again), which takes the first name among them if it has
    none, and a share link if it has none. What was said of the others is said of it
    (faces.people_facts.merge_facts). Undoable."""
    people = list(dict.fromkeys(people))
    if len(people) < 2:
        raise PersonError(gettext("Choose two different people to merge."))
    into, others = people[0], people[1:]
    if any(person.event_id != into.event_id for person in others):
        raise PersonError(gettext("Only people of the same event can be merged."))
    if any(person.is_hidden for person in people):
        raise PersonError(gettext("Show the hidden person again before merging."))
    description = gettext("Merged %(count)s people into %(name)s") % {
        "count": len(people),
        "name": into.label,
    }
    with people_undo.recorded(
        event_id=into.event_id,
        user=user,
        description=description,
        person_ids=[person.pk for person in people],
    ):
        FacePerson.objects.filter(person__in=people).update(person=into, locked=True)
        people_facts.merge_facts(into=into, others=others)
        into.name = into.name or next((p.name for p in others if p.name), "")
        share_token = into.share_token or next(
            (p.share_token for p in others if p.share_token), None
        )
        Person.objects.filter(pk__in=[p.pk for p in others]).delete()
        into.share_token = share_token
        into.save(update_fields=["name", "share_token"])
    return into


def move_faces(*, faces: list[Face], to: Person | None, user=None) -> Person:
    """The organiser says these faces are ``to`` (a new person when None), and not the
    person each was in. Recorded as facts (faces.people_facts): each face is ``to`` and
    is not its former person; a new person is apart from the people the faces left.
    Memberships are locked. Returns the person the faces are in. Undoable."""
    faces = list(faces)
    if not faces:
        raise PersonError(gettext("Select at least one face."))
    event_id = faces[0].event_id
    if any(face.event_id != event_id for face in faces):
        raise PersonError(gettext("Only faces of one event can be moved together."))
    if to is not None and (to.event_id != event_id or to.is_hidden):
        raise PersonError(gettext("Faces can only go to a visible person of the same event."))
    former = dict(FacePerson.objects.filter(face__in=faces).values_list("face_id", "person_id"))
    touched = {*former.values(), *([to.pk] if to is not None else [])}
    description = ngettext(
        "Moved %(count)s face to %(name)s", "Moved %(count)s faces to %(name)s", len(faces)
    ) % {"count": len(faces), "name": to.label if to is not None else gettext("a new person")}
    with people_undo.recorded(
        event_id=event_id, user=user, description=description, person_ids=list(touched)
    ) as recording:
        if to is None:
            to = Person.objects.create(event_id=event_id)
            recording.created.append(to.pk)
            for person in Person.objects.filter(pk__in=set(former.values())):
                people_facts.set_apart(to, person, user=user)
        FacePerson.objects.bulk_create(
            [FacePerson(face=face, event_id=event_id, person=to, locked=True) for face in faces],
            update_conflicts=True,
            unique_fields=["face"],
            update_fields=["person", "locked"],
        )
        people = Person.objects.in_bulk(set(former.values()))
        for face in faces:
            people_facts.decide_face(face=face, person=to, is_person=True, user=user)
            left = people.get(former.get(face.pk))
            if left is not None and left.pk != to.pk:
                people_facts.decide_face(face=face, person=left, is_person=False, user=user)
    return to


def split_face(*, face: Face, user=None) -> Person:
    """ "Not this person": the face leaves its person for a new one of its own; the
    face is not that person, and the two people are apart (faces.people_facts)."""
    membership = FacePerson.objects.filter(face=face).first()
    if membership is None:
        raise PersonError(gettext("This face is not in any person yet."))
    if not FacePerson.objects.filter(person_id=membership.person_id).exclude(face=face).exists():
        raise PersonError(gettext("This is the person's only face: there is nothing to split off."))
    return move_faces(faces=[face], to=None, user=user)


def not_the_same(*, first: Person, second: Person, user=None) -> None:
    """The organiser's "no" to "The same person?": the two are apart, for good."""
    if first.pk == second.pk or first.event_id != second.event_id:
        raise PersonError(gettext("Choose two different people of the same event."))
    description = gettext("%(first)s and %(second)s are not the same person") % {
        "first": first.label,
        "second": second.label,
    }
    with people_undo.recorded(
        event_id=first.event_id,
        user=user,
        description=description,
        person_ids=[first.pk, second.pk],
    ):
        people_facts.set_apart(first, second, user=user)


def hide(*, person: Person, user) -> int:
    """Hide the person everywhere in the event: every face now, and any face of theirs
    stored later (by the seed kept from their vectors before they are deleted).
    Their share link stops working. Returns how many faces were hidden."""
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        person.seed = hidden_seeds.seed_of(person)
        person.is_hidden, person.hidden_by, person.hidden_at = True, user, timezone.now()
        links.revoke(person.share_token)
        person.share_token = None
        person.save(update_fields=["seed", "is_hidden", "hidden_by", "hidden_at", "share_token"])
        faces = Face.objects.filter(grouping__person=person)
        return moderation.hide_faces(faces=faces, user=user)


def show(*, person: Person, user) -> int:
    """Undo :func:`hide`: the faces are restored (their photos processed again), and
    the seed brings them back to this person, with its name. Returns how many."""
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        person.is_hidden, person.hidden_by, person.hidden_at = False, None, None
        person.save(update_fields=["is_hidden", "hidden_by", "hidden_at"])
        faces = Face.objects.filter(grouping__person=person)
        return moderation.restore_faces(faces=faces, user=user)


def share(*, person: Person) -> str:
    """A new private link to the person's photos (any earlier link stops working)."""
    if person.is_hidden:
        raise PersonError(gettext("A hidden person cannot be shared."))
    links.revoke(person.share_token)
    person.share_token = secrets.token_urlsafe(32)
    person.save(update_fields=["share_token"])
    return person.share_token


def unshare(*, person: Person) -> None:
    links.revoke(person.share_token)
    person.share_token = None
    person.save(update_fields=["share_token"])


def shared_person(token: str) -> Person | None:
    """The person a share link opens, None when unknown, revoked or hidden."""
    if not token:
        return None
    person = Person.objects.filter(share_token=token, is_hidden=False).select_related("event")
    return person.first()
