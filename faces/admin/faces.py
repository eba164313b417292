"""The moderation screens: face changelist with crops, and a fast review grid."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from faces import moderation
from faces.models import VECTOR_MODELS, Face
from photos.models import Event

REVIEW_PAGE_SIZE = 200
# The faces the review grid hid last, so that "Undo" can show them again.
REVIEW_UNDO_KEY = "faces_review_last_hidden"


def crop_tag(face: Face, size: int = 64):
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="face {}" loading="lazy" '
        'style="object-fit:cover;border-radius:4px;background:#eee">',
        reverse("faces:face_crop", args=[face.pk]),
        size,
        size,
        face.pk,
    )


class EventFilter(admin.SimpleListFilter):
    """The most recent events (a DISTINCT over a million faces would be too slow)."""

    title = "event"
    parameter_name = "event"

    def lookups(self, request, model_admin):
        return [(e.pk, e.name) for e in Event.objects.order_by("-created_at").only("name")[:50]]

    def queryset(self, request, queryset):
        return queryset.filter(event_id=self.value()) if self.value() else queryset


class ScoreBandFilter(admin.SimpleListFilter):
    title = "detector score"
    parameter_name = "score_band"
    BANDS = {
        "low": Q(score__lt=0.8),
        "medium": Q(score__gte=0.8, score__lt=0.9),
        "high": Q(score__gte=0.9),
    }

    def lookups(self, request, model_admin):
        return [("low", "below 0.8"), ("medium", "0.8 to 0.9"), ("high", "0.9 and above")]

    def queryset(self, request, queryset):
        band = self.BANDS.get(self.value())
        return queryset.filter(band) if band else queryset


class SizeBandFilter(admin.SimpleListFilter):
    title = "face size"
    parameter_name = "size_band"

    def lookups(self, request, model_admin):
        return [("small", "under 40 px"), ("medium", "40 to 100 px"), ("large", "100 px and more")]

    def queryset(self, request, queryset):
        small = Q(width__lt=40) | Q(height__lt=40)
        large = Q(width__gte=100, height__gte=100)
        bands = {"small": small, "medium": ~small & ~large, "large": large}
        band = bands.get(self.value())
        return queryset.filter(band) if band else queryset


def hidden_message(count: int) -> str:
    return ngettext(
        "%(count)s face hidden; it no longer matches any search.",
        "%(count)s faces hidden; they no longer match any search.",
        count,
    ) % {"count": count}


def restored_message(count: int) -> str:
    return ngettext(
        "%(count)s face shown again; it is found by searches once processed again.",
        "%(count)s faces shown again; they are found by searches once processed again.",
        count,
    ) % {"count": count}


@admin.register(Face)
class FaceAdmin(admin.ModelAdmin):
    list_display = [
        "crop",
        "id",
        "photo_link",
        "event",
        "score",
        "size",
        "status",
        "moderated_by",
    ]
    list_display_links = ["id"]
    list_filter = [
        EventFilter,
        "status",
        ScoreBandFilter,
        SizeBandFilter,
        "is_matchable",
    ]
    list_select_related = ["photo", "event", "moderated_by"]
    list_per_page = 100
    show_full_result_count = False
    ordering = ["score", "id"]
    search_fields = ["=photo__id", "photo__original_filename"]
    raw_id_fields = ["photo", "event", "moderated_by"]
    readonly_fields = [
        "crop_large",
        "photo",
        "event",
        "x",
        "y",
        "width",
        "height",
        "score",
        "sharpness",
        "is_matchable",
        "vectors",
        "person",
        "status",
        "moderated_by",
        "moderated_at",
        "created_at",
    ]
    actions = ["hide_selected", "restore_selected"]

    def get_queryset(self, request):
        # Which embedders have a vector of each face, without reading the vectors.
        vectors = [
            Prefetch(f"vectors{dims}", queryset=model.objects.only("face_id", "embedder"))
            for dims, model in VECTOR_MODELS.items()
        ]
        return (
            super()
            .get_queryset(request)
            .defer("photo__processing_error")
            .prefetch_related(*vectors)
        )

    def has_add_permission(self, request):
        return False  # faces come from detection only

    @admin.display(description=_("face"))
    def crop(self, face):
        return crop_tag(face)

    @admin.display(description=_("vectors"))
    def vectors(self, face):
        """Which embedders have a vector of this face (none once it is hidden)."""
        names = [
            vector.embedder
            for dims in VECTOR_MODELS
            for vector in getattr(face, f"vectors{dims}").all()
        ]
        return ", ".join(sorted(names)) or "none"

    @admin.display(description=_("face"))
    def crop_large(self, face):
        return crop_tag(face, 160)

    @admin.display(description=_("photo"), ordering="photo_id")
    def photo_link(self, face):
        url = reverse("admin:photos_photo_change", args=[face.photo_id])
        return format_html('<a href="{}">{}</a>', url, face.photo.original_filename[-40:])

    @admin.display(description=_("size"), ordering="width")
    def size(self, face):
        return f"{face.width}×{face.height}"

    @admin.action(description=_("Hide: not a face / not wanted"), permissions=["change"])
    def hide_selected(self, request, queryset):
        count = moderation.hide_faces(faces=queryset, user=request.user)
        self.message_user(request, hidden_message(count), messages.SUCCESS)

    @admin.action(description=_("Restore"), permissions=["change"])
    def restore_selected(self, request, queryset):
        count = moderation.restore_faces(faces=queryset, user=request.user)
        self.message_user(
            request,
            ngettext("%(count)s face restored.", "%(count)s faces restored.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    def get_urls(self):
        review = self.admin_site.admin_view(self.review_view)
        return [path("review/", review, name="faces_face_review"), *super().get_urls()]

    def review_view(self, request):
        """A grid of one event's visible faces, least confident first, to hide in bulk."""
        # admin_view only checks is_staff; the grid changes faces.
        if not self.has_change_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            return self.review_hide(request)
        events = Event.objects.order_by("-created_at").only("name")[:200]
        event = None
        faces, page, has_next = [], 0, False
        if request.GET.get("event", "").isdigit():
            event = get_object_or_404(Event, pk=request.GET["event"])
            page = _page_number(request.GET.get("page"))
            start = page * REVIEW_PAGE_SIZE
            # One more than a page: whether there is a next page, without a count.
            rows = list(
                Face.objects.visible()
                .filter(event=event)
                .order_by("score", "id")[start : start + REVIEW_PAGE_SIZE + 1]
            )
            faces, has_next = rows[:REVIEW_PAGE_SIZE], len(rows) > REVIEW_PAGE_SIZE
        last_hidden = request.session.get(REVIEW_UNDO_KEY) or {}
        context = {
            **self.admin_site.each_context(request),
            "title": "Review faces",
            "opts": self.model._meta,
            "events": events,
            "event": event,
            "faces": faces,
            "page": page,
            "has_next": has_next,
            "page_size": REVIEW_PAGE_SIZE,
            "last_hidden": last_hidden if event and last_hidden.get("event") == event.pk else None,
        }
        return TemplateResponse(request, "admin/faces/face/review.html", context)

    def review_hide(self, request):
        """Hide the selected faces, or ("undo") show again the ones hidden last."""
        event = request.POST.get("event", "")
        back = (
            f"{reverse('admin:faces_face_review')}?event={event}&page={request.POST.get('page', 0)}"
        )
        if request.POST.get("action") == "undo":
            last = request.session.pop(REVIEW_UNDO_KEY, None) or {}
            faces = Face.objects.filter(pk__in=last.get("faces", []))
            count = moderation.restore_faces(faces=faces, user=request.user)
            self.message_user(request, restored_message(count), messages.SUCCESS)
            return redirect(back)
        ids = [int(value) for value in request.POST.getlist("face") if value.isdigit()]
        count = moderation.hide_faces(faces=Face.objects.filter(pk__in=ids), user=request.user)
        if count and event.isdigit():
            request.session[REVIEW_UNDO_KEY] = {"event": int(event), "faces": ids}
        self.message_user(request, hidden_message(count), messages.SUCCESS)
        return redirect(back)


def _page_number(value: str | None) -> int:
    """A page number from the query string; anything else is the first page."""
    return int(value) if value and value.isdigit() else 0
