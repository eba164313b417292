"""Face vectors, one table per vector size, and the embedder each event answers from."""

import numpy as np
from django.db import models
from pgvector.django import HnswIndex, L2Distance, VectorField

from faces.models.faces import Face
from photos.models import Event, Photo


class FaceVectorQuerySet(models.QuerySet):
    def matchable(self, embedder: str) -> "FaceVectorQuerySet":
        """This embedder's vectors of faces good enough to match, from this table alone
        (hidden faces have none left: hiding deletes them)."""
        return self.filter(embedder=embedder, is_matchable=True)

    def searchable(self, embedder: str) -> "FaceVectorQuerySet":
        """Vectors a search may return: this embedder's, of visible faces good enough to
        match. Hiding a face deletes its vectors; the status is checked as well, at no
        cost (the face is joined for its person anyway), so that no other path that
        hides a face can leave it searchable."""
        return self.matchable(embedder).filter(face__status=Face.Status.VISIBLE)

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
    # Whether the vector is the face's embedding averaged with its mirror image's (a
    # small face: faces.analysis.embed_faces), as it was computed: when the size rule
    # changes, faces.vector_refresh finds the vectors to compute again by it.
    # db_default: rows written outside the ORM (bulk COPY in the benches) get False too.
    mirrored = models.BooleanField(default=False, db_default=False)
    # The embedder's way of cutting faces out when the vector was computed
    # (ml.base.Embedder.alignment): an older one is embedded again (faces.vector_refresh).
    alignment = models.PositiveSmallIntegerField(default=1, db_default=1)

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


def vector_row(
    face: Face, embedder: str, vector, *, mirrored: bool = False, alignment: int = 1
) -> FaceVector:
    """An unsaved row holding ``face``'s vector from ``embedder``, in the table of its
    size, with the face's photo, event and matchability copied for the indexes;
    ``mirrored``: the vector is averaged with the face's mirror image's; ``alignment``:
    the embedder's (ml.base.Embedder.alignment)."""
    vector = np.asarray(vector, dtype=np.float32)
    return vector_model(len(vector))(
        face=face,
        photo_id=face.photo_id,
        event_id=face.event_id,
        embedder=embedder,
        is_matchable=face.is_matchable,
        mirrored=mirrored,
        alignment=alignment,
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
    # are regrouped whole with the new vectors (faces.people_upkeep).
    grouped_with = models.CharField(max_length=80, blank=True, default="")
    # How many faces that full grouping had: new faces join people one at a time until
    # the event has grown by a quarter since (faces.people_upkeep.needs_full_regroup).
    grouped_faces = models.PositiveIntegerField(default=0)
    # The rule the event's vectors follow (faces.analysis.current_rule: the embedder,
    # its alignment and the size under which faces are mirrored); "" for events stored
    # before it was recorded. Another rule in force: faces.vector_refresh brings them
    # up to it.
    vectors_rule = models.CharField(max_length=120, blank=True, default="", db_default="")
    # When the pass of faces.vector_refresh working on the event started (None: none).
    refresh_started = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.event_id}: {self.embedder}"
