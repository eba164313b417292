"""Whether an event's people are up to date was two columns of photos' events
(faces_version, faces_grouped_version): it is faces' own now. Every value is copied;
photos 0016 then drops the columns (this runs before it)."""

import django.db.models.deletion
from django.db import migrations, models


def copy_versions(apps, schema_editor):
    Event = apps.get_model("photos", "Event")
    EventGrouping = apps.get_model("faces", "EventGrouping")
    rows = Event.objects.values_list("pk", "faces_version", "faces_grouped_version")
    EventGrouping.objects.bulk_create(
        EventGrouping(event_id=pk, version=version, grouped_version=grouped)
        for pk, version, grouped in rows.iterator(chunk_size=2000)
    )


def copy_back(apps, schema_editor):
    Event = apps.get_model("photos", "Event")
    EventGrouping = apps.get_model("faces", "EventGrouping")
    for row in EventGrouping.objects.iterator(chunk_size=2000):
        Event.objects.filter(pk=row.event_id).update(
            faces_version=row.version, faces_grouped_version=row.grouped_version
        )


class Migration(migrations.Migration):
    dependencies = [
        ("faces", "0012_people"),
        ("photos", "0015_processing_state_is_photos"),
    ]
    run_before = [("photos", "0016_faces_and_registrations_columns_leave")]

    operations = [
        migrations.CreateModel(
            name="EventGrouping",
            fields=[
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="face_grouping",
                        serialize=False,
                        to="photos.event",
                    ),
                ),
                ("version", models.PositiveIntegerField(default=0)),
                ("grouped_version", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(copy_versions, copy_back),
    ]
