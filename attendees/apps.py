from django.apps import AppConfig


class AttendeesConfig(AppConfig):
    """Everything a person holding a secret link sees: the event's page, selfie search
    and results, a person's share link; with their limits (docs/architecture.md)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "attendees"
