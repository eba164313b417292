"""Hiding false or unwanted faces, and bringing them back: one service for everyone.

Used by the admin actions, the admin review grid and the organiser's pages. A hidden
face never matches a search (``Face.objects.searchable``) and keeps no vector; its
place in the photo is recorded as a :class:`HiddenArea`, so it stays hidden whatever
detects it again (another detector, another embedder, a re-run). Restoring removes
the area and runs detection on the photo again to compute the vector afresh.
"""

import io

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from PIL import Image

from faces.models import VECTOR_MODELS, Face, HiddenArea, faces_changed
from photos.images import open_image
from photos.models import Photo
from photos.services import request_processing

CROP_SIDE = 160


def hide_faces(*, faces: QuerySet, user) -> int:
    """Hide ``faces``: record their places, drop their vectors. Returns how many changed."""
    with transaction.atomic():
        changing = list(_locked(faces).exclude(status=Face.Status.HIDDEN))
        user_id = user.pk if user is not None else None
        HiddenArea.objects.bulk_create(HiddenArea.of(face, user_id) for face in changing)
        hidden_ids = [face.pk for face in changing]
        Face.objects.filter(pk__in=hidden_ids).update(
            status=Face.Status.HIDDEN, moderated_by=user, moderated_at=timezone.now()
        )
        for model in VECTOR_MODELS.values():  # every embedder's vector of them
            model.objects.filter(face_id__in=hidden_ids).delete()
        _faces_changed({face.event_id for face in changing})
    return len(changing)


def restore_faces(*, faces: QuerySet, user) -> int:
    """Show ``faces`` again: forget their hidden areas and re-run detection on their
    photos (a hidden face has no vector left to search with). Returns how many."""
    with transaction.atomic():
        restoring = list(_locked(faces).filter(status=Face.Status.HIDDEN))
        photo_ids = {face.photo_id for face in restoring}
        areas = HiddenArea.objects.filter(photo_id__in=photo_ids)
        lifted = [
            area.pk
            for area in areas
            if any(
                face.photo_id == area.photo_id
                and area.covers(face.x, face.y, face.width, face.height)
                for face in restoring
            )
        ]
        HiddenArea.objects.filter(pk__in=lifted).delete()
        Face.objects.filter(pk__in=[face.pk for face in restoring]).update(
            status=Face.Status.VISIBLE, moderated_by=user, moderated_at=timezone.now()
        )
        request_processing(photos=Photo.objects.filter(pk__in=photo_ids))
        _faces_changed({face.event_id for face in restoring})
    return len(restoring)


def _locked(faces: QuerySet) -> QuerySet:
    """The same faces, locked for the transaction, with just what a decision needs.

    Rebuilt from their ids: the admin's querysets carry joins and deferred fields that
    ``select_for_update`` and ``only`` do not mix with."""
    plain = Face.objects.filter(pk__in=faces.order_by().values("pk"))
    return plain.select_for_update().only("id", "photo_id", "event_id", "x", "y", "width", "height")


def _faces_changed(event_ids: set[int]) -> None:
    """The events' people must be regrouped (see services.request_grouping)."""
    faces_changed(event_ids)


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
