"""Big files straight from the browser to the S3 bucket (S3 multipart upload), so the
web server's disk and bandwidth are not used. Only when media storage is S3.

1. ``begin``: the server creates the multipart upload under the event's folder, with a
   random name (as photos are stored), and keeps its id on the ChunkedUpload;
2. ``presign_part``: the page asks for a short-lived URL for part n and PUTs that piece
   of the file to the bucket itself;
3. after a dropped connection, ``uploaded_parts`` lists what the bucket has (S3's own
   list, not what the page believes), and the page resends only the missing parts;
4. ``complete``: the server completes the upload with the ETags S3 lists (never the
   page's), checks the object's size against the declared one, and the stored object
   goes to the pipeline (photos.stored_uploads) without the web process reading it;
5. ``abort`` on cancel and for stale uploads (photos.chunked.delete_stale); a lifecycle
   rule on the bucket is the safety net (docs/organisers.md).
"""

import logging
import math
import uuid
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.utils.translation import gettext

from photos.models import ChunkedUpload

logger = logging.getLogger(__name__)

MIN_PART_BYTES = 5 * 1024 * 1024  # S3's minimum, for every part but the last
MAX_PARTS = 10_000  # S3's maximum
URL_SECONDS = 15 * 60  # a part's URL: long enough for 8 MB over a slow link, no longer


class DirectUploadError(ValueError):
    """Refused or failed; the message is for the organiser, the cause is logged."""


def storage():
    from photos.storage_cleanup import photo_storage

    return photo_storage()


def is_enabled() -> bool:
    """True when photos are stored in S3 and direct uploads are not turned off."""
    from storages.backends.s3 import S3Storage

    return settings.PHOTOS_S3_DIRECT_UPLOADS and isinstance(storage(), S3Storage)


def _client():
    # The storage's own client: its credentials, endpoint, region and signature.
    return storage().connection.meta.client


def _bucket() -> str:
    return storage().bucket_name


def bucket_origin() -> str:
    """Where the page sends the parts (scheme, host, port), from a URL signed here
    (no request: signing is local), so it follows the storage's endpoint and style."""
    params = {"Bucket": _bucket(), "Key": "x", "UploadId": "x", "PartNumber": 1}
    url = urlsplit(_client().generate_presigned_url("upload_part", Params=params))
    return f"{url.scheme}://{url.netloc}"


def policy_allowing_bucket(policy: str) -> str:
    """The Content-Security-Policy ``policy`` with the bucket added to connect-src."""
    directives = [part.strip() for part in policy.split(";") if part.strip()]
    for index, directive in enumerate(directives):
        if directive.split()[0] == "connect-src":
            directives[index] = f"{directive} {bucket_origin()}"
            return "; ".join(directives)
    return "; ".join([*directives, f"connect-src 'self' {bucket_origin()}"])


def part_size(size: int) -> int:
    """Parts of the usual piece size, at least S3's minimum, few enough for S3's limit."""
    wanted = max(settings.PHOTOS_UPLOAD_CHUNK_BYTES, MIN_PART_BYTES)
    return max(wanted, math.ceil(size / MAX_PARTS))


def part_count(upload: ChunkedUpload) -> int:
    return max(1, math.ceil(upload.size / part_size(upload.size)))


def part_bytes(upload: ChunkedUpload, number: int) -> int:
    """The exact size of part ``number`` (from 1): the part size, the rest for the last."""
    size = part_size(upload.size)
    return min(size, upload.size - (number - 1) * size)


def new_key(upload: ChunkedUpload) -> str:
    # Random, like photos.models.photo_upload_path: a listing reveals nothing.
    name = upload.name
    extension = name.rsplit(".", 1)[-1].lower()[:10] if "." in name else "bin"
    return f"events/{upload.album.event_id}/uploads/{uuid.uuid4().hex}.{extension}"


def _failed(what: str, upload: ChunkedUpload, error: Exception) -> DirectUploadError:
    logger.warning("S3 direct upload %s: %s failed: %s", upload.pk, what, error)
    return DirectUploadError(
        gettext("The storage did not answer as expected; nothing was lost. Try again.")
    )


def begin(upload: ChunkedUpload) -> None:
    """Create the multipart upload and record it on ``upload``."""
    key = new_key(upload)
    try:
        answer = _client().create_multipart_upload(Bucket=_bucket(), Key=key)
    except (BotoCoreError, ClientError) as error:
        raise _failed("create", upload, error) from error
    upload.s3_key, upload.s3_upload_id = key, answer["UploadId"]
    upload.save(update_fields=["s3_key", "s3_upload_id", "updated_at"])


def presign_part(upload: ChunkedUpload, number: int) -> str:
    """A URL the browser PUTs part ``number`` (from 1) to, valid a few minutes."""
    if not 1 <= number <= part_count(upload):
        raise DirectUploadError(gettext("This piece goes past the end of the file declared."))
    params = {
        "Bucket": _bucket(),
        "Key": upload.s3_key,
        "UploadId": upload.s3_upload_id,
        "PartNumber": number,
        # Signed (SigV4 signs the content-length header when it is given): the bucket
        # refuses a PUT of any other size, so a URL cannot be used to store more.
        "ContentLength": part_bytes(upload, number),
    }
    # Kept alive by its parts: the daily clean-up forgets uploads idle for a day.
    upload.save(update_fields=["updated_at"])
    return _client().generate_presigned_url("upload_part", Params=params, ExpiresIn=URL_SECONDS)


def uploaded_parts(upload: ChunkedUpload) -> list[dict]:
    """The parts the bucket has, as S3 lists them (number, size, ETag)."""
    parts, marker = [], 0
    try:
        while True:
            answer = _client().list_parts(
                Bucket=_bucket(),
                Key=upload.s3_key,
                UploadId=upload.s3_upload_id,
                PartNumberMarker=marker,
            )
            parts += answer.get("Parts", [])
            if not answer.get("IsTruncated"):
                return parts
            marker = answer["NextPartNumberMarker"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchUpload":
            raise DirectUploadError(
                gettext("This upload expired or was cancelled; choose the file again.")
            ) from error
        raise _failed("list parts", upload, error) from error
    except BotoCoreError as error:
        raise _failed("list parts", upload, error) from error


def status(upload: ChunkedUpload) -> dict:
    """What the page needs to resume: the parts the bucket has and the bytes they hold."""
    parts = uploaded_parts(upload)
    return {
        "mode": "s3",
        "size": upload.size,
        "part_size": part_size(upload.size),
        "parts": [part["PartNumber"] for part in parts],
        "received": sum(part["Size"] for part in parts),
    }


class MissingParts(DirectUploadError):
    def __init__(self, missing: list[int]) -> None:
        super().__init__(gettext("Some pieces of this file are missing; they are sent again."))
        self.missing = missing


class SizeMismatch(DirectUploadError):
    """The completed object is not the size declared; it was deleted."""


def complete(upload: ChunkedUpload) -> str:
    """Complete the upload from the parts S3 lists; returns the object's key. Raises
    MissingParts when parts are missing (the page sends them and asks again), and
    DirectUploadError when the object is not the size declared (it is then deleted)."""
    parts = uploaded_parts(upload)
    have = {part["PartNumber"] for part in parts}
    missing = [n for n in range(1, part_count(upload) + 1) if n not in have]
    if missing:
        raise MissingParts(missing)
    for part in parts:
        expected = part_bytes(upload, part["PartNumber"])
        if part["Size"] != expected:
            # A bucket that does not check the signed size: refused here, before S3
            # assembles anything.
            logger.warning(
                "S3 direct upload %s: part %s has %s bytes, %s expected",
                upload.pk,
                part["PartNumber"],
                part["Size"],
                expected,
            )
            abort(upload)
            raise SizeMismatch(
                gettext(
                    "A piece of this file arrived with %(stored)s bytes instead of "
                    "%(size)s; the file was not kept. Upload it again."
                )
                % {"stored": part["Size"], "size": expected}
            )
    listed = [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in parts]
    try:
        _client().complete_multipart_upload(
            Bucket=_bucket(),
            Key=upload.s3_key,
            UploadId=upload.s3_upload_id,
            MultipartUpload={"Parts": listed},
        )
        stored = _client().head_object(Bucket=_bucket(), Key=upload.s3_key)["ContentLength"]
    except (BotoCoreError, ClientError) as error:
        raise _failed("complete", upload, error) from error
    if stored != upload.size:
        logger.warning(
            "S3 direct upload %s: %s bytes stored, %s declared", upload.pk, stored, upload.size
        )
        delete_object(upload.s3_key)
        raise SizeMismatch(
            gettext(
                "The file that arrived is not the size announced (%(stored)s bytes instead "
                "of %(size)s); it was not kept. Upload it again."
            )
            % {"stored": stored, "size": upload.size}
        )
    return upload.s3_key


def read_start(key: str, length: int = 4) -> bytes:
    """The object's first bytes (a ranged GET): enough to tell a zip from a photo."""
    try:
        answer = _client().get_object(Bucket=_bucket(), Key=key, Range=f"bytes=0-{length - 1}")
        return answer["Body"].read()
    except (BotoCoreError, ClientError) as error:
        logger.warning("Reading the start of %s failed: %s", key, error)
        raise DirectUploadError(
            gettext("The storage did not answer as expected; nothing was lost. Try again.")
        ) from error


def delete_object(key: str) -> None:
    try:
        _client().delete_object(Bucket=_bucket(), Key=key)
    except (BotoCoreError, ClientError) as error:
        # The daily sweep deletes unreferenced files under events/ (photos.storage_cleanup).
        logger.warning("Deleting %s failed, left to the sweep: %s", key, error)


def abort(upload: ChunkedUpload) -> None:
    """Abort the multipart upload: S3 deletes the parts it holds. An upload already gone
    is fine; a failure is logged (the bucket's lifecycle rule aborts it later)."""
    try:
        _client().abort_multipart_upload(
            Bucket=_bucket(), Key=upload.s3_key, UploadId=upload.s3_upload_id
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchUpload":
            logger.warning("Aborting S3 upload %s failed: %s", upload.pk, error)
    except BotoCoreError as error:
        logger.warning("Aborting S3 upload %s failed: %s", upload.pk, error)
