"""Faces found in photos, and the places where faces must stay hidden."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _

from photos.models import Event, Photo


class FaceQuerySet(models.QuerySet):
    def visible(self) -> "FaceQuerySet":
        return self.filter(status=Face.Status.VISIBLE)


class Face(models.Model):
    class Status(models.TextChoices):
        VISIBLE = "visible", "Visible"
        HIDDEN = "hidden", "Hidden"

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="faces")
    # Denormalised from photo.event so that a search inside one event is a plain
    # B-tree lookup on this table (docs/search.md: a filter after an HNSW scan loses rows).
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="faces")
    # Box in the pixels of the EXIF-oriented photo.
    x = models.IntegerField()
    y = models.IntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    score = models.FloatField(help_text="Detector confidence, 0 to 1.")
    # Eye, eye, nose tip, mouth corners (x1, y1, ..., x5, y5), in the oriented photo's
    # pixels, when the detector gives them: another embedder can align on them later.
    landmarks = ArrayField(models.FloatField(), size=10, null=True, blank=True)
    sharpness = models.FloatField(
        null=True, blank=True, help_text="Variance of the Laplacian of the face crop."
    )
    is_matchable = models.BooleanField(
        default=True, help_text="Large and sharp enough to be used for matching."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VISIBLE)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("face")
        verbose_name_plural = _("faces")
        # No default ordering: ordering by photo joined photos on every face query.
        indexes = [
            # The moderation list: lowest score first, paginated over millions of faces.
            models.Index(fields=["score", "id"], name="face_score_id_idx"),
        ]

    def __str__(self) -> str:
        return f"Face {self.pk} in photo {self.photo_id}"

    @property
    def person(self) -> int | None:
        """The id of the face's :class:`Person`, None if it is in none yet."""
        try:
            return self.grouping.person_id
        except ObjectDoesNotExist:  # no FacePerson row
            return None

    @property
    def short_side(self) -> int:
        return min(self.width, self.height)

    def box_percentages(self, photo) -> dict[str, float]:
        """The face's box as percentages of ``photo``'s size, to draw it over any copy
        (preview, thumbnail) of the photo."""
        return {
            "left": 100 * self.x / photo.width,
            "top": 100 * self.y / photo.height,
            "width": 100 * self.width / photo.width,
            "height": 100 * self.height / photo.height,
        }

    def crop_box(self, margin: float = 0.25) -> tuple[int, int, int, int]:
        """The face box grown by ``margin`` on each side, clipped to the photo."""
        dx, dy = int(self.width * margin), int(self.height * margin)
        return (
            max(0, self.x - dx),
            max(0, self.y - dy),
            min(self.photo.width, self.x + self.width + dx),
            min(self.photo.height, self.y + self.height + dy),
        )


class HiddenArea(models.Model):
    """A place in a photo where a face must stay hidden, whoever detects it again.

    Hiding a face records its box here (oriented photo pixels) and clears the face's
    vector. Every later detection of the photo, with any detector or embedder, hides
    (and stores no vector for) a face found in the same place (:meth:`covers`), so an
    opt-out survives re-detection and model changes. Restoring deletes the area.
    """

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="hidden_areas")
    x = models.IntegerField()
    y = models.IntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    hidden_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Hidden area in photo {self.photo_id} at {self.x},{self.y}"

    @classmethod
    def of(cls, face: Face, hidden_by_id: int | None) -> "HiddenArea":
        """An unsaved area where ``face`` is, hidden by that user."""
        return cls(
            photo_id=face.photo_id,
            x=face.x,
            y=face.y,
            width=face.width,
            height=face.height,
            hidden_by_id=hidden_by_id,
        )

    def covers(self, x: int, y: int, width: int, height: int) -> bool:
        """True when a face box (x, y, width, height) is the face hidden here."""
        return same_place((self.x, self.y, self.width, self.height), (x, y, width, height))


def same_place(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """True when two face boxes (x, y, width, height) of one photo are one face.

    Detectors draw boxes of different shapes around one face (YuNet's are taller than
    Haar's), so an overlap of 30 % counts, or each box holding the other's centre.
    """
    (ax, ay, aw, ah), (bx, by, bw, bh) = a, b
    left, top = max(ax, bx), max(ay, by)
    right, bottom = min(ax + aw, bx + bw), min(ay + ah, by + bh)
    inter = max(0, right - left) * max(0, bottom - top)
    union = aw * ah + bw * bh - inter
    if union and inter / union >= 0.3:
        return True
    return _inside(bx + bw / 2, by + bh / 2, ax, ay, aw, ah) and _inside(
        ax + aw / 2, ay + ah / 2, bx, by, bw, bh
    )


def _inside(px: float, py: float, x: int, y: int, width: int, height: int) -> bool:
    return x <= px <= x + width and y <= py <= y + height
