from django.apps import AppConfig


class FacesConfig(AppConfig):
    name = "faces"
    verbose_name = "Faces"

    def ready(self) -> None:
        from faces import backends  # noqa: F401  (registers the setting_changed receiver)
