"""Camera accounts and the photos they send: what the FTP receiver, the hot folder and
the organiser's pages call. A received file becomes a photo exactly as an upload does
(photos.services.add_file: duplicates, limits, processing)."""

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from live.models import CameraAccount, new_username
from photos import services as photo_services
from photos.models import Album, Event, Photo
from photos.services import UploadResult

logger = logging.getLogger(__name__)

# A JPEG ends with its End Of Image marker, a PNG with its IEND chunk: a file cut short
# (a camera switched off, a dropped link) lacks them even when the connection closed
# as if the transfer had ended.
JPEG_END = b"\xff\xd9"
PNG_END = b"IEND\xaeB`\x82"
TAIL_BYTES = 4096  # some cameras pad with zeros after the end marker


def create_account(*, album: Album) -> CameraAccount:
    return CameraAccount.objects.create(
        event=album.event, album=album, username=new_username(album.event)
    )


def new_password(*, account: CameraAccount) -> CameraAccount:
    """The old password stops working at once (a camera logged in keeps its session
    until it disconnects)."""
    CameraAccount.objects.filter(pk=account.pk).update(password_version=F("password_version") + 1)
    account.refresh_from_db()
    return account


def account_for_login(username: str, password: str) -> CameraAccount | None:
    account = CameraAccount.objects.filter(username=username).select_related("album").first()
    if account is None or not account.check_password(password):
        return None
    CameraAccount.objects.filter(pk=account.pk).update(last_login_at=timezone.now())
    return account


def arrived_whole(path: Path) -> bool:
    """False for a JPEG or PNG cut short; other files are judged by their decoding."""
    with path.open("rb") as fp:
        head = fp.read(8)
        size = fp.seek(0, 2)
        fp.seek(max(0, size - TAIL_BYTES))
        tail = fp.read()
    if head.startswith(b"\xff\xd8"):
        return tail.rstrip(b"\x00").endswith(JPEG_END)
    if head.startswith(b"\x89PNG"):
        return tail.endswith(PNG_END)
    return True


def receive_file(*, account: CameraAccount, path: Path, name: str) -> UploadResult:
    """A file a camera finished sending: its photo (or why not). The file itself is the
    caller's to delete."""
    if not arrived_whole(path):
        return UploadResult(name, "rejected", gettext("The file arrived incomplete."))
    album = Album.objects.get(pk=account.album_id)
    with path.open("rb") as fp:
        results = photo_services.add_file(album=album, fp=fp, name=name)
    result = results[0]
    if result.status == "added":
        CameraAccount.objects.filter(pk=account.pk).update(
            photos_received=F("photos_received") + 1, last_photo_at=timezone.now()
        )
    logger.info("Camera %s sent %s: %s %s", account.username, name, result.status, result.reason)
    return result


# --- what the organiser sees while photos arrive ---------------------------------------

RATE_WINDOW = dt.timedelta(minutes=10)
BEHIND_AFTER = dt.timedelta(minutes=2)  # a photo waiting longer: processing is behind


@dataclass(frozen=True)
class LiveStatus:
    received: int
    processed: int
    waiting: int
    failed: int
    received_per_minute: float  # over the last RATE_WINDOW
    processed_per_minute: float
    last_photo_at: dt.datetime | None
    oldest_waiting_since: dt.datetime | None

    @property
    def is_behind(self) -> bool:
        """A photo has waited more than BEHIND_AFTER: guests wait for their photos."""
        return bool(
            self.oldest_waiting_since and timezone.now() - self.oldest_waiting_since > BEHIND_AFTER
        )

    @property
    def minutes_to_catch_up(self) -> float | None:
        net = self.processed_per_minute - self.received_per_minute
        if not self.waiting or self.processed_per_minute <= 0:
            return None
        return self.waiting / self.processed_per_minute if net >= 0 else None

    def as_json(self) -> dict:
        return {
            "received": self.received,
            "processed": self.processed,
            "waiting": self.waiting,
            "failed": self.failed,
            "received_per_minute": round(self.received_per_minute, 1),
            "processed_per_minute": round(self.processed_per_minute, 1),
            "last_photo_at": self.last_photo_at.isoformat() if self.last_photo_at else None,
            "is_behind": self.is_behind,
            "minutes_to_catch_up": self.minutes_to_catch_up,
        }


def live_status(event: Event) -> LiveStatus:
    photos = Photo.objects.filter(event=event)
    counts = photos.status_counts()
    since = timezone.now() - RATE_WINDOW
    minutes = RATE_WINDOW.total_seconds() / 60
    waiting = photos.filter(processing_status__in=[Photo.Status.PENDING, Photo.Status.PROCESSING])
    return LiveStatus(
        received=sum(counts.values()),
        processed=counts[Photo.Status.DONE],
        waiting=counts[Photo.Status.PENDING] + counts[Photo.Status.PROCESSING],
        failed=counts[Photo.Status.FAILED],
        received_per_minute=photos.filter(uploaded_at__gte=since).count() / minutes,
        processed_per_minute=photos.filter(processed_at__gte=since).count() / minutes,
        last_photo_at=photos.order_by("-uploaded_at").values_list("uploaded_at", flat=True).first(),
        oldest_waiting_since=waiting.order_by("uploaded_at")
        .values_list("uploaded_at", flat=True)
        .first(),
    )
