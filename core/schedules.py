"""Periodic jobs: each app lists its own in ``<app>/tasks.py`` as ``PERIODIC``, next to
the functions they run; ``manage.py setup_schedules`` writes them all to django-q2."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    name: str
    func: Callable
    every: str  # "minutes", "hourly" or "daily"
    minutes: int | None = None  # with every="minutes"

    @property
    def path(self) -> str:
        """The dotted path django-q2 stores (the function itself is named in code)."""
        return f"{self.func.__module__}.{self.func.__qualname__}"
