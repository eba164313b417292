"""The audit trail of searches made by organisers and staff (core.models.SearchRecord)."""

import logging

from core.models import SearchRecord

logger = logging.getLogger(__name__)


def record_search(*, user, kind: str, event_ids: list[int] | None, result_count: int) -> None:
    """Note who searched, when, which events (None: all of them) and how many results."""
    SearchRecord.objects.create(
        user=user,
        username=user.get_username(),
        kind=kind,
        all_events=event_ids is None,
        event_ids=sorted(event_ids or []),
        result_count=result_count,
    )
    scope = "all events" if event_ids is None else f"events {sorted(event_ids)}"
    logger.info("%s search by %s in %s: %s results", kind, user.get_username(), scope, result_count)
