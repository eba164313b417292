"""People with stable ids (faces.Person), and faces placed in them (FacePerson.person).

The old grouping was person numbers renumbered at every regrouping, with no decision of
anyone's attached: it is dropped, and every event with faces is marked for regrouping,
which the grouping job redoes into Person rows within a minute.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def drop_old_grouping(apps, schema_editor):
    apps.get_model("faces", "FacePerson").objects.all().delete()
    Event = apps.get_model("photos", "Event")
    Event.objects.update(faces_version=F("faces_version") + 1)


class Migration(migrations.Migration):
    dependencies = [
        ("faces", "0011_vectors_per_embedder"),
        ("photos", "0008_photoembedding_moves_to_smart"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_old_grouping, migrations.RunPython.noop),
        migrations.CreateModel(
            name="Person",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(blank=True, max_length=120)),
                ("is_hidden", models.BooleanField(default=False)),
                ("hidden_at", models.DateTimeField(blank=True, null=True)),
                ("seed", models.JSONField(blank=True, default=dict)),
                (
                    "share_token",
                    models.CharField(blank=True, max_length=64, null=True, unique=True),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "event",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="people",
                        to="photos.event",
                    ),
                ),
                (
                    "hidden_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"verbose_name_plural": "people"},
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["event", "is_hidden"], name="person_event_hidden_idx"),
        ),
        migrations.RemoveIndex(model_name="faceperson", name="faceperson_event_person_idx"),
        migrations.RemoveField(model_name="faceperson", name="person"),
        migrations.AddField(
            model_name="faceperson",
            name="person",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="memberships",
                to="faces.person",
                default=None,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="faceperson",
            name="locked",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="eventembedder",
            name="grouped_with",
            field=models.CharField(blank=True, default="", max_length=80),
        ),
        migrations.AddField(
            model_name="eventembedder",
            name="grouped_faces",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name="faceperson",
            index=models.Index(fields=["event", "person"], name="faceperson_event_person_idx"),
        ),
    ]
