from django.apps import AppConfig


class ProFormaConfig(AppConfig):
    name = "prebill.proforma"
    label = "proforma"
    verbose_name = "pro forma"
    default_auto_field = "django.db.models.BigAutoField"
