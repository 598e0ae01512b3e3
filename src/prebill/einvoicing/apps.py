from django.apps import AppConfig


class EinvoicingConfig(AppConfig):
    name = "prebill.einvoicing"
    label = "einvoicing"
    verbose_name = "E-invoicing"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (validation and payments tell the platform)
