from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from photos import services as photo_services
from photos.models import MANAGE_ALL_EVENTS, Album, Event, FileDeletion, Photo


def count_per_event(model, **filters):
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
        "is_face_search_enabled",
    ]
    list_filter = ["is_face_search_enabled", "starts_on"]
    search_fields = ["name", "slug", "owner__username"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    readonly_fields = ["attendee_token", "created_at", "updated_at"]
    actions = ["retry_failed", "rerun_detection"]
    # Bearer secrets: whoever reads them acts as a guest of the event. Only those who
    # may manage every event see them; a moderator (read-only on events) does not.
    SECRET_FIELDS = ("attendee_token",)

    def _shows_secrets(self, request) -> bool:
        return request.user.has_perm(MANAGE_ALL_EVENTS)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if self._shows_secrets(request):
            return fields
        return [name for name in fields if name not in self.SECRET_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if self._shows_secrets(request):
            return fields
        return [name for name in fields if name not in self.SECRET_FIELDS]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_photos=count_per_event(Photo),
                n_processed=count_per_event(Photo, processing_status=Photo.Status.DONE),
                n_failed=count_per_event(Photo, processing_status=Photo.Status.FAILED),
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

    @admin.action(description=_("Retry failed photos"), permissions=["change"])
    def retry_failed(self, request, queryset):
        photos = Photo.objects.filter(event__in=queryset, processing_status=Photo.Status.FAILED)
        count = photo_services.request_processing(photos=photos)
        self.message_user(
            request,
            ngettext(
                "%(count)s failed photo queued again.",
                "%(count)s failed photos queued again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Re-run face detection for every photo"), permissions=["change"])
    def rerun_detection(self, request, queryset):
        count = photo_services.request_processing(photos=Photo.objects.filter(event__in=queryset))
        self.message_user(
            request,
            ngettext(
                "%(count)s photo queued; hidden faces stay hidden.",
                "%(count)s photos queued; hidden faces stay hidden.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
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


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = [
        "original_filename",
        "event",
        "album",
        "processing_status",
        "taken_at",
    ]
    list_filter = ["processing_status"]
    search_fields = ["=id", "original_filename", "=content_hash"]
    list_select_related = ["event", "album"]
    raw_id_fields = ["album", "event"]
    show_full_result_count = False
    readonly_fields = [
        "content_hash",
        "size_bytes",
        "width",
        "height",
        "taken_at",
        "uploaded_at",
        "processing_status",
        "processing_error",
        "processing_started_at",
        "processed_at",
        "processing_attempts",
        "file",
        "thumbnail",
        "preview",
    ]
    actions = ["rerun_detection"]

    @admin.action(
        description=_("Re-run face detection (hidden faces stay hidden)"), permissions=["change"]
    )
    def rerun_detection(self, request, queryset):
        count = photo_services.request_processing(photos=queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)s photo queued for face detection.",
                "%(count)s photos queued for face detection.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

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
