"""django-q2 tasks: one call, one log line."""

import logging

from core import ratelimit

logger = logging.getLogger(__name__)


def delete_expired_rate_counters() -> int:
    """Delete rate-limit counters whose window has ended. Returns how many."""
    deleted = ratelimit.delete_expired()
    if deleted:
        logger.info("Deleted %s expired rate-limit counters", deleted)
    return deleted
