from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "prebill.billing"
    label = "billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import schedule, services  # noqa: F401  (register the month's run job and the scheduler's tick)
