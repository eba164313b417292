"""Declare the periodic jobs of every app (idempotent: run it on every deploy)."""

from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand
from django_q.models import Schedule

from core.schedules import Periodic

TYPES = {"minutes": Schedule.MINUTES, "hourly": Schedule.HOURLY, "daily": Schedule.DAILY}


def periodic_jobs() -> list[Periodic]:
    """``PERIODIC`` of each installed app's tasks module, in app order."""
    jobs = []
    for config in apps.get_app_configs():
        try:
            tasks = import_module(f"{config.name}.tasks")
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.tasks":
                raise
            continue
        jobs += getattr(tasks, "PERIODIC", [])
    return jobs


class Command(BaseCommand):
    help = "Create or update the periodic django-q2 schedules listed by each app."

    def handle(self, *args, **options):
        jobs = periodic_jobs()
        for job in jobs:
            defaults = {"func": job.path, "schedule_type": TYPES[job.every], "repeats": -1}
            if job.minutes:
                defaults["minutes"] = job.minutes
            Schedule.objects.update_or_create(name=job.name, defaults=defaults)
        self.stdout.write(f"{len(jobs)} schedules in place.")
