"""How long an event's registrations are kept was a column of photos' events
(registration_retention_days): it is registrations' own now. Every event's value is
copied; photos 0016 then drops the column (this runs before it)."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


def copy_days(apps, schema_editor):
    Event = apps.get_model("photos", "Event")
    EventRetention = apps.get_model("registrations", "EventRetention")
    rows = Event.objects.values_list("pk", "registration_retention_days")
    EventRetention.objects.bulk_create(
        EventRetention(event_id=pk, days=days) for pk, days in rows.iterator(chunk_size=2000)
    )


def copy_back(apps, schema_editor):
    Event = apps.get_model("photos", "Event")
    EventRetention = apps.get_model("registrations", "EventRetention")
    for row in EventRetention.objects.iterator(chunk_size=2000):
        Event.objects.filter(pk=row.event_id).update(registration_retention_days=row.days)


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0002_hide_requests_and_pending_changes"),
        ("photos", "0015_processing_state_is_photos"),
    ]
    run_before = [("photos", "0016_faces_and_registrations_columns_leave")]

    operations = [
        migrations.CreateModel(
            name="EventRetention",
            fields=[
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="registration_retention",
                        serialize=False,
                        to="photos.event",
                    ),
                ),
                (
                    "days",
                    models.PositiveSmallIntegerField(
                        default=30,
                        help_text="Attendees who asked to be emailed their photos are deleted this many days after the event ends (or after they registered, for an event without dates).",
                        validators=[django.core.validators.MaxValueValidator(365)],
                        verbose_name="keep registrations for (days)",
                    ),
                ),
            ],
        ),
        migrations.RunPython(copy_days, copy_back),
    ]
