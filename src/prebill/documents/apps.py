from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "prebill.documents"
    label = "documents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers, services  # noqa: F401  (its part of a validation, the batch job)
