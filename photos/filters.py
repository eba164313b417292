"""The metadata filters every search shares: which events, which album, which dates.

Face search and smart search narrow their own rows (faces, photo vectors) with it: both
carry ``event_id`` and a ``photo``. The forms that fill it are in photos/forms.py.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass(frozen=True)
class SearchFilters:
    event_ids: list[int] | None  # None: every event (staff only)
    album_id: int | None = None
    taken_from: dt.datetime | None = None
    taken_to: dt.datetime | None = None

    def apply(self, rows: QuerySet) -> QuerySet:
        """Narrow rows that carry ``event_id`` and a ``photo`` (faces, photo vectors)."""
        if self.event_ids is not None:
            rows = rows.filter(event_id__in=self.event_ids)
        if self.album_id is not None:
            rows = rows.filter(photo__album_id=self.album_id)
        if self.event_ids is not None and (self.taken_from or self.taken_to):
            # Redundant for the result, but lets the planner use the (event, taken_at)
            # index on photos instead of scanning every photo in the date range.
            rows = rows.filter(photo__event_id__in=self.event_ids)
        if self.taken_from is not None:
            rows = rows.filter(photo__taken_at__gte=self.taken_from)
        if self.taken_to is not None:
            rows = rows.filter(photo__taken_at__lte=self.taken_to)
        return rows
