from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    """Photos arriving during the event: cameras sending by FTP (their accounts and the
    FTP receiver), the organiser's live view of what arrived and what is processed,
    and the live wall for a screen at the venue."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "live"
    verbose_name = _("Live events")

    def ready(self) -> None:
        from live import event_parts

        event_parts.register()  # its card on the organiser's event page
