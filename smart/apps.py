from django.apps import AppConfig


class SmartConfig(AppConfig):
    """Smart search: photos found by a description or by example, with CLIP."""

    name = "smart"
    verbose_name = "Smart search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ml import loader  # noqa: F401  (registers the setting_changed receiver)
