"""What faces shows on photos' pages (registered in faces/apps.py through
photos.extensions): the faces found in photos, the face boxes and panel of a photo,
and the People button of an event."""

from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from faces.models import Face
from photos import extensions


def photo_faces(request, photo) -> dict:
    """The photo's faces, drawn over it and listed below it, each with its person."""
    faces = Face.objects.filter(photo=photo).select_related("grouping__person").order_by("x")
    return {"boxes": [{"face": face, **face.box_percentages(photo)} for face in faces]}


def _total(photos: QuerySet) -> int:
    return Face.objects.filter(photo__in=photos.values("pk")).count()


def _per_photo(photo_ids: list[int]) -> dict[int, int]:
    rows = Face.objects.filter(photo_id__in=photo_ids).values("photo_id").annotate(n=Count("pk"))
    return {row["photo_id"]: row["n"] for row in rows.order_by()}


def _describe(count: int) -> str:
    return ngettext("%(count)s face", "%(count)s faces", count) % {"count": count}


def register() -> None:
    extensions.add_count(
        extensions.Count(
            name="faces",
            label=_("Faces found"),
            total=_total,
            per_photo=_per_photo,
            describe=_describe,
        )
    )
    extensions.add_part("event_actions", "faces/_event_actions.html")
    extensions.add_part("photo_overlay", "faces/_photo_boxes.html", context=photo_faces)
    extensions.add_part("photo", "faces/_photo_faces.html", context=photo_faces)
