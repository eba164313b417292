"""The grouping's person numbers move from faces_face to their own table (FacePerson):
rewriting them on faces_face rewrote every face's entry in the vector index."""

import django.db.models.deletion
from django.db import migrations, models

COPY = """
INSERT INTO faces_faceperson (face_id, event_id, person)
SELECT id, event_id, person FROM faces_face WHERE person IS NOT NULL
"""
COPY_BACK = """
UPDATE faces_face SET person = faces_faceperson.person
FROM faces_faceperson WHERE faces_faceperson.face_id = faces_face.id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("faces", "0007_unmatchable_faces_index"),
        ("photos", "0007_camera_selfie"),
    ]

    operations = [
        migrations.CreateModel(
            name="FacePerson",
            fields=[
                (
                    "face",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="grouping",
                        serialize=False,
                        to="faces.face",
                    ),
                ),
                (
                    "event",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="photos.event",
                    ),
                ),
                ("person", models.PositiveIntegerField()),
            ],
        ),
        migrations.RunSQL(COPY, COPY_BACK),
        migrations.RemoveIndex(model_name="face", name="face_event_person_idx"),
        migrations.RemoveField(model_name="face", name="person"),
        migrations.AddIndex(
            model_name="faceperson",
            index=models.Index(fields=["event", "person"], name="faceperson_event_person_idx"),
        ),
    ]
