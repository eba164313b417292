import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _


def new_attendee_token() -> str:
    # 256 bits from the OS CSPRNG: unguessable, URL-safe, printable as a QR code.
    return secrets.token_urlsafe(32)


def photo_upload_path(photo: "Photo", filename: str) -> str:
    # Random names: a storage listing or URL reveals nothing about the event or guest.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"events/{photo.event_id}/originals/{uuid.uuid4().hex}.{extension}"


def content_hash(fp) -> str:
    """What a photo is known by in its event (``Photo.content_hash``): the SHA-256 of
    the file, read from the start; ``fp`` is rewound."""
    digest = hashlib.sha256()
    fp.seek(0)
    for chunk in iter(lambda: fp.read(1024 * 1024), b""):
        digest.update(chunk)
    fp.seek(0)
    return digest.hexdigest()


def rendition_upload_path(photo: "Photo", filename: str) -> str:
    return f"events/{photo.event_id}/renditions/{filename}"


# Being staff (a moderator in the admin) gives no power over other organisers' events:
# seeing, editing, deleting them, their originals, new links and site-wide "Find a
# person" need this permission (or a superuser).
MANAGE_ALL_EVENTS = "photos.manage_all_events"


def manages_all_events(user) -> bool:
    return user.is_authenticated and user.has_perm(MANAGE_ALL_EVENTS)


class EventQuerySet(models.QuerySet):
    def visible_to(self, user) -> "EventQuerySet":
        if manages_all_events(user):
            return self
        return self.filter(owner=user)

    def with_counts(self) -> "EventQuerySet":
        return self.annotate(
            photo_count=Count("photos", distinct=True),
            album_count=Count("albums", distinct=True),
        )


class Event(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="events"
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    attendee_token = models.CharField(max_length=64, unique=True, default=new_attendee_token)
    is_face_search_enabled = models.BooleanField(
        _("face search enabled"),
        default=True,
        help_text=_("Attendees can find their photos with a selfie."),
    )
    is_camera_selfie_required = models.BooleanField(
        _("selfies from the camera only"),
        default=False,
        help_text=_(
            "Attendees take their selfie with the camera on the page; choosing a "
            "picture is not offered. This makes searching with someone else's photo harder, "
            "not impossible."
        ),
    )
    # The organiser's language when the event was created: what the workers write for
    # the organisers (a failed photo, a zip's skipped files) is written in it.
    language = models.CharField(max_length=10, default="en-gb", db_default="en-gb")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped whenever the event's faces change; grouping into people records the
    # version it saw, so it only runs again when there is something new.

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-starts_on", "-created_at"]
        permissions = [("manage_all_events", "Can see and manage every organiser's events")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="event_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("photos:event_detail", args=[self.pk])

    @staticmethod
    def unique_slug_for(name: str) -> str:
        base = slugify(name)[:60] or "event"
        slug, n = base, 1
        while Event.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        return slug


class Album(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="albums")
    title = models.CharField(_("title"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("album")
        verbose_name_plural = _("albums")
        ordering = ["event", "title"]
        constraints = [
            models.UniqueConstraint(fields=["event", "title"], name="album_title_unique_in_event")
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("photos:album_detail", args=[self.pk])


# Photos in the order pages show them (an album, a guest's results): by capture time,
# photos without a capture date last.
CAPTURE_ORDER = (F("taken_at").asc(nulls_last=True), "id")


class PhotoQuerySet(models.QuerySet):
    def visible_to(self, user) -> "PhotoQuerySet":
        if manages_all_events(user):
            return self
        return self.filter(event__owner=user)

    def status_counts(self) -> dict[str, int]:
        rows = self.values("processing_status").annotate(n=Count("id")).order_by()
        counts = {status: 0 for status in Photo.Status.values}
        counts.update({row["processing_status"]: row["n"] for row in rows})
        return counts


class Photo(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        PROCESSING = "processing", _("Processing")
        DONE = "done", _("Processed")
        FAILED = "failed", _("Failed")

    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="photos")
    # Denormalised from album.event: the duplicate check (content hash unique per
    # event) and every event-scoped query need it on this table.
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=photo_upload_path, max_length=255)
    thumbnail = models.FileField(upload_to=rendition_upload_path, max_length=255, blank=True)
    preview = models.FileField(upload_to=rendition_upload_path, max_length=255, blank=True)
    original_filename = models.CharField(max_length=500)
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the file.")
    size_bytes = models.BigIntegerField(default=0)
    width = models.PositiveIntegerField(help_text="Pixels, after EXIF orientation.")
    height = models.PositiveIntegerField(help_text="Pixels, after EXIF orientation.")
    taken_at = models.DateTimeField(null=True, blank=True, help_text="From EXIF.")
    # db_default: rows written outside the ORM (bulk COPY in the benches) get "" too.
    photographer = models.CharField(
        max_length=200, blank=True, default="", db_default="", help_text="EXIF Artist."
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    processing_status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    processing_error = models.TextField(blank=True)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    processing_attempts = models.PositiveSmallIntegerField(default=0)

    objects = PhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["taken_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "content_hash"], name="photo_unique_content_in_event"
            )
        ]
        indexes = [
            models.Index(fields=["event", "taken_at"], name="photo_event_taken_idx"),
            models.Index(fields=["album", "taken_at"], name="photo_album_taken_idx"),
        ]

    def __str__(self) -> str:
        return self.original_filename

    def get_absolute_url(self) -> str:
        return reverse("photos:photo_detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.processing_status in (self.Status.DONE, self.Status.FAILED)


class FileDeletion(models.Model):
    """A stored file waiting to be deleted: the outbox that makes file deletion durable.

    Rows are written in the same transaction as the rows that referenced the files,
    deleted once the storage delete succeeds, and retried by a periodic task when it
    fails (photos.storage_cleanup).
    """

    name = models.CharField("storage name", max_length=255)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("file deletion")
        verbose_name_plural = _("file deletions")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class ZipImport(models.Model):
    """A .zip of photos uploaded to an album, unpacked by a worker (photos.imports).

    The web request only stores the archive; the worker adds its photos entry by entry,
    saving its place (``entries_done``) as it goes, so that the album page shows the
    progress and an interrupted import resumes where it stopped.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        UNPACKING = "unpacking", "Unpacking"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="imports")
    file = models.FileField(upload_to="imports/", max_length=255, blank=True)
    name = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    entries_total = models.PositiveIntegerField(default=0)
    entries_done = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    # What was not added, for the organiser: [{"name": ..., "reason": ...}], capped.
    problems = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name} into {self.album}"

    def as_dict(self) -> dict:
        return {
            "id": self.pk, "name": self.name, "status": self.status,
            "total": self.entries_total, "done": self.entries_done,
            "added": self.added, "duplicates": self.duplicates, "rejected": len(self.problems),
            "problems": self.problems[:50], "error": self.error,
        }  # fmt: skip


class ChunkedUpload(models.Model):
    """A file arriving in pieces (photos.chunked), resumable: on the web server's disk,
    or with S3 storage in the bucket as the multipart upload ``s3_upload_id``."""

    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="chunked_uploads")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True, default=new_attendee_token)
    name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    received = models.PositiveBigIntegerField(default=0)
    s3_key = models.CharField(max_length=255, blank=True)
    s3_upload_id = models.CharField(max_length=1024, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.received} of {self.size} bytes)"

    @property
    def is_direct(self) -> bool:
        return bool(self.s3_upload_id)
