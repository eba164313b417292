"""Environment for app processes (qcluster, manage.py) that tests start themselves."""

import os

from django.conf import settings
from django.db import connection


def worker_environment(media_root, **overrides: str) -> dict[str, str]:
    """The real settings, pointed at this test's database and media folder."""
    params = connection.get_connection_params()
    user, name, host = params.get("user", "postgres"), params["dbname"], params["host"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql://{user}:@/{name}?host={host}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": settings.SECRET_KEY,  # tasks are signed with it
        "MEDIA_ROOT": str(media_root),
        "Q_WORKERS": "1",
        **overrides,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    return env
