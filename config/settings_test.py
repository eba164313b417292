"""Test settings: the real settings with a few test-only overrides."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")

from config.settings import *  # noqa: E402,F403
from config.settings import Q_CLUSTER  # noqa: E402

Q_CLUSTER = {**Q_CLUSTER, "sync": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {  # noqa: F405
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DEBUG = False
WHITENOISE_AUTOREFRESH = True  # no collectstatic in tests

# Several test runs at once on one machine (one per working copy or helper) each get
# their own test database: TEST_DB_SUFFIX=a gives test_<name>_a.
if os.environ.get("TEST_DB_SUFFIX"):
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": f"test_{DATABASES['default']['NAME']}_{os.environ['TEST_DB_SUFFIX']}"  # noqa: F405
    }
