"""When and by whom a photo was taken, from its EXIF data. Pure functions, no ORM."""

import datetime as dt

from PIL import Image

EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 0x9003
OFFSET_TIME_ORIGINAL = 0x9011
DATETIME = 0x0132
ARTIST = 0x013B
PHOTOGRAPHER_MAX_LENGTH = 200


def taken_at(exif: Image.Exif, default_tz: dt.tzinfo) -> dt.datetime | None:
    """``DateTimeOriginal`` (with its offset when recorded), else ``DateTime``.

    Cameras without an offset record local time: it is read in ``default_tz`` (the
    site's time zone). Garbage values give None rather than an error.
    """
    sub_ifd = exif.get_ifd(EXIF_IFD)
    raw = sub_ifd.get(DATETIME_ORIGINAL) or exif.get(DATETIME)
    moment = _parse_exif_datetime(raw)
    if moment is None:
        return None
    offset = _parse_offset(sub_ifd.get(OFFSET_TIME_ORIGINAL))
    return moment.replace(tzinfo=offset or default_tz)


def _parse_exif_datetime(raw) -> dt.datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        moment = dt.datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    return moment if 1900 < moment.year < 2200 else None


def _parse_offset(raw) -> dt.timezone | None:
    if not isinstance(raw, str) or len(raw.strip()) < 6:
        return None
    text = raw.strip()
    try:
        sign = -1 if text[0] == "-" else 1
        hours, minutes = int(text[1:3]), int(text[4:6])
    except ValueError:
        return None
    if hours > 14 or minutes > 59:
        return None
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def photographer(exif: Image.Exif) -> str:
    """The ``Artist`` the camera or the photographer's software recorded, cleaned up
    ("" when none): shown with the photo, as photo apps credit their photographers."""
    raw = exif.get(ARTIST)
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if not isinstance(raw, str):
        return ""
    # Some cameras pad with NULs; a few store "Artist; Copyright" in one string.
    text = " ".join(raw.replace("\x00", " ").split())
    return text[:PHOTOGRAPHER_MAX_LENGTH]
