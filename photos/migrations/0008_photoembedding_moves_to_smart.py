"""PhotoEmbedding now belongs to the smart app (smart 0001); the table stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("photos", "0007_camera_selfie"),
        ("smart", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="PhotoEmbedding")],
            database_operations=[],
        ),
    ]
