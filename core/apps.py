from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Plumbing with no knowledge of events or faces: rate limits, log redaction."""

    name = "core"
    default_auto_field = "django.db.models.BigAutoField"
