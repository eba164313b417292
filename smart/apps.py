from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmartConfig(AppConfig):
    """Smart search: photos found by a description or by example, with CLIP."""

    name = "smart"
    verbose_name = _("Smart search")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ml import loader  # noqa: F401  (registers the setting_changed receiver)
        from photos import extensions

        # Its parts of photos' pages (shown only when smart search is on).
        extensions.add_part("event_top", "smart/_event_search.html")
        extensions.add_part("photo_actions", "smart/_more_like_this.html")
