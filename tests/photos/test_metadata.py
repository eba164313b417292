"""What attendees download carries no GPS position, serial number or owner name."""

import io
import logging
import struct
import zipfile
import zlib

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image, ImageCms, PngImagePlugin

from faces.processing import process_photo
from photos.images import open_image
from photos.metadata import MetadataError, without_private_metadata
from photos.models import Photo
from photos.services import add_photo, get_or_create_album, make_renditions
from tests.sample_images import sample_images

# Every private value below holds one of these words, so its bytes can be searched for.
SECRETS = [
    b"SECRET-DATUM",  # inside the GPS block
    b"BODY-SERIAL",
    b"LENS-SERIAL",
    b"OWNER-NAME",
    b"UNIQUE-ID",
    b"MAKERNOTE-SERIAL",
    b"XMP-SECRET",
    b"SECRET-COMMENT",
    b"IPTC-SECRET",
    b"TRAILER-SECRET",
    b"TEXT-SECRET",
]
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description>'
    b"<exif:GPSLatitude>XMP-SECRET 52,22.5N</exif:GPSLatitude>"
    b"</rdf:Description></rdf:RDF></x:xmpmeta>"
)
ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
MAX_PIXELS = 100_000_000


def private_exif() -> Image.Exif:
    """Orientation 6 (stored sideways), camera, date, exposure, and everything private."""
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Canon"
    exif[0x0110] = "EOS R5"
    exif[0x0132] = "2026:06:20 15:00:00"
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 30.0), 3: "E", 4: (4.0, 53.0, 0.0), 18: "SECRET-DATUM"}
    sub_ifd = exif.get_ifd(0x8769)
    sub_ifd[0x9003] = "2026:06:20 15:00:00"
    sub_ifd[0x829A] = 1 / 125  # exposure time
    sub_ifd[0x829D] = 2.8  # f-number
    sub_ifd[0xA431] = "BODY-SERIAL-0123456"
    sub_ifd[0xA435] = "LENS-SERIAL-0654321"
    sub_ifd[0xA430] = "OWNER-NAME Jane Doe"
    sub_ifd[0xA420] = "UNIQUE-ID-0f0f0f0f"
    sub_ifd[0x927C] = b"MAKERNOTE-SERIAL-999 and a vendor's private data"
    return exif


def stored_image() -> Image.Image:
    """Obama's portrait turned on its side, as a camera held upright stores it (tag 6)."""
    upright = Image.open(sample_images()["obama.jpg"]).convert("RGB")
    return upright.transpose(Image.Transpose.ROTATE_90)


def segment(code: int, payload: bytes) -> bytes:
    return bytes((0xFF, code)) + struct.pack(">H", len(payload) + 2) + payload


IPTC = segment(
    0xED,  # APP13: Photoshop resources with an IPTC city
    b"Photoshop 3.0\0"
    + b"8BIM\x04\x04\0\0"
    + struct.pack(">I", 21)
    # dataset 2:90 (City)
    + b"\x1c\x02\x5a"
    + struct.pack(">H", 16)
    + b"IPTC-SECRET-CITY"
    + b"\0",
)
TRAILER = b"TRAILER-SECRET: a motion photo's video would sit here, with its own GPS"


def jpeg_with_secrets(**options) -> bytes:
    data = io.BytesIO()
    stored_image().save(
        data,
        "JPEG",
        quality=90,
        exif=private_exif(),
        icc_profile=ICC,
        comment=b"SECRET-COMMENT",
        xmp=XMP,
        **options,
    )
    raw = data.getvalue()
    return raw[:2] + IPTC + raw[2:] + TRAILER


def png_with_secrets() -> bytes:
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "TEXT-SECRET")
    text.add_text("Location", "TEXT-SECRET compressed", zip=True)
    text.add_itxt("XML:com.adobe.xmp", XMP.decode())
    data = io.BytesIO()
    stored_image().save(data, "PNG", exif=private_exif(), icc_profile=ICC, pnginfo=text)
    raw = data.getvalue()
    time_chunk = png_chunk(b"tIME", struct.pack(">HBBBBB", 2026, 6, 20, 15, 0, 0))
    iend = raw.rindex(b"IEND") - 4
    return raw[:iend] + time_chunk + raw[iend:] + TRAILER


def webp_with_secrets(**options) -> bytes:
    data = io.BytesIO()
    stored_image().save(data, "WEBP", exif=private_exif(), icc_profile=ICC, xmp=XMP, **options)
    return data.getvalue()


def heic_with_secrets() -> bytes:
    # HEIF turns pictures with its own transform, not the Exif tag (pillow_heif reads
    # the tag as 1), so an upright picture is stored upright.
    upright = stored_image().transpose(Image.Transpose.ROTATE_270)
    data = io.BytesIO()
    upright.save(data, "HEIF", quality=90, exif=private_exif(), xmp=XMP)
    return data.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I4s", len(data), kind) + data + struct.pack(">I", zlib.crc32(kind + data))


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, whole chunk) for every chunk up to IEND."""
    chunks, offset = [], 8
    while True:
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        chunks.append((kind, data[offset : offset + 12 + length]))
        if kind == b"IEND":
            return chunks
        offset += 12 + length


def jpeg_header_markers(data: bytes) -> list[int]:
    """The marker codes of a JPEG's segments up to its first scan."""
    markers, offset = [], 2
    while True:
        code = data[offset + 1]
        markers.append(code)
        if code == 0xDA:
            return markers
        offset += 2 + struct.unpack(">H", data[offset + 2 : offset + 4])[0]


def cleaned(raw: bytes):
    copy = without_private_metadata(io.BytesIO(raw), max_pixels=MAX_PIXELS)
    return copy, b"".join(copy.chunks)


def assert_nothing_private(data: bytes) -> None:
    assert [secret for secret in SECRETS if secret in data] == []
    exif = Image.open(io.BytesIO(data)).getexif()
    assert 0x8825 not in exif
    private = {0xA431, 0xA435, 0xA430, 0xA420, 0x927C}
    assert private & set(exif.get_ifd(0x8769)) == set()


def assert_description_kept(data: bytes, *, orientation: int = 6) -> None:
    exif = Image.open(io.BytesIO(data)).getexif()
    assert exif[0x0112] == orientation
    assert (exif[0x010F], exif[0x0110]) == ("Canon", "EOS R5")
    sub_ifd = exif.get_ifd(0x8769)
    assert sub_ifd[0x9003] == "2026:06:20 15:00:00"
    assert sub_ifd[0x829A] == pytest.approx(1 / 125)
    assert sub_ifd[0x829D] == pytest.approx(2.8)


def pixels(data: bytes) -> bytes:
    return Image.open(io.BytesIO(data)).tobytes()


# --- the rewriting itself ---------------------------------------------------------------


def test_the_test_photos_really_carry_the_secrets():
    for raw in (jpeg_with_secrets(), png_with_secrets(), webp_with_secrets()):
        exif = Image.open(io.BytesIO(raw)).getexif()
        assert exif.get_ifd(0x8825)[18] == "SECRET-DATUM"
        assert exif.get_ifd(0x8769)[0xA431] == "BODY-SERIAL-0123456"
    jpeg = jpeg_with_secrets()
    assert all(secret in jpeg for secret in SECRETS if secret != b"TEXT-SECRET")


@pytest.mark.parametrize(
    "options",
    [{}, {"progressive": True}, {"restart_marker_blocks": 3}],
    ids=["baseline", "progressive", "restart-markers"],
)
def test_a_jpeg_loses_private_metadata_and_keeps_its_pixels(options):
    raw = jpeg_with_secrets(**options)
    copy, data = cleaned(raw)
    assert (copy.format, copy.content_type, copy.is_reencoded) == ("JPEG", "image/jpeg", False)
    assert_nothing_private(data)
    assert_description_kept(data)
    assert pixels(data) == pixels(raw)
    assert Image.open(io.BytesIO(data)).info["icc_profile"] == ICC
    # Only JFIF, the rewritten Exif and the ICC profile remain before the tables.
    app_markers = [code for code in jpeg_header_markers(data) if 0xE0 <= code <= 0xFE]
    assert app_markers == [0xE0, 0xE1, 0xE2]
    assert data.endswith(b"\xff\xd9")


def test_a_jpegs_image_data_is_copied_byte_for_byte():
    raw = jpeg_with_secrets()
    _, data = cleaned(raw)
    scan = raw.index(b"\xff\xda", raw.index(b"\xff\xdb"))
    image_data = raw[scan : raw.index(TRAILER)]
    assert data.endswith(image_data)


def test_a_comment_between_progressive_scans_is_dropped_too():
    raw = jpeg_with_secrets(progressive=True)
    first_scan = raw.index(b"\xff\xda", raw.index(b"\xff\xdb"))
    second_scan = raw.index(b"\xff\xda", first_scan + 2)
    comment = segment(0xFE, b"SECRET-COMMENT between scans")
    raw = raw[:second_scan] + comment + raw[second_scan:]
    _, data = cleaned(raw)
    assert b"between scans" not in data
    assert pixels(data) == pixels(raw)


def test_a_png_loses_text_time_and_private_exif_and_keeps_its_pixels():
    raw = png_with_secrets()
    copy, data = cleaned(raw)
    assert (copy.format, copy.content_type, copy.is_reencoded) == ("PNG", "image/png", False)
    assert_nothing_private(data)
    assert_description_kept(data)
    assert pixels(data) == pixels(raw)
    kinds = [kind for kind, _ in png_chunks(data)]
    assert set(kinds) == {b"IHDR", b"iCCP", b"eXIf", b"IDAT", b"IEND"}
    assert {b"tEXt", b"zTXt", b"iTXt", b"tIME"} <= {kind for kind, _ in png_chunks(raw)}
    # Kept chunks are the original bytes, CRCs included; the file ends at IEND.
    kept = [chunk for kind, chunk in png_chunks(raw) if kind in set(kinds) - {b"eXIf"}]
    assert [chunk for kind, chunk in png_chunks(data) if kind != b"eXIf"] == kept
    assert data.endswith(png_chunks(raw)[-1][1])
    Image.open(io.BytesIO(data)).verify()  # checks every CRC


def test_a_webp_loses_xmp_and_private_exif_and_keeps_its_pixels():
    raw = webp_with_secrets(lossless=True)
    copy, data = cleaned(raw)
    assert (copy.format, copy.content_type, copy.is_reencoded) == ("WEBP", "image/webp", False)
    assert_nothing_private(data)
    assert_description_kept(data)
    assert pixels(data) == pixels(raw)
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8
    assert data[12:16] == b"VP8X"
    flags = data[20]
    assert (raw[20] & 0x04, flags & 0x04) == (0x04, 0)  # XMP flag cleared
    assert flags & 0x08 == 0x08 and flags & 0x20 == 0x20  # Exif and ICC still there
    assert b"XMP " not in data


def test_a_lossy_webp_is_rewritten_without_reencoding():
    raw = webp_with_secrets(quality=80)
    _, data = cleaned(raw)
    assert_nothing_private(data)
    image_chunk = raw.index(b"VP8 ")
    size = struct.unpack("<I", raw[image_chunk + 4 : image_chunk + 8])[0]
    assert raw[image_chunk : image_chunk + 8 + size] in data


def test_a_heic_becomes_a_full_size_jpeg_without_private_metadata():
    raw = heic_with_secrets()
    assert b"BODY-SERIAL" in raw and b"XMP-SECRET" in raw
    copy, data = cleaned(raw)
    assert (copy.format, copy.content_type, copy.is_reencoded) == ("JPEG", "image/jpeg", True)
    assert copy.filename_for("IMG_0001.HEIC") == "IMG_0001.jpg"
    assert copy.filename_for("phone") == "phone.jpg"
    assert_nothing_private(data)
    # The HEIF decoder hands over the picture as shown, so the copy says "upright".
    assert_description_kept(data, orientation=1)
    heic, jpeg = Image.open(io.BytesIO(raw)), Image.open(io.BytesIO(data))
    assert jpeg.size == heic.size
    difference = np.asarray(heic.convert("RGB"), np.int16) - np.asarray(jpeg, np.int16)
    assert np.abs(difference).mean() < 3


def test_a_jpeg_whose_structure_we_cannot_follow_is_reencoded_and_logged(caplog):
    raw = jpeg_with_secrets()
    # Stray bytes between two header segments: decoders skip them, our walker stops.
    after_iptc = 2 + len(IPTC)
    raw = raw[:after_iptc] + b"\x00\x00garbage" + raw[after_iptc:]
    assert Image.open(io.BytesIO(raw)).size == stored_image().size  # still decodable
    with caplog.at_level(logging.WARNING, logger="photos.metadata"):
        copy, data = cleaned(raw)
    assert copy.is_reencoded is True
    assert "Re-encoding a JPEG" in caplog.text
    assert_nothing_private(data)
    # Re-encoding applied the orientation: the copy is upright and says so.
    assert_description_kept(data, orientation=1)
    assert Image.open(io.BytesIO(data)).size == stored_image().size[::-1]


def test_an_exif_block_we_cannot_read_is_dropped_whole(caplog):
    data = io.BytesIO()
    stored_image().save(data, "JPEG", quality=90)
    raw = data.getvalue()
    raw = raw[:2] + segment(0xE1, b"Exif\0\0not TIFF: BODY-SERIAL junk") + raw[2:]
    with caplog.at_level(logging.WARNING, logger="photos.metadata"):
        copy, data = cleaned(raw)
    assert copy.is_reencoded is False
    assert "Dropped an Exif block" in caplog.text
    assert b"BODY-SERIAL" not in data and 0xE1 not in jpeg_header_markers(data)
    assert pixels(data) == pixels(raw)


def test_a_truncated_jpeg_is_cut_short_rather_than_failing(caplog):
    raw = jpeg_with_secrets()
    cut = raw[: raw.index(TRAILER) - 5000]
    with caplog.at_level(logging.WARNING, logger="photos.metadata"):
        copy, data = cleaned(cut)
    assert copy.is_reencoded is False
    assert "ended before end-of-image" in caplog.text
    assert [secret for secret in SECRETS if secret in data] == []
    assert data.endswith(cut[-4000:])


@pytest.mark.parametrize(
    "raw",
    [
        b"not a photo at all",
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", b"\0" * 13)[:10],
        b"\xff\xd8\xff\xe0\x00\x10JFIF",
    ],
    ids=["garbage", "truncated-png", "truncated-jpeg-header"],
)
def test_a_file_we_can_neither_rewrite_nor_decode_is_refused(raw):
    with pytest.raises(MetadataError, match="could not be decoded"):
        without_private_metadata(io.BytesIO(raw), max_pixels=MAX_PIXELS)


def test_thumbnails_and_previews_carry_no_metadata(album):
    raw = jpeg_with_secrets()
    photo = add_photo(album=album, fp=io.BytesIO(raw), original_filename="a.jpg", queue=False).photo
    with photo.file.open("rb") as fp:
        make_renditions(photo=photo, loaded=open_image(fp, max_pixels=MAX_PIXELS))
    photo.refresh_from_db()
    for field in (photo.thumbnail, photo.preview):
        with field.open("rb") as fp:
            data = fp.read()
        assert [secret for secret in SECRETS if secret in data] == []
        image = Image.open(io.BytesIO(data))
        assert len(image.getexif()) == 0
        assert {"exif", "xmp", "comment", "photoshop"} & set(image.info) == set()
        assert image.height > image.width  # turned upright, since the Exif is gone


# --- through the attendee's pages --------------------------------------------------------


@pytest.fixture
def secret_photos(event):
    """One face, stored as JPEG, PNG, WebP and HEIC, each full of private metadata."""
    album = get_or_create_album(event=event, title="Ceremony")
    uploads = {
        "ceremony.jpg": jpeg_with_secrets(),
        "portrait.png": png_with_secrets(),
        "party.webp": webp_with_secrets(quality=90),
        "phone.HEIC": heic_with_secrets(),
    }
    photos = {}
    for name, raw in uploads.items():
        photo = add_photo(album=album, fp=io.BytesIO(raw), original_filename=name, queue=False)
        photos[name] = process_photo(photo_id=photo.photo.pk)
        assert photos[name].faces.count() == 1
    return photos, uploads


def attendee_client(event, images) -> Client:
    client = Client()
    client.get(reverse("attendees:attendee", args=[event.attendee_token]))
    with images["obama2.jpg"].open("rb") as selfie:
        response = client.post(
            reverse("attendees:search", args=[event.attendee_token]),
            {"selfie": selfie, "consent": "on"},
        )
    assert response.status_code == 303  # to the results page
    return client


def original_url(event, photo) -> str:
    args = [event.attendee_token, photo.pk, "original"]
    return reverse("attendees:photo", args=args) + "?download=1"


def test_an_attendees_download_has_no_private_metadata(event, images, secret_photos):
    photos, uploads = secret_photos
    client = attendee_client(event, images)
    expected = {
        "ceremony.jpg": ("image/jpeg", "ceremony.jpg"),
        "portrait.png": ("image/png", "portrait.png"),
        "party.webp": ("image/webp", "party.webp"),
        "phone.HEIC": ("image/jpeg", "phone.jpg"),
    }
    for name, (content_type, filename) in expected.items():
        response = client.get(original_url(event, photos[name]))
        assert response.status_code == 200, name
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
        data = b"".join(response.streaming_content)
        assert_nothing_private(data)
        assert_description_kept(data, orientation=1 if name == "phone.HEIC" else 6)
        if name in ("ceremony.jpg", "portrait.png"):
            assert pixels(data) == pixels(uploads[name])


def test_every_file_in_an_attendees_zip_has_no_private_metadata(event, images, secret_photos):
    client = attendee_client(event, images)
    response = client.get(reverse("attendees:download", args=[event.attendee_token]))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = ["ceremony.jpg", "party.webp", "phone.jpg", "portrait.png"]
    assert sorted(archive.namelist()) == names
    for name in names:
        assert_nothing_private(archive.read(name))
        assert_description_kept(archive.read(name), orientation=1 if name == "phone.jpg" else 6)


def test_the_organiser_still_gets_the_original_as_uploaded(owner, secret_photos):
    photos, uploads = secret_photos
    organiser = Client()
    organiser.force_login(owner)
    for name, photo in photos.items():
        response = organiser.get(reverse("photos:photo_media", args=[photo.pk, "original"]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == uploads[name]


def test_a_photo_with_no_clean_copy_is_refused_and_left_out_of_the_zip(
    event, images, secret_photos, caplog
):
    photos, _ = secret_photos
    damaged = photos["portrait.png"]
    with damaged.file.storage.open(damaged.file.name, "wb") as fp:
        fp.write(b"\x89PNG\r\n\x1a\n and then nothing usable")
    client = attendee_client(event, images)
    with caplog.at_level(logging.ERROR, logger="photos.downloads"):
        response = client.get(original_url(event, damaged))
    assert response.status_code == 500
    assert b"ask the organiser" in response.content
    assert f"Photo {damaged.pk}: no copy without private metadata" in caplog.text
    zipped = client.get(reverse("attendees:download", args=[event.attendee_token]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(zipped.streaming_content)))
    assert sorted(archive.namelist()) == [
        "ceremony.jpg",
        "party.webp",
        "phone.jpg",
        "photos-not-included.txt",
    ]
    assert "portrait.png" in archive.read("photos-not-included.txt").decode()
    assert Photo.objects.filter(pk=damaged.pk).exists()
