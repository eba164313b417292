"""Declare the periodic jobs (idempotent: run it on every deploy)."""

from django.core.management.base import BaseCommand
from django_q.models import Schedule

SCHEDULES = [
    ("requeue stale photos", "faces.tasks.requeue_stale_photos", Schedule.MINUTES, 5),
    ("group faces into people", "faces.tasks.group_changed_events", Schedule.MINUTES, 1),
    ("smart search vectors", "photos.tasks.embed_pending_photos", Schedule.MINUTES, 1),
    ("clear expired sessions", "django.core.management.call_command", Schedule.DAILY, None),
    ("delete queued files", "photos.tasks.delete_queued_files", Schedule.MINUTES, 10),
    ("sweep storage for orphan files", "photos.tasks.sweep_storage", Schedule.DAILY, None),
    (
        "delete expired rate counters",
        "core.tasks.delete_expired_rate_counters",
        Schedule.HOURLY,
        None,
    ),
]


class Command(BaseCommand):
    help = "Create or update the periodic django-q2 schedules."

    def handle(self, *args, **options):
        for name, func, schedule_type, minutes in SCHEDULES:
            defaults = {"func": func, "schedule_type": schedule_type, "repeats": -1}
            if minutes:
                defaults["minutes"] = minutes
            if func.endswith("call_command"):
                defaults["args"] = "'clearsessions'"
            Schedule.objects.update_or_create(name=name, defaults=defaults)
        self.stdout.write(f"{len(SCHEDULES)} schedules in place.")
