"""Keeping attendee and share links out of logs.

An attendee link (``/e/<token>/``) is a bearer secret: anyone holding it reaches the
event's selfie search; a person's share link (``/p/<token>/``) shows their photos.
Access logs, error logs and referrers must not keep them, so every log line passes
through :func:`redact` (Django's logging via :class:`RedactTokensFilter`, gunicorn's
access log via ``config/gunicorn.py``).
"""

import logging
import re

# Tokens are 43 URL-safe characters (secrets.token_urlsafe(32)); anything of 20 or
# more after /e/ or /p/ is treated as one, so near-misses and old links are hidden too.
TOKEN_IN_PATH = re.compile(r"/([ep])/[A-Za-z0-9_-]{20,}")
REDACTED = r"/\1/<link>"


def redact(text: str) -> str:
    return TOKEN_IN_PATH.sub(REDACTED, text)


class RedactTokensFilter(logging.Filter):
    """Rewrites a record's message so that it names no attendee link."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
