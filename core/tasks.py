"""django-q2 tasks of the core app: one call, one log line."""

import logging

from django.core.management import call_command

from core import ratelimit
from core.schedules import Periodic

logger = logging.getLogger(__name__)


def delete_expired_rate_counters() -> int:
    """Delete rate-limit counters whose window has ended. Returns how many."""
    deleted = ratelimit.delete_expired()
    if deleted:
        logger.info("Deleted %s expired rate-limit counters", deleted)
    return deleted


def clear_expired_sessions() -> None:
    """Django's own clean-up of expired sessions (attendee results live in them)."""
    call_command("clearsessions")


PERIODIC = [
    Periodic("delete expired rate counters", delete_expired_rate_counters, "hourly"),
    Periodic("clear expired sessions", clear_expired_sessions, "daily"),
]
