from django.apps import AppConfig


class FacesConfig(AppConfig):
    name = "faces"
    verbose_name = "Faces"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from faces import backends  # noqa: F401  (registers the setting_changed receiver)
        from faces.roles import ensure_moderators_group

        # After faces' own migrations: by then every app's permissions exist.
        post_migrate.connect(ensure_moderators_group, sender=self)
