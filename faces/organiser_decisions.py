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
from django.utils.translation import gettext

from faces import hidden_seeds, moderation, people_upkeep
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


def merge(*, into: Person, other: Person) -> Person:
    """One person from two: ``other``'s faces move to ``into`` (locked, so no
    regrouping parts them again); ``into`` takes ``other``'s name if it had none."""
    if into.pk == other.pk:
        raise PersonError(gettext("Choose two different people to merge."))
    if into.event_id != other.event_id:
        raise PersonError(gettext("Only people of the same event can be merged."))
    if into.is_hidden or other.is_hidden:
        raise PersonError(gettext("Show the hidden person again before merging."))
    with transaction.atomic():
        FacePerson.objects.filter(person__in=[into, other]).update(person=into, locked=True)
        into.name = into.name or other.name
        share_token = into.share_token or other.share_token
        other.delete()
        into.share_token = share_token
        into.save(update_fields=["name", "share_token"])
    return into


def split_face(*, face: Face) -> Person:
    """ "Not this person": the face leaves its person for a new one of its own, and
    stays there (locked) whatever regroups the event later."""
    with transaction.atomic():
        membership = FacePerson.objects.select_for_update().filter(face=face).first()
        if membership is None:
            raise PersonError(gettext("This face is not in any person yet."))
        if (
            not FacePerson.objects.filter(person_id=membership.person_id)
            .exclude(face=face)
            .exists()
        ):
            raise PersonError(
                gettext("This is the person's only face: there is nothing to split off.")
            )
        person = Person.objects.create(event_id=face.event_id)
        membership.person, membership.locked = person, True
        membership.save(update_fields=["person", "locked"])
    return person


def hide(*, person: Person, user) -> int:
    """Hide the person everywhere in the event: every face now, and any face of theirs
    stored later (by the seed kept from their vectors before they are deleted).
    Their share link stops working. Returns how many faces were hidden."""
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        person.seed = hidden_seeds.seed_of(person)
        person.is_hidden, person.hidden_by, person.hidden_at = True, user, timezone.now()
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
    person.share_token = secrets.token_urlsafe(32)
    person.save(update_fields=["share_token"])
    return person.share_token


def unshare(*, person: Person) -> None:
    person.share_token = None
    person.save(update_fields=["share_token"])


def shared_person(token: str) -> Person | None:
    """The person a share link opens, None when unknown, revoked or hidden."""
    if not token:
        return None
    person = Person.objects.filter(share_token=token, is_hidden=False).select_related("event")
    return person.first()
