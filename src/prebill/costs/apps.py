from django.apps import AppConfig


class CostsConfig(AppConfig):
    name = "prebill.costs"
    label = "costs"
    verbose_name = "rebillable costs"
    default_auto_field = "django.db.models.BigAutoField"
