from django.apps import AppConfig


class AccountingConfig(AppConfig):
    name = "prebill.accounting"
    label = "accounting"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects this app's part of a validation)
