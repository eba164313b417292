"""People: the faces of one person in one event, with an id that stays."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import connection, models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from faces.models.faces import Face
from photos.models import Event, Photo


class Person(models.Model):
    """Someone the event's faces were grouped into, with an id that stays.

    New faces join an existing person (faces.people_upkeep.assign_new_faces); a full
    regrouping maps its groups onto the existing people, so ids, names and the
    organiser's decisions (merge, "not this person", hide) survive it
    (docs/people.md).
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="people")
    name = models.CharField(max_length=120, blank=True)
    # Hidden everywhere: every face of the person is hidden, now and in photos added
    # later (recognised by ``seed``), and the person is in no search, zip or link.
    is_hidden = models.BooleanField(default=False)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    # {embedder: {"sum": [...], "count": n}}: the sum of the person's vectors, kept only
    # while the person has no vectors of their own to be recognised by: while hidden
    # (hidden faces keep no vector), and after being shown again until faces return.
    seed = models.JSONField(default=dict, blank=True)
    # A private link to this person's photos (None: not shared); regenerated to revoke.
    share_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [models.Index(fields=["event", "is_hidden"], name="person_event_hidden_idx")]

    def __str__(self) -> str:
        return self.name or f"Person {self.pk}"

    @property
    def label(self) -> str:
        return self.name or gettext("Unnamed person")


class FacePerson(models.Model):
    """Which person a face belongs to (faces.people_upkeep).

    A table of its own rather than a column of faces_face: regrouping rewrites many of
    these rows, and the same update on faces_face rewrote every face's entry in the
    vector index (12.8 s for an event of 10,000 faces, against a fraction of a second
    here). ``locked``: an organiser put the face there (a merge or "not this person");
    no automatic grouping moves it.
    """

    face = models.OneToOneField(
        Face, on_delete=models.CASCADE, primary_key=True, related_name="grouping"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    locked = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["event", "person"], name="faceperson_event_person_idx")]

    def __str__(self) -> str:
        return f"Face {self.face_id}: person {self.person_id} of event {self.event_id}"


class EventGrouping(models.Model):
    """Whether an event's people are up to date: its faces changed (``version`` goes
    up with every processed photo, hide or restore), and its people were last brought
    up to date at ``grouped_version`` (faces.people_upkeep). No row: nothing to do."""

    event = models.OneToOneField(
        Event, on_delete=models.CASCADE, primary_key=True, related_name="face_grouping"
    )
    version = models.PositiveIntegerField(default=0)
    grouped_version = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Grouping of event {self.event_id}: {self.grouped_version}/{self.version}"

    @property
    def is_out_of_date(self) -> bool:
        return self.version > self.grouped_version


# One statement per change, whatever the number of events: a new row or one more.
BUMP_SQL = """
INSERT INTO faces_eventgrouping (event_id, version, grouped_version)
SELECT event_id, 1, 0 FROM unnest(%s::bigint[]) AS event_id
ON CONFLICT (event_id) DO UPDATE SET version = faces_eventgrouping.version + 1
"""


def faces_changed(event_ids) -> None:
    """Note that the events' faces changed: the people job brings them up to date."""
    ids = sorted(set(event_ids))
    if ids:
        with connection.cursor() as cursor:
            cursor.execute(BUMP_SQL, [ids])


class FaceDecision(models.Model):
    """An organiser's word about one face: it is, or it is not, this person.

    A fact, not the current grouping: every path obeys it (faces.people_facts). A face
    said to be a person stays in them (its membership is locked); a face said *not* to
    be a person never comes back in that person's results, by any search. The face's
    place in its photo is kept, as for a hidden face: a face detected there again (by
    "Find faces again", another detector) gets the same decision.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="face_decisions")
    face = models.ForeignKey(
        Face, on_delete=models.SET_NULL, null=True, blank=True, related_name="decisions"
    )
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="+")
    x = models.IntegerField()
    y = models.IntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    is_person = models.BooleanField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["face", "person"], name="one_decision_per_face_person")
        ]
        indexes = [models.Index(fields=["photo"], name="facedecision_photo_idx")]

    def __str__(self) -> str:
        verb = "is" if self.is_person else "is not"
        return f"Face {self.face_id} {verb} person {self.person_id}"


class PeopleApart(models.Model):
    """Two people the organiser said are not the same person (they separated them, or
    answered "no" to "The same person?"). A selfie that finds one never returns the
    other's photos, and no suggestion offers to merge them again."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    first = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="people_apart_once"),
            models.CheckConstraint(
                condition=models.Q(first__lt=models.F("second")), name="people_apart_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"People {self.first_id} and {self.second_id} are not the same"


class PeopleAction(models.Model):
    """One organiser action on an event's people, with what undoing it restores: the
    people, memberships and decisions it touched, as they were before
    (faces.people_undo)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    description = models.CharField(max_length=200)
    before = models.JSONField()
    created_people = ArrayField(models.BigIntegerField(), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["event", "-created_at"], name="peopleaction_recent_idx")]

    def __str__(self) -> str:
        return f"{self.description} (event {self.event_id})"
