from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Plumbing with no knowledge of events or faces: rate limits, log redaction."""

    name = "core"
    verbose_name = _("Site records")
    default_auto_field = "django.db.models.BigAutoField"
