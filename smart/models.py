from django.db import models
from pgvector.django import HnswIndex, VectorField

from photos.models import Event, Photo

# ViT-B/32 and ViT-B/16 both project to 512 numbers; the column has a literal size so
# that pgvector can index it (ml.loader checks a model against it when loading).
EMBEDDING_DIMENSIONS = 512


class PhotoEmbedding(models.Model):
    """What a photo shows, as a CLIP vector: smart search by words or by example.

    Its own table, not columns on Photo: galleries never read 2 KB vectors, and a
    photo without an embedding (CLIP off, or not computed yet) is simply absent.
    """

    photo = models.OneToOneField(
        Photo, on_delete=models.CASCADE, primary_key=True, related_name="clip"
    )
    # Denormalised like Face.event: every search is scoped to events.
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    model_name = models.CharField(max_length=200)
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        # Made by the photos app before smart search had its own: the table kept its name.
        db_table = "photos_photoembedding"
        indexes = [
            HnswIndex(
                name="photo_clip_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
            models.Index(fields=["event", "model_name"], name="photo_clip_event_model_idx"),
        ]

    def __str__(self) -> str:
        return f"CLIP embedding of photo {self.photo_id} ({self.model_name})"
