"""Faces on the photos app's admin pages: counts per event, faces per photo, hiding.

photos/admin.py knows nothing of faces; these subclasses replace its Event and Photo
admin (faces is installed after photos, so its admin module runs later).
"""

from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from faces import moderation, reembedding
from faces.admin.faces import crop_tag
from faces.calibration import family
from faces.models import Face
from photos.admin import EventAdmin, PhotoAdmin, count_per_event
from photos.models import Event, Photo

ARCFACE_LICENCE = (
    "ArcFace weights (InsightFace's w600k models) are not part of this app: the operator "
    "supplied the file (FACES_ARCFACE_MODEL). InsightFace licenses them for "
    "non-commercial research only; any commercial use needs the rights holder's "
    "permission."
)


class EventWithFacesAdmin(EventAdmin):
    list_display = [
        *EventAdmin.list_display[:-1],
        "faces",
        "hidden_faces",
        "face_model",
        "is_face_search_enabled",
    ]
    readonly_fields = [*EventAdmin.readonly_fields, "face_model"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("face_embedder")
            .annotate(
                n_faces=count_per_event(Face),
                n_hidden=count_per_event(Face, status=Face.Status.HIDDEN),
            )
        )

    @admin.display(ordering="n_faces")
    def faces(self, event):
        return event.n_faces

    @admin.display(ordering="n_hidden", description=_("hidden faces"))
    def hidden_faces(self, event):
        return event.n_hidden

    @admin.display(description=_("face model"))
    def face_model(self, event):
        """The embedder answering the event's searches, and a model change's progress
        (manage.py reembed_faces)."""
        row = getattr(event, "face_embedder", None)
        if row is None:
            return "none yet"
        text = row.embedder
        if row.switching_to:
            state = reembedding.coverage(event.pk)
            text += f" (switching to {row.switching_to}: {state.share:.0%} of faces done)"
        elif row.refresh_started:
            text += " (faces being embedded again by the current rule)"
        if "arcface" in {family(row.embedder), family(row.switching_to)}:
            return format_html("{}<br><small>{}</small>", text, ARCFACE_LICENCE)
        return text


class FaceInline(admin.TabularInline):
    model = Face
    fields = ["crop", "score", "size", "is_matchable", "status", "moderated_by", "moderated_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("moderated_by")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("face"))
    def crop(self, face):
        return crop_tag(face)

    @admin.display(description=_("size"))
    def size(self, face):
        return f"{face.width}×{face.height}"


class PhotoWithFacesAdmin(PhotoAdmin):
    list_display = [*PhotoAdmin.list_display[:-1], "faces", PhotoAdmin.list_display[-1]]
    inlines = [FaceInline]
    readonly_fields = ["photo_with_faces", *PhotoAdmin.readonly_fields]
    actions = [*PhotoAdmin.actions, "hide_all_faces"]

    def get_queryset(self, request):
        # A correlated count per listed photo (never a join of photos with faces).
        faces = Face.objects.filter(photo=OuterRef("pk")).order_by().values("photo")
        count = Subquery(faces.annotate(n=Count("pk")).values("n"), output_field=IntegerField())
        return super().get_queryset(request).annotate(n_faces=Coalesce(count, 0))

    @admin.display(ordering="n_faces", description=_("faces"))
    def faces(self, photo):
        return photo.n_faces

    @admin.display(description=_("photo and faces"))
    def photo_with_faces(self, photo):
        if not photo.preview:
            return "No preview yet."
        boxes = format_html_join(
            "",
            '<span title="score {}" style="position:absolute;left:{}%;top:{}%;width:{}%;'
            'height:{}%;border:2px solid {};border-radius:3px"></span>',
            (
                (
                    face.score,
                    *face.box_percentages(photo).values(),
                    "#c0362c" if face.status == Face.Status.HIDDEN else "#31d07c",
                )
                for face in photo.faces.all()
            ),
        )
        return format_html(
            '<div style="position:relative;display:inline-block;max-width:720px">'
            '<img src="{}" style="max-width:100%;display:block">{}</div>',
            reverse("photos:photo_media", args=[photo.pk, "preview"]),
            boxes,
        )

    def has_hide_faces_permission(self, request) -> bool:
        return request.user.has_perm("faces.change_face")

    @admin.action(description=_("Hide all faces"), permissions=["hide_faces"])
    def hide_all_faces(self, request, queryset):
        faces = Face.objects.filter(photo__in=queryset)
        count = moderation.hide_faces(faces=faces, user=request.user)
        self.message_user(
            request,
            ngettext("%(count)s face hidden.", "%(count)s faces hidden.", count) % {"count": count},
            messages.SUCCESS,
        )


admin.site.unregister(Event)
admin.site.register(Event, EventWithFacesAdmin)
admin.site.unregister(Photo)
admin.site.register(Photo, PhotoWithFacesAdmin)
