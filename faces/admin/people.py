"""People in the admin: who is in each event's photos, searchable by name, and who hid
whom and when. Decisions are taken on the organiser's People pages
(faces.organiser_decisions); here staff read them, and may correct a name."""

from django.contrib import admin
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from faces.admin.faces import EventFilter, crop_tag
from faces.models import Face, FacePerson, Person


class MembershipInline(admin.TabularInline):
    model = FacePerson
    fields = ["crop", "face_link", "status", "locked"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = _("face")
    verbose_name_plural = _("faces")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("face")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("face"))
    def crop(self, membership):
        return crop_tag(membership.face)

    @admin.display(description=_("photo"))
    def face_link(self, membership):
        url = reverse("admin:faces_face_change", args=[membership.face_id])
        return format_html('<a href="{}">face {}</a>', url, membership.face_id)

    @admin.display(description=_("status"))
    def status(self, membership):
        return membership.face.get_status_display()


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["cover", "__str__", "event", "faces", "is_hidden", "hidden_by", "hidden_at"]
    list_display_links = ["__str__"]
    list_filter = [EventFilter, "is_hidden"]
    list_select_related = ["event", "hidden_by"]
    search_fields = ["name", "event__name"]
    fields = ["name", "event", "is_hidden", "hidden_by", "hidden_at", "shared", "created_at"]
    readonly_fields = ["event", "is_hidden", "hidden_by", "hidden_at", "shared", "created_at"]
    inlines = [MembershipInline]
    list_per_page = 100
    ordering = ["-id"]

    def get_queryset(self, request):
        visible = Q(memberships__face__status=Face.Status.VISIBLE)
        return (
            super()
            .get_queryset(request)
            .defer("seed")  # sums of vectors: never shown
            .annotate(face_total=Count("memberships"), visible_total=Count("memberships", visible))
        )

    def has_add_permission(self, request):
        return False  # people come from grouping

    @admin.display(description=_("face"))
    def cover(self, person):
        membership = person.memberships.select_related("face").order_by("-face__width").first()
        return crop_tag(membership.face) if membership else "–"

    @admin.display(description=_("faces"), ordering="face_total")
    def faces(self, person):
        if person.visible_total == person.face_total:
            return person.face_total
        return f"{person.visible_total} visible of {person.face_total}"

    @admin.display(description=_("share link"), boolean=True)
    def shared(self, person):
        return bool(person.share_token)
