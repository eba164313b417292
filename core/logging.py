"""Keeping attendee and share links out of logs.

An attendee link (``/e/<token>/``) is a bearer secret: anyone holding it reaches the
event's selfie search; a person's share link (``/p/<token>/``) shows their photos; a
registered attendee's log-in and delete links (``/e/<token>/me/<link>/``,
``/e/<token>/delete/<link>/``) act as that attendee.
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
# A registered attendee's own links, under the event's: /e/<link>/me/<log-in link>/ and
# /e/<link>/delete/<delete link>/ (signed values with ":" in them; the fixed words of
# those paths, "answers", "log-out" and "new-link", are shorter than any of them).
PERSONAL_LINK = re.compile(r"(/e/<link>/(?:me|delete)/)[^/\s\"'?]{16,}")
PERSONAL_REDACTED = r"\1<personal link>"


def redact(text: str) -> str:
    return PERSONAL_LINK.sub(PERSONAL_REDACTED, TOKEN_IN_PATH.sub(REDACTED, text))


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
