"""Keeping attendee links out of logs.

An attendee link (``/e/<token>/``) is a bearer secret: anyone holding it reaches the
event's selfie search. Access logs, error logs and referrers must not keep it, so
every log line passes through :func:`redact` (Django's logging via
:class:`RedactTokensFilter`, gunicorn's access log via ``config/gunicorn.py``).
"""

import logging
import re

# Tokens are 43 URL-safe characters (secrets.token_urlsafe(32)); anything of 20 or
# more after /e/ is treated as one, so near-misses and old links are hidden too.
TOKEN_IN_PATH = re.compile(r"/e/[A-Za-z0-9_-]{20,}")
REDACTED = "/e/<link>"


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
