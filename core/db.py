"""Riding out a short database outage in background work."""

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import InterfaceError, OperationalError, close_old_connections, connection

logger = logging.getLogger(__name__)

T = TypeVar("T")

DATABASE_ERRORS = (OperationalError, InterfaceError)


def through_database_outage(
    work: Callable[[], T], *, give_up_after: float, sleep: Callable[[float], None] = time.sleep
) -> T:
    """Run ``work``; while it fails because the database is unreachable, drop the broken
    connection and run it again, waiting 1, 2, 4 ... up to 15 seconds between tries.

    ``work`` must be safe to repeat (each photo's processing replaces what it stored in
    one transaction). After ``give_up_after`` seconds the last error is raised: then the
    periodic sweep picks the work up again later.
    """
    deadline = time.monotonic() + give_up_after
    wait, waited = 1.0, 0.0
    while True:
        try:
            return work()
        except DATABASE_ERRORS as error:
            if waited + wait > give_up_after or time.monotonic() + wait > deadline:
                raise
            logger.warning("Database unreachable (%s); trying again in %.0f s", error, wait)
            connection.close()  # a broken connection is never reused
            sleep(wait)
            waited += wait
            close_old_connections()
            wait = min(wait * 2, 15.0)


@contextmanager
def advisory_lock(namespace: int, key: int) -> Iterator[bool]:
    """A PostgreSQL session advisory lock on (namespace, key), if free: yields whether
    it was taken (never waits), and releases it on the way out."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [namespace, key])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [namespace, key])
