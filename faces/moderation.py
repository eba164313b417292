"""Hiding false or unwanted faces, and bringing them back: one service for everyone.

Used by the admin actions, the admin review grid and the organiser's photo page.
Hidden faces never match a search (``Face.objects.searchable``), stay hidden when
detection runs again (``services.store_faces``), and the event is regrouped.
"""

import io

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from PIL import Image

from faces.models import Face
from photos.images import open_image
from photos.models import Event

CROP_SIDE = 160


def set_faces_status(*, faces: QuerySet, status: str, user) -> int:
    """Hide or restore ``faces``, recording who and when. Returns how many changed."""
    with transaction.atomic():
        changing = faces.exclude(status=status)
        event_ids = set(changing.values_list("event_id", flat=True))
        count = changing.update(status=status, moderated_by=user, moderated_at=timezone.now())
        Event.objects.filter(pk__in=event_ids).update(faces_version=F("faces_version") + 1)
    return count


def hide_faces(*, faces: QuerySet, user) -> int:
    return set_faces_status(faces=faces, status=Face.Status.HIDDEN, user=user)


def restore_faces(*, faces: QuerySet, user) -> int:
    return set_faces_status(faces=faces, status=Face.Status.VISIBLE, user=user)


def face_crop_jpeg(face: Face) -> bytes:
    """The face with a margin, cut from the photo's preview (or original), as a JPEG."""
    photo = face.photo
    if photo.preview:  # already upright and small: the fast path
        with photo.preview.open("rb") as fp:
            image = Image.open(fp).convert("RGB")
    else:
        with photo.file.open("rb") as fp:
            image = open_image(fp, max_pixels=settings.PHOTOS_MAX_PIXELS, decode_side=1600).image
    scale = image.width / photo.width
    left, top, right, bottom = face.crop_box(margin=0.3)
    crop = image.crop((left * scale, top * scale, right * scale, bottom * scale))
    crop.thumbnail((CROP_SIDE, CROP_SIDE))
    data = io.BytesIO()
    crop.save(data, "JPEG", quality=85)
    return data.getvalue()
