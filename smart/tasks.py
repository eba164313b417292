"""django-q2 tasks of smart search: ids in, one service call, one log line."""

import logging

from django.conf import settings

from core.schedules import Periodic
from ml.clip import ClipUnavailable
from smart import services

logger = logging.getLogger(__name__)


def embed_pending_photos() -> int:
    """Smart search vectors for newly processed photos (scheduled every minute).

    Returns how many photos were embedded; 0 without a CLIP model (smart search off).
    """
    try:
        report = services.embed_pending_photos(time_budget=settings.PHOTOS_CLIP_TIME_BUDGET)
    except ClipUnavailable:
        return 0
    if report.embedded or report.unreadable:
        logger.info(
            "Smart search: %s photos embedded, %s unreadable, %s still waiting",
            report.embedded,
            report.unreadable,
            report.remaining,
        )
    return report.embedded


PERIODIC = [Periodic("smart search vectors", embed_pending_photos, "minutes", 1)]
