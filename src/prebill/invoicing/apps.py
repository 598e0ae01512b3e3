from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "prebill.invoicing"
    label = "invoicing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import validations  # noqa: F401  (registers the job that validates many drafts)
