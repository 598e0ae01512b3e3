from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "prebill.documents"
    label = "documents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects this app's part of a validation)
