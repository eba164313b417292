from django.apps import AppConfig


class RegistrationsConfig(AppConfig):
    """Attendees who register once and are emailed when their photos arrive."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "registrations"

    def connect_signals(self) -> None:
        from faces.signals import faces_grouped
        from registrations.tasks import queue_matching

        faces_grouped.connect(queue_matching, dispatch_uid="registrations.queue_matching")

    def ready(self) -> None:
        from registrations import event_parts

        self.connect_signals()
        event_parts.register()  # its card on the organiser's event page
