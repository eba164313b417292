"""Secret links the organiser stopped (a replaced attendee link, a person's share link
taken back, a deleted event's link), so that their page says so instead of "mistyped".

Only a keyed hash of each link's token is kept: the table reveals no working link and
no old one. A row is tiny and outlives the event on purpose: a guest may open an old
link months later.
"""

from core.models import RevokedLink
from core.ratelimit import private_key


def _digest(token: str) -> str:
    return private_key("revoked-link:" + token)


def revoke(token: str | None) -> None:
    """Remember that ``token`` was stopped by its organiser (nothing for no token)."""
    if token:
        RevokedLink.objects.get_or_create(digest=_digest(token))


def was_revoked(token: str) -> bool:
    return bool(token) and RevokedLink.objects.filter(digest=_digest(token)).exists()
