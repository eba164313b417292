from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacesConfig(AppConfig):
    name = "faces"
    verbose_name = _("Faces")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from faces import photo_parts
        from faces.roles import ensure_moderators_group
        from faces.tasks import queue_processing
        from ml import loader  # noqa: F401  (registers the setting_changed receiver)
        from photos.signals import processing_requested

        # After faces' own migrations: by then every app's permissions exist.
        post_migrate.connect(ensure_moderators_group, sender=self)
        # The one hook from photos: photos waiting for their faces (docs/architecture.md).
        processing_requested.connect(queue_processing, dispatch_uid="faces.queue_processing")
        # Its parts of photos' pages: faces found, boxes, the People button.
        photo_parts.register()
