import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from photos.models import Album, Event

# Letters and digits a person can type on a camera's on-screen keyboard without
# mixing them up (no 0/o, 1/l/i).
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
PASSWORD_LENGTH = 16  # ~79 bits


def new_username(event: Event) -> str:
    return f"{slugify(event.name)[:24].strip('-') or 'event'}-{secrets.token_hex(3)}"


class CameraAccount(models.Model):
    """An FTP login for the photographer's camera: it writes photos into one album and
    can do nothing else (no listing, reading, deleting or leaving its folder).

    The password is not stored: it is derived from the site's secret key, the account
    and its ``password_version`` (a keyed hash), so the organiser can read it again on
    the event page while a copy of the database gives nobody a camera login. "New
    password" bumps the version; changing SECRET_KEY changes every camera password.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="camera_accounts")
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="camera_accounts")
    username = models.CharField(max_length=40, unique=True)
    password_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)
    photos_received = models.PositiveIntegerField(default=0)
    last_photo_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("camera account")
        verbose_name_plural = _("camera accounts")

    def __str__(self):
        return self.username

    @property
    def password(self) -> str:
        message = f"camera-account:{self.pk}:{self.username}:{self.password_version}"
        digest = hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256)
        number = int.from_bytes(digest.digest(), "big")
        letters = []
        for _position in range(PASSWORD_LENGTH):
            number, index = divmod(number, len(PASSWORD_ALPHABET))
            letters.append(PASSWORD_ALPHABET[index])
        return "".join(letters)

    def check_password(self, password: str) -> bool:
        return hmac.compare_digest(self.password.encode(), password.encode())


class LiveWall(models.Model):
    """The live wall of an event: a slideshow of its newest photos for a screen at the
    venue, at /w/<token>/ while the organiser keeps it started."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="live_wall")
    token = models.CharField(max_length=64, unique=True)
    started_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("live wall")
        verbose_name_plural = _("live walls")

    def __str__(self):
        return f"Live wall of event {self.event_id}"
