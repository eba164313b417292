import numpy as np
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from pgvector.django import HnswIndex, L2Distance, VectorField

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
        except FacePerson.DoesNotExist:
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


class FaceVectorQuerySet(models.QuerySet):
    def searchable(self, embedder: str) -> "FaceVectorQuerySet":
        """Vectors a search may return: this embedder's, of visible faces good enough to
        match. Hiding a face deletes its vectors; the status is checked as well, at no
        cost (the face is joined for its person anyway), so that no other path that
        hides a face can leave it searchable."""
        return self.filter(embedder=embedder, is_matchable=True, face__status=Face.Status.VISIBLE)

    def with_distance(self, embedding) -> "FaceVectorQuerySet":
        return self.annotate(distance=L2Distance("embedding", list(map(float, embedding))))


class FaceVector(models.Model):
    """One face's vector from one embedder: a face keeps one per embedder, side by side,
    so that a model change computes new vectors while the old ones keep serving.

    One table per vector size (FaceVector128, FaceVector512): measured, a single table
    with an index per embedder on ``embedding::vector(n)`` lost its 512-number index to
    a sequential scan under prepared statements, 103 ms against 12.6 ms
    (bench/vector_storage_bench.py, docs/architecture.md). Photo, event and is_matchable are
    copied from the face so that searches and their indexes never join faces.
    """

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    embedder = models.CharField(max_length=80)
    is_matchable = models.BooleanField()

    objects = FaceVectorQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.embedder} vector of face {self.face_id}"


def _vector_indexes(size: int) -> list:
    return [
        # m=24, ef_construction=100: identities are tight clusters of faces, and a
        # sparser graph (m=16, 64) left searches stranded away from them (recall 0.75
        # against 0.97 at ef_search 200 over 1M faces; docs/performance.md).
        HnswIndex(
            name=f"facevector{size}_hnsw",
            fields=["embedding"],
            m=24,
            ef_construction=100,
            opclasses=["vector_l2_ops"],
        ),
        # Exact search inside events (docs/search.md: a filter after an HNSW scan
        # loses rows), and the faces too small to match, for the reuse check.
        models.Index(
            fields=["event", "embedder"],
            name=f"facevector{size}_searchable",
            condition=models.Q(is_matchable=True),
        ),
        models.Index(
            fields=["event", "embedder"],
            name=f"facevector{size}_unmatchable",
            condition=models.Q(is_matchable=False),
        ),
    ]


class FaceVector128(FaceVector):
    face = models.ForeignKey(Face, on_delete=models.CASCADE, related_name="vectors128")
    embedding = VectorField(dimensions=128)

    class Meta:
        indexes = _vector_indexes(128)
        constraints = [
            models.UniqueConstraint(fields=["face", "embedder"], name="facevector128_unique")
        ]


class FaceVector512(FaceVector):
    face = models.ForeignKey(Face, on_delete=models.CASCADE, related_name="vectors512")
    embedding = VectorField(dimensions=512)

    class Meta:
        indexes = _vector_indexes(512)
        constraints = [
            models.UniqueConstraint(fields=["face", "embedder"], name="facevector512_unique")
        ]


VECTOR_MODELS: dict[int, type[FaceVector]] = {128: FaceVector128, 512: FaceVector512}


def vector_model(dimensions: int) -> type[FaceVector]:
    """The table for vectors of ``dimensions`` numbers (ValueError for another size)."""
    if dimensions not in VECTOR_MODELS:
        sizes = ", ".join(map(str, VECTOR_MODELS))
        raise ValueError(f"Face vectors of {dimensions} numbers have no table (only {sizes}).")
    return VECTOR_MODELS[dimensions]


def vector_row(face: Face, embedder: str, vector) -> FaceVector:
    """An unsaved row holding ``face``'s vector from ``embedder``, in the table of its
    size, with the face's photo, event and matchability copied for the indexes."""
    vector = np.asarray(vector, dtype=np.float32)
    return vector_model(len(vector))(
        face=face,
        photo_id=face.photo_id,
        event_id=face.event_id,
        embedder=embedder,
        is_matchable=face.is_matchable,
        embedding=vector,
    )


class EventEmbedder(models.Model):
    """The embedder whose vectors answer an event's searches and group its faces.

    Set when the event's first photo is processed (the configured embedder then), and
    changed only when another embedder's vectors cover the whole event
    (faces.reembedding): a model change never leaves an event answering from vectors
    it does not have.
    """

    event = models.OneToOneField(
        Event, on_delete=models.CASCADE, primary_key=True, related_name="face_embedder"
    )
    embedder = models.CharField(max_length=80)
    since = models.DateTimeField(auto_now=True)
    # During a model change: the embedder being computed for every face of the event.
    # New faces get its vectors too, so that the event can be fully covered.
    switching_to = models.CharField(max_length=80, blank=True, default="")
    # The embedder of the event's last full grouping: after a model change the people
    # are regrouped whole with the new vectors (faces.people).
    grouped_with = models.CharField(max_length=80, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.event_id}: {self.embedder}"


class Person(models.Model):
    """Someone the event's faces were grouped into, with an id that stays.

    New faces join an existing person (faces.people.assign_new_faces); a full
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
        verbose_name_plural = "people"
        indexes = [models.Index(fields=["event", "is_hidden"], name="person_event_hidden_idx")]

    def __str__(self) -> str:
        return self.name or f"Person {self.pk}"

    @property
    def label(self) -> str:
        return self.name or "Unnamed person"


class FacePerson(models.Model):
    """Which person a face belongs to (faces.people).

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

    def covers(self, x: int, y: int, width: int, height: int) -> bool:
        """True when a face box (x, y, width, height) is the face hidden here.

        Detectors draw boxes of different shapes around one face (YuNet's are taller
        than Haar's), so an overlap of 30 % counts, or each box holding the other's
        centre.
        """
        left, top = max(self.x, x), max(self.y, y)
        right = min(self.x + self.width, x + width)
        bottom = min(self.y + self.height, y + height)
        inter = max(0, right - left) * max(0, bottom - top)
        union = self.width * self.height + width * height - inter
        if union and inter / union >= 0.3:
            return True
        return _inside(x + width / 2, y + height / 2, self.x, self.y, self.width, self.height) and (
            _inside(self.x + self.width / 2, self.y + self.height / 2, x, y, width, height)
        )


def _inside(px: float, py: float, x: int, y: int, width: int, height: int) -> bool:
    return x <= px <= x + width and y <= py <= y + height
