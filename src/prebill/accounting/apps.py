from django.apps import AppConfig


class AccountingConfig(AppConfig):
    name = "prebill.accounting"
    label = "accounting"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers, services  # noqa: F401  (its part of a validation, the posting job)
