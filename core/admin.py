from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.models import SearchRecord


@admin.register(SearchRecord)
class SearchRecordAdmin(admin.ModelAdmin):
    """Read-only: the trail of organiser and staff searches, newest first."""

    list_display = ["created_at", "username", "kind", "scope", "result_count"]
    list_filter = ["kind", "all_events"]
    search_fields = ["username"]
    date_hierarchy = "created_at"

    @admin.display(description=_("events"))
    def scope(self, record):
        return "all events" if record.all_events else ", ".join(map(str, record.event_ids))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
