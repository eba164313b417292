"""Registered attendees: an email, the vector of their face, and what they were told.

What is kept is listed in docs/privacy.md: the email address, one face vector per
embedder (never the selfie), the consent time, the attendee's "Is this you?" answers
and the ids of the photos they were told about. Everything goes at once, by the
attendee's "Delete my data", by the event's retention period, or with the event.
"""

import uuid
from datetime import date, timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from pgvector.django import VectorField

from faces.models import Face
from photos.models import Event

DEFAULT_RETENTION_DAYS = 30


class EventRetention(models.Model):
    """How long the event's registrations are kept (an organiser's setting of this app,
    on the event page; an event without a row keeps them DEFAULT_RETENTION_DAYS)."""

    event = models.OneToOneField(
        Event, on_delete=models.CASCADE, primary_key=True, related_name="registration_retention"
    )
    days = models.PositiveSmallIntegerField(
        _("keep registrations for (days)"),
        default=DEFAULT_RETENTION_DAYS,
        validators=[MaxValueValidator(365)],
        help_text=_(
            "Attendees who asked to be emailed their photos are deleted this many days "
            "after the event ends (or after they registered, for an event without dates)."
        ),
    )

    def __str__(self) -> str:
        return f"Registrations of event {self.event_id} kept {self.days} days"


def retention_days(event: Event) -> int:
    row = EventRetention.objects.filter(event=event).values_list("days", flat=True).first()
    return DEFAULT_RETENTION_DAYS if row is None else row


def kept_until(event: Event, registered_on: date) -> date:
    """The last day a registration of the event made on ``registered_on`` is kept:
    the event's retention period after its last day (or the registration's, if later
    or the event has no dates)."""
    start = max(event.ends_on or event.starts_on or registered_on, registered_on)
    return start + timedelta(days=retention_days(event))


class Registration(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    email = models.EmailField(max_length=254)
    # The organiser sees the address only if the attendee ticked this.
    share_email = models.BooleanField(default=False)
    # The language of the page the attendee registered on: their emails are in it.
    language = models.CharField(max_length=10, default="en-gb")
    consented_at = models.DateTimeField()
    # Set when the attendee first opens a link from an email: only confirmed addresses
    # are sent new photos (nobody can have a stranger's inbox notified).
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Photos the attendee was told about (or found at registration), and photos found
    # since that wait for the next email: never the same photo twice.
    known_photo_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    pending_photo_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    # Photos of faces that may be them ("Is this you?"), which the email asks to check.
    pending_check_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    # The mail server refused the address for good: no more emails are tried.
    undeliverable_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "event", Lower("email"), name="registration_one_per_email_and_event"
            )
        ]
        indexes = [
            models.Index(
                fields=["last_notified_at"],
                name="registration_pending_idx",
                condition=~models.Q(pending_photo_ids=[]) | ~models.Q(pending_check_ids=[]),
            )
        ]

    def __str__(self) -> str:
        return f"Registration {self.pk} for event {self.event_id}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class RegistrationVector(models.Model):
    """The registered face, as one embedder's vector (any size: matched in numpy and
    in exact queries inside one event, never through an index)."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="vectors")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    embedder = models.CharField(max_length=80)
    embedding = VectorField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "embedder"], name="registration_vector_unique"
            )
        ]
        indexes = [models.Index(fields=["event", "embedder"], name="registration_vector_event")]

    def __str__(self) -> str:
        return f"{self.embedder} vector of registration {self.registration_id}"


class Answer(models.Model):
    """A registered attendee's "Is this you?" answer about one face."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="answers")
    face = models.ForeignKey(Face, on_delete=models.CASCADE, related_name="+")
    is_me = models.BooleanField()
    answered_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["registration", "face"], name="answer_one_per_face")
        ]

    def __str__(self) -> str:
        return f"Answer of registration {self.registration_id} about face {self.face_id}"


class LoginLink(models.Model):
    """One link sent by email: it logs in once (single use), within its age limit
    (checked from the signature, registrations.links)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="login_links"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)
    # Someone registered this address again (a new selfie, a new "share my address"):
    # the change waits here, and only the owner of the address, by using this link,
    # applies it. Until then nothing about the registration changes. Deleted with the
    # link (registrations.links.delete_old_links), applied or not.
    change = models.JSONField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Log-in link of registration {self.registration_id}"


class EventCounts(models.Model):
    """What the organiser sees of registrations: counts, which outlive the rows."""

    event = models.OneToOneField(
        Event, on_delete=models.CASCADE, primary_key=True, related_name="registration_counts"
    )
    registered = models.PositiveIntegerField(default=0)  # registrations ever made
    emails_sent = models.PositiveIntegerField(default=0)  # "new photos" emails
    deleted_by_attendee = models.PositiveIntegerField(default=0)
    expired = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Registration counts of event {self.event_id}"


class HideRequest(models.Model):
    """A guest who deleted their data asked to be hidden in the event's photos too.

    Nothing is hidden until the organiser approves: anyone can register with a photo
    of somebody else, so "hide me" from a guest is a request, decided by a person who
    sees the photos. The guest's data is deleted at once; only the address (to tell
    them the decision) and the faces their selfie matched are kept here, and the row
    stays as the record of who asked and who decided until the event's registrations
    expire.
    """

    class Decision(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        APPROVED = "approved", _("Hidden")
        DECLINED = "declined", _("Declined")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="hide_requests")
    email = models.EmailField(max_length=254)
    language = models.CharField(max_length=10, default="en-gb")
    # The faces the guest's search found when they asked (the organiser sees their
    # photos); the people they belong to are looked up again at the decision.
    face_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(
        max_length=10, choices=Decision.choices, default=Decision.WAITING, db_index=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    faces_hidden = models.PositiveIntegerField(default=0)
    guest_told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"Hide request {self.pk} for event {self.event_id}"

    @property
    def is_waiting(self) -> bool:
        return self.decision == self.Decision.WAITING
