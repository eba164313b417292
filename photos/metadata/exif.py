"""The Exif block without the tags that locate or identify a person or a camera."""

import logging

from PIL import Image

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
ORIENTATION = 0x0112
# Removed from IFD0 and the Exif IFD. Artist and Copyright stay: they credit the
# photographer, who chose to put them there.
PRIVATE_TAGS = frozenset(
    {
        GPS_IFD,
        0x010E,  # ImageDescription: free text
        0x013C,  # HostComputer
        0x014A,  # SubIFDs: offsets we would not rewrite
        0x02BC,  # XMLPacket: XMP inside Exif
        0x83BB,  # IPTC-NAA
        0x8649,  # Photoshop image resources (IPTC again)
        0x9286,  # UserComment
        0x927C,  # MakerNote: serial numbers, and more
        0x9C9B,  # XPTitle
        0x9C9C,  # XPComment
        0x9C9D,  # XPAuthor
        0x9C9E,  # XPKeywords
        0x9C9F,  # XPSubject
        0xA420,  # ImageUniqueID
        0xA430,  # CameraOwnerName
        0xA431,  # BodySerialNumber
        0xA435,  # LensSerialNumber
        0xC62F,  # CameraSerialNumber (DNG)
    }
)

logger = logging.getLogger(__name__)


def clean_exif(source: bytes | Image.Exif, *, orientation: int | None = None) -> bytes | None:
    """The Exif block without private tags, starting ``Exif\\0\\0``; None if it cannot
    be read (the caller then drops it whole). ``orientation`` replaces the tag's value.

    The result is read back and checked, so a Pillow change cannot quietly let a
    private tag through.
    """
    try:
        exif = Image.Exif()
        exif.load(source.tobytes() if isinstance(source, Image.Exif) else source)
        # Only load sub-IFDs that exist: Pillow writes back every one it has loaded.
        sub_ifd = exif.get_ifd(EXIF_IFD) if EXIF_IFD in exif else {}
        for tag in PRIVATE_TAGS:
            exif.pop(tag, None)
            sub_ifd.pop(tag, None)
        if orientation is not None and ORIENTATION in exif:
            exif[ORIENTATION] = orientation
        cleaned = exif.tobytes()
        _check_clean(cleaned)
    # Pillow's Exif parser fails in many ways (struct.error, KeyError, TypeError...) on
    # damaged blocks; the answer is the same for all of them.
    except Exception as error:
        logger.warning("Dropped an Exif block we could not rewrite: %r", error)
        return None
    return cleaned


def _check_clean(data: bytes) -> None:
    exif = Image.Exif()
    exif.load(data)
    sub_ifd = exif.get_ifd(EXIF_IFD) if EXIF_IFD in exif else {}
    left = PRIVATE_TAGS & (set(exif) | set(sub_ifd))
    if left:
        raise ValueError(f"private tags still present: {sorted(left)}")
