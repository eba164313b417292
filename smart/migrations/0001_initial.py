"""PhotoEmbedding moves from photos to smart: the table (photos_photoembedding, made by
photos' 0004) stays as it is; only Django's record of which app owns it changes."""

import django.db.models.deletion
import pgvector.django.indexes
import pgvector.django.vector
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("photos", "0007_camera_selfie"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PhotoEmbedding",
                    fields=[
                        (
                            "photo",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="clip",
                                serialize=False,
                                to="photos.photo",
                            ),
                        ),
                        ("model_name", models.CharField(max_length=200)),
                        ("embedding", pgvector.django.vector.VectorField(dimensions=512)),
                        ("created_at", models.DateTimeField(auto_now=True)),
                        (
                            "event",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="photos.event",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "photos_photoembedding",
                        "indexes": [
                            pgvector.django.indexes.HnswIndex(
                                ef_construction=64,
                                fields=["embedding"],
                                m=16,
                                name="photo_clip_hnsw",
                                opclasses=["vector_cosine_ops"],
                            ),
                            models.Index(
                                fields=["event", "model_name"], name="photo_clip_event_model_idx"
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
