from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from faces import moderation
from faces import services as face_services
from faces.admin import crop_tag
from faces.models import Face
from photos import services as photo_services
from photos.models import Album, Event, FileDeletion, Photo


def _count(model, **filters):
    """A correlated COUNT per event, so list pages never join photos with faces."""
    rows = (
        model.objects.filter(event=OuterRef("pk"), **filters)
        .order_by()
        .values("event")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "owner",
        "starts_on",
        "photos",
        "processed",
        "failed",
        "faces",
        "hidden_faces",
        "is_face_search_enabled",
    ]
    list_filter = ["is_face_search_enabled", "starts_on"]
    search_fields = ["name", "slug", "owner__username"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    readonly_fields = ["attendee_token", "created_at", "updated_at"]
    actions = ["retry_failed", "rerun_detection"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_photos=_count(Photo),
                n_processed=_count(Photo, faces_status=Photo.Status.DONE),
                n_failed=_count(Photo, faces_status=Photo.Status.FAILED),
                n_faces=_count(Face),
                n_hidden=_count(Face, status=Face.Status.HIDDEN),
            )
        )

    @admin.display(ordering="n_photos")
    def photos(self, event):
        return event.n_photos

    @admin.display(ordering="n_processed")
    def processed(self, event):
        return event.n_processed

    @admin.display(ordering="n_failed")
    def failed(self, event):
        return event.n_failed

    @admin.display(ordering="n_faces")
    def faces(self, event):
        return event.n_faces

    @admin.display(ordering="n_hidden", description="hidden faces")
    def hidden_faces(self, event):
        return event.n_hidden

    @admin.action(description="Retry failed photos", permissions=["change"])
    def retry_failed(self, request, queryset):
        photos = Photo.objects.filter(event__in=queryset, faces_status=Photo.Status.FAILED)
        count = face_services.retry_photos(photos=photos)
        self.message_user(request, f"{count} failed photo(s) queued again.", messages.SUCCESS)

    @admin.action(description="Re-run face detection for every photo", permissions=["change"])
    def rerun_detection(self, request, queryset):
        count = face_services.retry_photos(photos=Photo.objects.filter(event__in=queryset))
        self.message_user(
            request, f"{count} photo(s) queued; hidden faces stay hidden.", messages.SUCCESS
        )

    # Deletes go through the services, which delete the stored files too.
    def delete_model(self, request, obj):
        photo_services.delete_event(event=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for event in queryset:
                photo_services.delete_event(event=event)


@admin.register(Album)
class AlbumAdmin(admin.ModelAdmin):
    list_display = ["title", "event", "created_at"]
    search_fields = ["title", "event__name"]
    list_select_related = ["event"]
    raw_id_fields = ["event"]

    def delete_model(self, request, obj):
        photo_services.delete_album(album=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for album in queryset:
                photo_services.delete_album(album=album)


class FaceInline(admin.TabularInline):
    model = Face
    fields = ["crop", "score", "size", "is_matchable", "status", "moderated_by", "moderated_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).defer("embedding").select_related("moderated_by")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="face")
    def crop(self, face):
        return crop_tag(face)

    @admin.display(description="size")
    def size(self, face):
        return f"{face.width}×{face.height}"


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ["original_filename", "event", "album", "faces_status", "face_count", "taken_at"]
    list_filter = ["faces_status"]
    search_fields = ["=id", "original_filename", "=content_hash"]
    list_select_related = ["event", "album"]
    raw_id_fields = ["album", "event"]
    show_full_result_count = False
    inlines = [FaceInline]
    readonly_fields = [
        "photo_with_faces",
        "content_hash",
        "size_bytes",
        "width",
        "height",
        "taken_at",
        "uploaded_at",
        "faces_status",
        "faces_error",
        "face_count",
        "processing_started_at",
        "processed_at",
        "processing_attempts",
        "file",
        "thumbnail",
        "preview",
    ]
    actions = ["rerun_detection", "hide_all_faces"]

    @admin.display(description="photo and faces")
    def photo_with_faces(self, photo):
        if not photo.preview:
            return "No preview yet."
        faces = photo.faces.defer("embedding")
        boxes = format_html_join(
            "",
            '<span title="score {}" style="position:absolute;left:{}%;top:{}%;width:{}%;'
            'height:{}%;border:2px solid {};border-radius:3px"></span>',
            (
                (
                    f.score,
                    100 * f.x / photo.width,
                    100 * f.y / photo.height,
                    100 * f.width / photo.width,
                    100 * f.height / photo.height,
                    "#c0362c" if f.status == Face.Status.HIDDEN else "#31d07c",
                )
                for f in faces
            ),
        )
        return format_html(
            '<div style="position:relative;display:inline-block;max-width:720px">'
            '<img src="{}" style="max-width:100%;display:block">{}</div>',
            reverse("photos:photo_media", args=[photo.pk, "preview"]),
            boxes,
        )

    @admin.action(
        description="Re-run face detection (hidden faces stay hidden)", permissions=["change"]
    )
    def rerun_detection(self, request, queryset):
        count = face_services.retry_photos(photos=queryset)
        self.message_user(request, f"{count} photo(s) queued for face detection.", messages.SUCCESS)

    def has_hide_faces_permission(self, request) -> bool:
        return request.user.has_perm("faces.change_face")

    @admin.action(description="Hide all faces", permissions=["hide_faces"])
    def hide_all_faces(self, request, queryset):
        faces = Face.objects.filter(photo__in=queryset)
        count = moderation.hide_faces(faces=faces, user=request.user)
        self.message_user(request, f"{count} face(s) hidden.", messages.SUCCESS)

    def delete_model(self, request, obj):
        photo_services.delete_photos(photos=[obj])

    def delete_queryset(self, request, queryset):
        photo_services.delete_photos(photos=queryset)


@admin.register(FileDeletion)
class FileDeletionAdmin(admin.ModelAdmin):
    """Stored files waiting to be deleted: normally empty; rows that stay show the error."""

    list_display = ["name", "attempts", "last_error", "last_attempt_at", "created_at"]
    search_fields = ["name"]
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
